/**
 * Where TYPE A's octet counts meet the file on disk. In TYPE A an LF goes out as CRLF
 * (ascii-transforms.ts), so the octets of the data stream are not the file's bytes, and RFC 3659
 * counts the stream: SIZE is "the number of octets that would be generated when sending the file"
 * (section 4), suitable for REST, whose marker in stream mode counts the octets transferred
 * (section 5). Both are found by reading the file from its start, so they are given for files up
 * to ASCII_OFFSETS_LIMIT, and refused with 550 above it (RFC 3659 4.2 allows that), as ProFTPD and
 * pyftpdlib refuse SIZE in TYPE A and vsftpd refuses REST in it altogether.
 */
import type { FileHandle } from 'node:fs/promises';
import { FtpError } from '../errors.js';
import { fsCall } from '../fs/session-file-system.js';
import { countAddedCrs, lfNeedsCr } from './ascii-transforms.js';

export const ASCII_OFFSETS_LIMIT = 64 * 1024 * 1024;
const CHUNK_BYTES = 1024 * 1024;
const CR = 0x0d;
const LF = 0x0a;

/** 550 for a file too large to count through (`what`: the command, for the reply). */
export function checkAsciiCountable(size: number, what: string): void {
  if (size > ASCII_OFFSETS_LIMIT) {
    throw new FtpError(
      550,
      `${what} in ASCII mode is given for files up to ${ASCII_OFFSETS_LIMIT >> 20} MiB; use TYPE I.`,
    );
  }
}

/** One read of the file: its bytes, where they start, and the CRs ToNetworkAscii adds to them. */
interface CountedChunk {
  readonly chunk: Buffer;
  readonly position: number;
  /** ToNetworkAscii's state before the chunk: the byte before it was a CR. */
  readonly lastWasCr: boolean;
  readonly added: number;
}

/** The file from its start, a chunk at a time (the buffer is reused: use each chunk before the next). */
async function* countedChunks(handle: FileHandle, chunkBytes: number): AsyncGenerator<CountedChunk> {
  const buffer = Buffer.allocUnsafe(chunkBytes);
  let lastWasCr = false;
  for (let position = 0; ;) {
    const { bytesRead } = await fsCall(handle.read(buffer, 0, buffer.length, position));
    if (bytesRead === 0) return;
    const chunk = buffer.subarray(0, bytesRead);
    const counted = countAddedCrs(chunk, lastWasCr);
    yield { chunk, position, lastWasCr, added: counted.added };
    lastWasCr = counted.lastWasCr;
    position += bytesRead;
  }
}

/** The octets a TYPE A RETR of the open file sends. */
export async function asciiStreamSize(handle: FileHandle, size: number): Promise<number> {
  checkAsciiCountable(size, 'SIZE');
  let total = 0;
  for await (const { chunk, added } of countedChunks(handle, CHUNK_BYTES)) total += chunk.length + added;
  return total;
}

/** Where a restart in the file falls: resume at `offset`; `lastWasCr` is ToNetworkAscii's state there. */
export interface AsciiRestartPoint {
  readonly offset: number;
  /**
   * The byte before `offset` was a CR, or the marker fell between the CR added to the LF at
   * `offset` and that LF: either way the LF there goes out without a CR (again).
   */
  readonly lastWasCr: boolean;
}

/**
 * The file offset at which a TYPE A stream resumes after `marker` octets (REST), or undefined
 * when the stream is shorter than that (554). A marker after an added CR but before its LF
 * resumes at the LF, sent bare. For an upload the same offset holds: the file there has the
 * stream's first `marker` octets converted, and a bare LF arriving first is stored as an LF.
 */
export async function asciiRestartPoint(
  handle: FileHandle,
  size: number,
  marker: number,
  chunkBytes = CHUNK_BYTES, // smaller in tests, to put CRs and LFs on chunk boundaries
): Promise<AsciiRestartPoint | undefined> {
  checkAsciiCountable(size, 'REST');
  let sent = 0; // octets of the stream for the file's bytes before the chunk
  for await (const { chunk, position, lastWasCr, added } of countedChunks(handle, chunkBytes)) {
    if (sent + chunk.length + added < marker) {
      sent += chunk.length + added;
      continue;
    }
    // The marker falls in this chunk: walk it from LF to LF.
    for (let i = 0; ;) {
      const lf = chunk.indexOf(LF, i);
      const runEnd = lf === -1 ? chunk.length : lf;
      // Bytes before the next LF go out as they are, an octet each.
      if (marker - sent <= runEnd - i) {
        const at = i + (marker - sent);
        return { offset: position + at, lastWasCr: at > 0 ? chunk[at - 1] === CR : lastWasCr };
      }
      sent += runEnd - i;
      if (lf === -1) throw new Error('unreachable: the marker lies within this chunk');
      if (lfNeedsCr(chunk, lf, lastWasCr)) {
        if (marker - sent === 1) return { offset: position + lf, lastWasCr: true };
        sent += 1;
      }
      sent += 1; // the LF
      i = lf + 1;
    }
  }
  return undefined; // the stream is shorter than the marker
}
