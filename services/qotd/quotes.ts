/**
 * Quotes in fortune(6) format: quotes separated by a line holding only `%`. Parsing is pure; the
 * file is read once per worker (see index.ts), so a bad file stops classicd at start-up rather than
 * surfacing on some client's connection later.
 */
import { readFile } from 'node:fs/promises';

/**
 * RFC 865, "Quote Syntax": the quote "may be just one or up to several lines, but it should be less
 * than 512 characters". Its carriage returns and line feeds are characters of the quote too, so we
 * count the quote as sent, CRLFs included; non-ASCII text counts in UTF-8 bytes, which is what a UDP
 * answer is measured in.
 */
export const MAX_QUOTE_BYTES = 511;

export interface Quote {
  /** The quote's lines, joined by LF, without surrounding blank lines. */
  readonly text: string;
  /** The 1-based line of the file where the quote begins, for error messages. */
  readonly line: number;
}

/** Splits fortune-format text into its non-empty quotes. Blank quotes (a leading `%`, say) are skipped. */
export function splitQuotes(text: string): Quote[] {
  const quotes: Quote[] = [];
  let lines: string[] = [];
  let firstLine = 1;
  const flush = (): void => {
    const start = lines.findIndex((line) => line.trim() !== '');
    if (start !== -1) {
      const end = lines.length - [...lines].reverse().findIndex((line) => line.trim() !== '');
      quotes.push({ text: lines.slice(start, end).join('\n'), line: firstLine + start });
    }
  };
  const all = text.split(/\r?\n/);
  all.forEach((line, index) => {
    if (line.trimEnd() === '%') {
      flush();
      lines = [];
      firstLine = index + 2;
    } else {
      lines.push(line);
    }
  });
  flush();
  return quotes;
}

/** A quote as it goes on the wire: each line ends in CRLF (RFC 865 allows several lines). */
export function quoteToWire(text: string): Buffer {
  return Buffer.from(`${text.split('\n').join('\r\n')}\r\n`, 'utf8');
}

/**
 * Turns fortune-format text into wire-ready quotes, or throws one error naming the first quote that
 * breaks RFC 865's size rule. `source` names where the text came from, for the message.
 */
export function parseQuotes(text: string, source: string): Buffer[] {
  const quotes = splitQuotes(text);
  if (quotes.length === 0) {
    throw new Error(`${source} holds no quotes (quotes are separated by lines holding only "%")`);
  }
  return quotes.map((quote, index) => {
    const wire = quoteToWire(quote.text);
    if (wire.length > MAX_QUOTE_BYTES) {
      throw new Error(
        `${source}: quote ${index + 1} (line ${quote.line}) is ${wire.length} characters with its CRLF line ends; ` +
          `RFC 865 asks for fewer than 512`,
      );
    }
    return wire;
  });
}

export async function loadQuotesFile(path: string): Promise<Buffer[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new Error(`qotd quotesFile ${path} cannot be read: ${(error as Error).message}`);
  }
  return parseQuotes(text, `qotd quotesFile ${path}`);
}
