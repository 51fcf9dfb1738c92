/**
 * File information: SIZE and MDTM (RFC 3659 sections 4 and 3) and MFMT (draft-somers-ftp-mfxx-04).
 *
 * SIZE is the number of octets a RETR would send under the current TYPE (RFC 3659 4), exactly:
 * estimates "MUST NOT be returned". In TYPE I that is the size on disk. In TYPE A it is that plus a
 * CR for every LF sent without one, which takes reading the file (data/ascii-offsets.ts: files up
 * to 64 MiB, 550 above; each version of a file is counted once, ascii-size-cache.ts). vsftpd answers the size on disk, which a TYPE A transfer of a text file
 * does not match; a REST with it would not resume where the client stopped.
 *
 * Times are UTC, `YYYYMMDDHHMMSS` (RFC 3659 2.3); MDTM gives whole seconds, which every client
 * parses, MFMT accepts and echoes milliseconds.
 */
import type { BigIntStats } from 'node:fs';
import { stat, utimes } from 'node:fs/promises';
import { cachedAsciiStreamSize } from '../data/ascii-size-cache.js';
import { FtpError, syntaxError } from '../errors.js';
import { formatFtpTime, parseFtpTime } from '../fs/ftp-time.js';
import { authorizeFor } from '../fs/session-access.js';
import type { ResolvedPath } from '../fs/session-file-system.js';
import type { FtpSession } from '../session.js';
import type { CommandSpec } from './command-spec.js';

/** The octets a TYPE A RETR of the file at `target` sends; 550 for a file too large to count. */
async function asciiSize(session: FtpSession, target: ResolvedPath): Promise<number> {
  const { handle } = await session.fs.openFileForReading(target.real);
  try {
    return await cachedAsciiStreamSize(handle);
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/** Resolves, checks `read`, and takes the facts of what the path leads to (inside the root). */
async function statForRead(
  session: FtpSession,
  argument: string,
): Promise<{ readonly target: ResolvedPath; readonly info: BigIntStats }> {
  if (!argument) throw syntaxError('A path is needed.');
  const target = await session.fs.resolve(argument);
  authorizeFor(session, target, 'read');
  if (!target.exists) throw new FtpError(550, 'No such file or directory.');
  return { target, info: await session.fs.statEntry(target.real, { symlink: 'refuse' }) };
}

const SIZE: CommandSpec = {
  verb: 'SIZE',
  syntax: 'SIZE <sp> pathname',
  help: 'Show the size of a file in bytes.',
  access: 'login',
  feature: () => 'SIZE',
  async handler(session, argument) {
    const { target, info } = await statForRead(session, argument);
    // RFC 3659 4.2: the size of a file; a directory has none to give.
    if (!info.isFile()) throw new FtpError(550, 'Not a regular file.');
    const size = session.transferType === 'A' ? await asciiSize(session, target) : Number(info.size);
    await session.reply(213, String(size));
  },
};

const MDTM: CommandSpec = {
  verb: 'MDTM',
  syntax: 'MDTM <sp> pathname',
  help: 'Show the modification time of a file (UTC).',
  access: 'login',
  feature: () => 'MDTM',
  async handler(session, argument) {
    const { info } = await statForRead(session, argument);
    await session.reply(213, formatFtpTime(Number(info.mtimeMs)));
  },
};

const MFMT: CommandSpec = {
  verb: 'MFMT',
  syntax: 'MFMT <sp> YYYYMMDDHHMMSS <sp> pathname',
  help: 'Set the modification time of a file (UTC).',
  access: 'login',
  feature: () => 'MFMT',
  async handler(session, argument) {
    const match = /^(\S+) (.+)$/s.exec(argument);
    if (!match) throw syntaxError('MFMT takes a time and a path.');
    const [, timeText = '', path = ''] = match;
    const ms = parseFtpTime(timeText);
    if (ms === undefined) throw syntaxError('The time must be YYYYMMDDHHMMSS in UTC.');
    const target = await session.fs.resolve(path);
    // Changing a file's time is changing the file: the same right as STOR over it.
    authorizeFor(session, target, 'overwrite');
    if (!target.exists) throw new FtpError(550, 'No such file or directory.');
    // Seconds as a double, which libuv cuts to nanoseconds by truncation: .123 s would be stored as
    // .122999999 and read back (MLST, MDTM) as .122. Half a microsecond more keeps the milliseconds
    // the reply below says were set.
    const seconds = ms / 1000 + 5e-7;
    await session.fs.withEntryPath(target.real, async (path) => utimes(path, (await stat(path)).atime, seconds));
    // draft-somers-ftp-mfxx 3.1: `213 Modify=<time>; <path>`, the path as the client gave it.
    await session.reply(213, `Modify=${formatFtpTime(ms, true)}; ${path}`);
  },
};

export const fileInfoCommands: readonly CommandSpec[] = [SIZE, MDTM, MFMT];
