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
 * The message is the site's word, so only a file the admin evidently meant for everyone is shown:
 * - in a directory the session may list (a denied directory, or anonymous in the drop box, shows
 *   none); the hide and deny globs on the file's own name do not apply, so a site that denies every
 *   dot file (`**` + `/.*`) can still show `.message`;
 * - never in the anonymous drop box, to anyone: an uploader must not speak to the next visitor in
 *   the server's voice, local users included;
 * - only a regular file readable by everyone (mode o+r, as vsftpd's anon_world_readable_only asks
 *   of downloads), reached through the directory's pin and never through a symlink (pinned.ts),
 *   and not one with a NUL in it (a binary, or a sparse file);
 * - at most MAX_BYTES (vsftpd's 4,000) and MAX_LINES of it, as UTF-8 with anything else shown as
 *   U+FFFD (a Latin-1 message must not break a UTF-8 client's login, and its 0x9B must not reach a
 *   terminal as CSI), and control characters as `?`, as in every reply (reply.ts).
 * A worker keeps each directory's text for TTL_MS, so logins into one root read its file at most
 * once a second, not on the thread pool each time.
 */
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { FtpConfig } from '../config.js';
import type { FtpSession } from '../session.js';
import { realpathOf } from './os-path.js';
import { mayDo } from './session-access.js';
import type { ResolvedPath, SessionFileSystem } from './session-file-system.js';

const MAX_BYTES = 4000;
const MAX_LINES = 100;
/** How long a directory's text stands; an edited message shows within this. */
const TTL_MS = 1000;
/** Directories whose text a worker keeps at once; past it the oldest goes. */
const MAX_KEPT = 256;
/** Read by everyone: the permission bit for others (stat(2)'s S_IROTH). */
const OTHERS_READ = 0o004;
const NUL = 0;
/** Not fatal: message text need not name anything, so what is not UTF-8 is shown as U+FFFD. */
const lossyUtf8 = new TextDecoder('utf-8');

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
 * messages are off, when this session was shown this directory's already, or when the rules above
 * say no. Never throws: a message is never a reason for a command to fail.
 */
export async function directoryMessage(session: FtpSession, dir: ResolvedPath): Promise<readonly string[]> {
  const { config } = session;
  if (!config.directoryMessage.enabled || session.messageShown(dir.canonical) || !mayDo(session, dir, 'list')) {
    return [];
  }
  const lines = await session.shared.directoryMessages.lines(dir.real, () => readMessage(config, session.fs, dir.real));
  if (lines.length > 0) session.markMessageShown(dir.canonical);
  return lines;
}

async function readMessage(config: FtpConfig, fs: SessionFileSystem, dirReal: string): Promise<readonly string[]> {
  if (dirReal === (await dropBoxReal(config))) return [];
  const { handle } = await fs.openFileForReading(join(dirReal, config.directoryMessage.file));
  try {
    if (((await handle.stat()).mode & OTHERS_READ) === 0) return [];
    const buffer = Buffer.alloc(MAX_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, MAX_BYTES, 0);
    const text = buffer.subarray(0, bytesRead);
    if (text.includes(NUL)) return [];
    const lines = lossyUtf8.decode(text).split(/\r?\n/);
    while (lines.length > 0 && (lines[lines.length - 1] as string).trim() === '') lines.pop();
    return lines.slice(0, MAX_LINES);
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/** The anonymous drop box's real path, if uploads are on and it is there. */
async function dropBoxReal(config: FtpConfig): Promise<string | undefined> {
  const { anonymous } = config;
  if (!anonymous.enabled || !anonymous.upload.enabled) return undefined;
  return realpathOf(join(resolve(anonymous.root), anonymous.upload.dir)).catch(() => undefined);
}
