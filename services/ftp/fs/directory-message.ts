/**
 * Directory messages, as vsftpd's dirmessage_enable and message_file (on in Debian's
 * vsftpd.conf) and wu-ftpd's `message`: the text of a file named `.message` (directoryMessage.file)
 * in a directory goes before the reply to the CWD that enters it, as `250-` lines, and the root's
 * before the `230` of the login; each directory's once a session, as vsftpd shows it.
 *
 *   230-Welcome to the example.org archive.
 *   230-Mirrors of Debian are in /debian.
 *   230 Login successful.
 *
 * The file is read as a download would be: through the directory's pin, and only a regular file,
 * never through a symlink (pinned.ts); only for a session the access policy lets read it, so a drop
 * box's uploader cannot post a message for the next visitor, and a hidden or denied file shows
 * nothing; at most MAX_BYTES (vsftpd's 4,000) and MAX_LINES of it, control characters shown as `?`
 * as in every reply (reply.ts). A worker keeps each directory's text for TTL_MS, so a thousand logins
 * into one root read its file once, not a thousand times on the thread pool.
 */
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { decodeRawBytes } from '../../../shared/text/raw-bytes.js';
import type { FtpSession } from '../session.js';
import { childPath } from './listing.js';
import { isHiddenFor, mayDo } from './session-access.js';
import type { ResolvedPath, SessionFileSystem } from './session-file-system.js';

const MAX_BYTES = 4000;
const MAX_LINES = 100;
/** How long a directory's text stands; an edited message shows within this. */
const TTL_MS = 1000;
/** Directories whose text a worker keeps at once; past it the oldest goes. */
const MAX_KEPT = 256;

/** Each directory's message text, per worker (FtpShared), by the directory's real path. */
export class DirectoryMessageCache {
  private readonly kept = new Map<string, { readonly at: number; readonly lines: Promise<readonly string[]> }>();

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** The lines of the message in the directory at `dirReal`, read by `read` unless kept. */
  lines(dirReal: string, read: () => Promise<readonly string[]>): Promise<readonly string[]> {
    const entry = this.kept.get(dirReal);
    if (entry && this.now() - entry.at < TTL_MS) return entry.lines;
    const lines = read().catch(() => []); // none there (the usual case), or not readable: no message
    this.kept.delete(dirReal); // re-inserted last: the Map's order is the age order
    this.kept.set(dirReal, { at: this.now(), lines });
    if (this.kept.size > MAX_KEPT) this.kept.delete(this.kept.keys().next().value as string);
    return lines;
  }
}

/**
 * The message lines to put before the reply to entering `dir` (a resolved path), or none: when
 * messages are off, when this session was shown this directory's already, or when it may not read
 * the file. Never throws: a message is never a reason for a command to fail.
 */
export async function directoryMessage(session: FtpSession, dir: ResolvedPath): Promise<readonly string[]> {
  const { file, enabled } = session.config.directoryMessage;
  if (!enabled || session.messageShown(dir.canonical)) return [];
  const path = { virtual: childPath(dir.virtual, file), canonical: childPath(dir.canonical, file) };
  if (isHiddenFor(session, path) || !mayDo(session, path, 'read')) return [];
  const lines = await session.shared.directoryMessages.lines(dir.real, () =>
    readMessage(session.fs, join(dir.real, file)),
  );
  if (lines.length > 0) session.markMessageShown(dir.canonical);
  return lines;
}

async function readMessage(fs: SessionFileSystem, real: string): Promise<readonly string[]> {
  const { handle } = await fs.openFileForReading(real);
  try {
    const buffer = Buffer.alloc(MAX_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, MAX_BYTES, 0);
    const lines = decodeRawBytes(buffer.subarray(0, bytesRead)).split(/\r?\n/);
    while (lines.length > 0 && (lines[lines.length - 1] as string).trim() === '') lines.pop();
    return lines.slice(0, MAX_LINES);
  } finally {
    await handle.close().catch(() => undefined);
  }
}
