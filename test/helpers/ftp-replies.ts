/**
 * FTP replies as a test client reads them (RFC 959 4.2): lines gathered into replies, a multi-line
 * reply ending on the line with its code and a space. Shared by the plain and the TLS test clients.
 */
import { decodeRawBytes } from '../../shared/text/raw-bytes.js';

export interface FtpReply {
  readonly code: number;
  /** The reply's lines without CRLF, the code and separator still on the first and last. */
  readonly lines: readonly string[];
  /** The text of the last line, after `ddd `. */
  readonly text: string;
}

export class FtpReplyReader {
  private buffered = '';
  private pendingLines: string[] = [];
  private readonly replies: FtpReply[] = [];
  private waiter: (() => void) | undefined;
  private ended = false;

  private partialLine: Buffer = Buffer.alloc(0);
  /** Telnet option answers taken out of the stream so far (feedBytes), for tests to check. */
  optionAnswers = 0;

  /**
   * Bytes from the control connection, in order. A line's bytes that are not UTF-8 (a file's raw
   * name) come out as the server's own escapes (shared/text/raw-bytes.ts), so tests can say them.
   */
  feedBytes(chunk: Buffer): void {
    const bytes = this.partialLine.length > 0 ? Buffer.concat([this.partialLine, chunk]) : chunk;
    const end = bytes.lastIndexOf(0x0a) + 1; // LF is ASCII, never inside a UTF-8 sequence
    this.partialLine = bytes.subarray(end);
    if (end === 0) return;
    const { kept, answers } = withoutOptionAnswers(bytes.subarray(0, end));
    this.optionAnswers += answers;
    this.feed(decodeRawBytes(kept));
  }

  /** Text from the control connection, in order. */
  feed(text: string): void {
    this.buffered += text;
    let end: number;
    while ((end = this.buffered.indexOf('\n')) !== -1) {
      const line = this.buffered.slice(0, end).replace(/\r$/, '');
      this.buffered = this.buffered.slice(end + 1);
      this.onLine(line);
    }
  }

  /** The control connection has closed: waiting for more is pointless. */
  end(): void {
    this.ended = true;
    this.waiter?.();
  }

  /** The next reply; rejects if none comes within `timeoutMs` or the connection closes. */
  async next(timeoutMs: number): Promise<FtpReply> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const next = this.replies.shift();
      if (next) return next;
      if (this.ended) throw new Error('control connection closed before a reply');
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        throw new Error(`no reply within ${timeoutMs} ms (partial: ${JSON.stringify(this.buffered)})`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, remaining);
        this.waiter = () => {
          clearTimeout(timer);
          this.waiter = undefined;
          resolve();
        };
      });
    }
  }

  private onLine(line: string): void {
    this.pendingLines.push(line);
    const first = this.pendingLines[0] as string;
    const code = first.slice(0, 3);
    // A reply ends on a line with its code and a space (RFC 959 4.2); `ddd-` opens a multi-line one.
    const done = this.pendingLines.length === 1 ? first[3] !== '-' : line.startsWith(`${code} `);
    if (!done) return;
    this.replies.push({ code: Number(code), lines: this.pendingLines, text: line.slice(4) });
    this.pendingLines = [];
    this.waiter?.();
  }
}

/**
 * The bytes without Telnet option answers (IAC WILL/WONT/DO/DONT <option>, RFC 854), which the
 * server sends ahead of a reply when a command line asked for an option: they are not reply text.
 * IAC IAC (a data byte 0xFF) is left as it is, for tests to see.
 */
function withoutOptionAnswers(bytes: Buffer): { kept: Buffer; answers: number } {
  if (!bytes.includes(0xff)) return { kept: bytes, answers: 0 };
  let answers = 0;
  const kept: number[] = [];
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i] as number;
    const next = bytes[i + 1];
    if (byte === 0xff && next !== undefined && next >= 0xfb && next <= 0xfe) {
      i += 2; // IAC, the verb and its option
      answers++;
      continue;
    }
    kept.push(byte);
    if (byte === 0xff && next === 0xff) {
      kept.push(0xff);
      i++;
    }
  }
  return { kept: Buffer.from(kept), answers };
}
