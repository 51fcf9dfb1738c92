import { describe, expect, it } from 'vitest';
import { BUILTIN_QUOTES } from '../../../services/qotd/builtin-quotes.js';
import { MAX_QUOTE_BYTES, parseQuotes, quoteToWire, splitQuotes } from '../../../services/qotd/quotes.js';

describe('qotd quotes (fortune format)', () => {
  it.each([
    ['one quote, no separator', 'Hello.\n', [{ text: 'Hello.', line: 1 }]],
    [
      'two quotes',
      'One.\n%\nTwo.\n',
      [
        { text: 'One.', line: 1 },
        { text: 'Two.', line: 3 },
      ],
    ],
    [
      'several lines kept together',
      'A\n  -- B\n%\nC\n',
      [
        { text: 'A\n  -- B', line: 1 },
        { text: 'C', line: 4 },
      ],
    ],
    ['leading and trailing % (fortune files often have them)', '%\nOne.\n%\n', [{ text: 'One.', line: 2 }]],
    [
      'empty quotes skipped',
      'One.\n%\n%\n\n%\nTwo.',
      [
        { text: 'One.', line: 1 },
        { text: 'Two.', line: 6 },
      ],
    ],
    ['blank lines around a quote trimmed', '\n\nOne.\n\n%\n', [{ text: 'One.', line: 3 }]],
    ['blank lines inside a quote kept', 'A\n\nB\n', [{ text: 'A\n\nB', line: 1 }]],
    [
      'CRLF files',
      'One.\r\n%\r\nTwo.\r\n',
      [
        { text: 'One.', line: 1 },
        { text: 'Two.', line: 3 },
      ],
    ],
    ['a % inside a line is text', '100% sure\n%\n', [{ text: '100% sure', line: 1 }]],
    [
      'trailing spaces after the separator',
      'One.\n%  \nTwo.\n',
      [
        { text: 'One.', line: 1 },
        { text: 'Two.', line: 3 },
      ],
    ],
    ['nothing at all', '', []],
  ])('%s', (_name, text, expected) => {
    expect(splitQuotes(text)).toEqual(expected);
  });

  it('sends each line CRLF-terminated', () => {
    expect(quoteToWire('A\n  -- B').toString()).toBe('A\r\n  -- B\r\n');
  });

  describe('the 512-character rule (RFC 865)', () => {
    // A quote of n characters goes out as n + 2 with its CRLF.
    const line = (length: number): string => 'x'.repeat(length);

    it('accepts a quote of 511 characters on the wire', () => {
      expect(MAX_QUOTE_BYTES).toBe(511);
      const [quote] = parseQuotes(line(509), 'test');
      expect(quote).toHaveLength(511);
    });

    it('rejects a quote of 512 characters on the wire, naming it', () => {
      expect(() => parseQuotes(`short\n%\n${line(510)}\n`, 'quotes.txt')).toThrow(
        'quotes.txt: quote 2 (line 3) is 512 characters with its CRLF line ends; RFC 865 asks for fewer than 512',
      );
    });

    it('counts the CRLFs of a several-line quote', () => {
      // 5 lines of 100 characters: 500 of text, 510 on the wire.
      expect(() => parseQuotes(Array(5).fill(line(100)).join('\n'), 'test')).not.toThrow();
      // 5 lines of 101: 505 of text, 515 on the wire.
      expect(() => parseQuotes(Array(5).fill(line(101)).join('\n'), 'test')).toThrow(/quote 1 \(line 1\) is 515/);
    });

    it('numbers quotes as the reader sees them, skipping empty ones', () => {
      expect(() => parseQuotes(`%\nfirst\n%\n%\n${line(600)}\n%\n`, 'f')).toThrow(/^f: quote 2 \(line 5\) is 602 /);
    });

    it('counts non-ASCII text in bytes, as a datagram does', () => {
      expect(() => parseQuotes('é'.repeat(255), 'test')).toThrow(/is 512 /);
    });
  });

  it('rejects a file without quotes', () => {
    expect(() => parseQuotes('%\n\n%\n', 'empty.txt')).toThrow(/empty\.txt holds no quotes/);
  });

  it('ships a dozen or so built-in quotes, all within the rules', () => {
    expect(BUILTIN_QUOTES.length).toBeGreaterThanOrEqual(12);
    const wire = parseQuotes(BUILTIN_QUOTES.join('\n%\n'), 'built-in');
    expect(wire).toHaveLength(BUILTIN_QUOTES.length);
    for (const quote of wire) {
      // RFC 865 recommends "the ASCII printing characters, space, carriage return, and line feed".
      expect(quote.toString('latin1')).toMatch(/^[\x20-\x7e\r\n]+$/);
    }
  });
});
