/**
 * Reads CRLF- (or bare LF-) terminated lines from a stream, one at a time, on demand.
 *
 * Pull-based on purpose: the next line is read only when the caller asks for it, so a session that
 * is busy with one command exerts TCP backpressure on a client that pipelines more (STYLE.md 5,
 * "command processing is the backpressure"). Partial lines are kept across chunks; a line longer
 * than `maxLineBytes` is reported, not buffered without bound. The stream can be swapped for the
 * TLS socket that wraps it (FTP's AUTH TLS, SMTP's STARTTLS).
 */
import type { Readable } from 'node:stream';

const LF = 0x0a;
const CR = 0x0d;

export type LineResult =
  | { readonly kind: 'line'; readonly line: Buffer }
  /** The line went past the limit; its bytes up to the next LF were discarded. */
  | { readonly kind: 'overlong' }
  /** The stream ended or was destroyed; an unterminated partial line is dropped. */
  | { readonly kind: 'end' };

export class LineReader {
  private buffered: Buffer = Buffer.alloc(0);
  private discarding = false;
  private ended = false;
  private wake: (() => void) | undefined;
  private readonly onReadable = (): void => this.notify();
  private readonly onEnd = (): void => {
    this.ended = true;
    this.notify();
  };

  constructor(
    private stream: Readable,
    private readonly maxLineBytes: number,
    /**
     * Says whether bytes with no LF yet are nevertheless a whole line. FTP needs it: a client that
     * sends `ABOR<CR><LF>` as TCP urgent data loses the LF on Linux (the urgent byte is taken out of
     * the stream, and Node cannot read it), so `ABOR<CR>` must stand on its own.
     */
    private readonly isCompleteWithoutNewline?: (partial: Buffer) => boolean,
  ) {
    this.attach(stream);
  }

  /** Bytes received but not yet returned as lines (must be empty before a TLS upgrade). */
  get pendingBytes(): number {
    return this.buffered.length;
  }

  /** Reads from `stream` from now on; the old stream is left alone for its new owner. */
  replaceStream(stream: Readable): void {
    this.detach(this.stream);
    this.stream = stream;
    this.ended = false;
    this.attach(stream);
  }

  /** Stops reading; the stream is left to its owner. */
  release(): void {
    this.detach(this.stream);
  }

  async next(): Promise<LineResult> {
    for (;;) {
      const result = this.takeLine();
      if (result) return result;
      const chunk = this.stream.read() as Buffer | null;
      if (chunk !== null) {
        this.append(chunk);
        continue;
      }
      if (this.ended || this.stream.destroyed) return { kind: 'end' };
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  private takeLine(): LineResult | undefined {
    const newline = this.buffered.indexOf(LF);
    if (newline === -1) {
      if (!this.discarding && this.buffered.length > 0 && this.isCompleteWithoutNewline?.(this.buffered)) {
        const line = Buffer.from(
          this.buffered[this.buffered.length - 1] === CR ? this.buffered.subarray(0, -1) : this.buffered,
        );
        this.buffered = Buffer.alloc(0);
        return { kind: 'line', line };
      }
      if (this.buffered.length > this.maxLineBytes) {
        // Keep nothing more of this line; say so once its end arrives.
        this.buffered = Buffer.alloc(0);
        this.discarding = true;
      }
      return undefined;
    }
    let end = newline;
    if (end > 0 && this.buffered[end - 1] === CR) end -= 1;
    const line = this.buffered.subarray(0, end);
    this.buffered = this.buffered.subarray(newline + 1);
    if (this.discarding || line.length > this.maxLineBytes) {
      this.discarding = false;
      return { kind: 'overlong' };
    }
    // Copy, so the (possibly large) chunk behind it can be collected.
    return { kind: 'line', line: Buffer.from(line) };
  }

  private append(chunk: Buffer): void {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  private attach(stream: Readable): void {
    stream.on('readable', this.onReadable);
    stream.on('end', this.onEnd);
    stream.on('close', this.onEnd);
  }

  private detach(stream: Readable): void {
    stream.off('readable', this.onReadable);
    stream.off('end', this.onEnd);
    stream.off('close', this.onEnd);
  }
}
