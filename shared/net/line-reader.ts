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

/** Who gets the next line: a protocol session, typically (it is its own consumer: no closure). */
export interface LineConsumer {
  onLine(result: LineResult): void;
}

/** Where a stream keeps its reader, for the shared stream listeners below. */
const READER = Symbol('classicd.lineReader');

interface ReadStream extends Readable {
  [READER]?: LineReader;
}

/** No bytes: one shared empty buffer, so a reader with nothing pending holds on to no chunk. */
const NOTHING = Buffer.alloc(0);
const END: LineResult = { kind: 'end' };
const OVERLONG: LineResult = { kind: 'overlong' };

export class LineReader {
  private buffered: Buffer = NOTHING;
  private discarding = false;
  /** Who asked for a line that has not arrived yet. */
  private waiter: LineConsumer | undefined;

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
    this.attach(stream);
  }

  /** Stops reading; the stream is left to its owner. */
  release(): void {
    this.detach(this.stream);
  }

  /**
   * Hands the next line (or why there is none) to `consumer`, once: at once if a line is complete,
   * else when it arrives. Callbacks, not a promise, on purpose: a session waiting for its next
   * command (most of them, most of the time) then holds no pending promise (with AsyncLocalStorage
   * on, each carries async ids and a store) and no suspended async function.
   */
  read(consumer: LineConsumer): void {
    const result = this.poll();
    if (result) consumer.onLine(result);
    else this.waiter = consumer;
  }

  /** A line if one is complete, the end if the stream is over, else undefined (wait for more). */
  private poll(): LineResult | undefined {
    for (;;) {
      const result = this.takeLine();
      if (result) return result;
      const chunk = this.stream.read() as Buffer | null;
      if (chunk !== null) {
        this.append(chunk);
        continue;
      }
      // readableEnded: 'end' has been emitted; destroyed: the stream was cut (and 'close' follows).
      if (this.stream.readableEnded || this.stream.destroyed) return END;
      return undefined;
    }
  }

  private takeLine(): LineResult | undefined {
    const newline = this.buffered.indexOf(LF);
    if (newline === -1) {
      if (!this.discarding && this.buffered.length > 0 && this.isCompleteWithoutNewline?.(this.buffered)) {
        const line = Buffer.from(
          this.buffered[this.buffered.length - 1] === CR ? this.buffered.subarray(0, -1) : this.buffered,
        );
        this.buffered = NOTHING;
        return { kind: 'line', line };
      }
      if (this.buffered.length > this.maxLineBytes) {
        // Keep nothing more of this line; say so once its end arrives.
        this.buffered = NOTHING;
        this.discarding = true;
      }
      return undefined;
    }
    let end = newline;
    if (end > 0 && this.buffered[end - 1] === CR) end -= 1;
    const line = this.buffered.subarray(0, end);
    // Nothing after the LF (the usual case): drop the chunk rather than keep an empty view of it.
    this.buffered = newline + 1 === this.buffered.length ? NOTHING : this.buffered.subarray(newline + 1);
    if (this.discarding || line.length > this.maxLineBytes) {
      this.discarding = false;
      return OVERLONG;
    }
    // Copy, so the (possibly large) chunk behind it can be collected.
    return { kind: 'line', line: Buffer.from(line) };
  }

  private append(chunk: Buffer): void {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
  }

  /** Something happened on the stream (the shared listeners call this): a waiting consumer may have its line now. */
  notify(): void {
    const waiter = this.waiter;
    if (!waiter) return;
    const result = this.poll();
    if (!result) return;
    this.waiter = undefined;
    waiter.onLine(result);
  }

  private attach(stream: ReadStream): void {
    stream[READER] = this;
    stream.on('readable', onStreamEvent);
    stream.on('end', onStreamEvent);
    stream.on('close', onStreamEvent);
  }

  private detach(stream: ReadStream): void {
    stream.off('readable', onStreamEvent);
    stream.off('end', onStreamEvent);
    stream.off('close', onStreamEvent);
    // Not `delete`: that would turn the socket's properties into a slow dictionary.
    stream[READER] = undefined;
  }
}

/**
 * One listener for 'readable', 'end' and 'close', shared by every reader (each finds its own on the
 * stream): each event means "look again".
 */
function onStreamEvent(this: ReadStream): void {
  this[READER]?.notify();
}
