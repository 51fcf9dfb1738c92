/**
 * TYPE A (RFC 959 3.1.1.1): on the wire, lines end in CRLF (NVT-ASCII); on disk they end in LF.
 *
 * Out (RETR, listings): an LF becomes CRLF. An LF that already has its CR (a file saved with CRLF)
 * is sent as it is, as vsftpd 3 and ProFTPD do, so such files do not come out as CR CR LF.
 * In (STOR): CRLF becomes LF; a CR not followed by LF is data and is kept.
 * Both keep one byte of state across chunks, since a CR and its LF may arrive in different chunks.
 */
import { Transform, type TransformCallback } from 'node:stream';

const CR = 0x0d;
const LF = 0x0a;
const CRLF = Buffer.from([CR, LF]);
const CR_ONLY = Buffer.from([CR]);

/**
 * Whether the LF at `i` in `chunk` goes out with a CR added: it has none before it (`lastWasCr`:
 * the chunk before ended in CR). The one rule ToNetworkAscii and countAddedCrs share, so that SIZE
 * in TYPE A is exactly what RETR sends.
 */
export function lfNeedsCr(chunk: Buffer, i: number, lastWasCr: boolean): boolean {
  return !(i > 0 ? chunk[i - 1] === CR : lastWasCr);
}

/** LF -> CRLF, for data going to the client. */
export class ToNetworkAscii extends Transform {
  /** `lastWasCr`: the byte before the first was a CR (a restart, ascii-offsets.ts). */
  constructor(private lastWasCr = false) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (chunk.length === 0) return callback();
    const parts: Buffer[] = [];
    let start = 0;
    for (let i = chunk.indexOf(LF); i !== -1; i = chunk.indexOf(LF, i + 1)) {
      if (!lfNeedsCr(chunk, i, this.lastWasCr)) continue;
      parts.push(chunk.subarray(start, i), CRLF);
      start = i + 1;
    }
    this.lastWasCr = chunk[chunk.length - 1] === CR;
    if (start === 0) return callback(null, chunk);
    parts.push(chunk.subarray(start));
    callback(null, Buffer.concat(parts));
  }
}

/**
 * What ToNetworkAscii adds to `chunk`: one CR per LF that has none before it (`lastWasCr`: the
 * previous chunk ended in CR). SIZE in TYPE A counts with it (RFC 3659 4: the octets sent).
 */
export function countAddedCrs(
  chunk: Buffer,
  lastWasCr: boolean,
): { readonly added: number; readonly lastWasCr: boolean } {
  let added = 0;
  for (let i = chunk.indexOf(LF); i !== -1; i = chunk.indexOf(LF, i + 1)) {
    if (lfNeedsCr(chunk, i, lastWasCr)) added++;
  }
  return { added, lastWasCr: chunk.length > 0 ? chunk[chunk.length - 1] === CR : lastWasCr };
}

/** CRLF -> LF, for data coming from the client. */
export class FromNetworkAscii extends Transform {
  /** The chunk before ended in CR: whether it goes out depends on the next byte. */
  private pendingCr = false;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (chunk.length === 0) return callback();
    const parts: Buffer[] = [];
    if (this.pendingCr) {
      this.pendingCr = false;
      if (chunk[0] !== LF) parts.push(CR_ONLY);
    }
    let start = 0;
    for (let i = chunk.indexOf(CRLF); i !== -1; i = chunk.indexOf(CRLF, i + 2)) {
      parts.push(chunk.subarray(start, i));
      start = i + 1; // drop the CR, keep the LF
    }
    let end = chunk.length;
    if (chunk[end - 1] === CR) {
      this.pendingCr = true;
      end -= 1;
    }
    parts.push(chunk.subarray(start, end));
    callback(null, parts.length === 1 ? parts[0] : Buffer.concat(parts));
  }

  override _flush(callback: TransformCallback): void {
    // A CR at the very end had no LF after it: it was data.
    callback(null, this.pendingCr ? CR_ONLY : undefined);
  }
}
