/**
 * File information: SIZE and MDTM (RFC 3659 sections 4 and 3) and MFMT (draft-somers-ftp-mfxx-04).
 *
 * SIZE gives the size on disk whatever the TYPE, as vsftpd does. RFC 3659 4.1 asks for the size as
 * it would be transferred, which in TYPE A means reading the whole file to count its line ends;
 * servers either refuse SIZE in ASCII mode (ProFTPD, pyftpdlib: 550) or do what we do. Clients
 * that ask before switching to TYPE I (lftp checks SIZE and MDTM before RETR) then still learn the
 * size, and the byte count of any binary transfer matches it.
 *
 * Times are UTC, `YYYYMMDDHHMMSS` (RFC 3659 2.3); MDTM gives whole seconds, which every client
 * parses, MFMT accepts and echoes milliseconds.
 */
import type { Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import { FtpError, syntaxError } from '../errors.js';
import { formatFtpTime, parseFtpTime } from '../fs/ftp-time.js';
import { withEntryHandle } from '../fs/pinned.js';
import { authorizeFor } from '../fs/session-access.js';
import { fsCall } from '../fs/session-file-system.js';
import type { FtpSession } from '../session.js';
import type { CommandSpec } from './command-spec.js';

/** Resolves, checks `read`, and stats (following symlinks, inside the root). */
async function statForRead(session: FtpSession, argument: string): Promise<Stats> {
  if (!argument) throw syntaxError('A path is needed.');
  const target = await session.fs.resolve(argument);
  authorizeFor(session, target, 'read');
  if (!target.exists) throw new FtpError(550, 'No such file or directory.');
  return fsCall(stat(target.real));
}

const SIZE: CommandSpec = {
  verb: 'SIZE',
  syntax: 'SIZE <sp> pathname',
  help: 'Show the size of a file in bytes.',
  access: 'login',
  feature: () => 'SIZE',
  async handler(session, argument) {
    const info = await statForRead(session, argument);
    // RFC 3659 4.2: the size of a file; a directory has none to give.
    if (!info.isFile()) throw new FtpError(550, 'Not a regular file.');
    await session.reply(213, String(info.size));
  },
};

const MDTM: CommandSpec = {
  verb: 'MDTM',
  syntax: 'MDTM <sp> pathname',
  help: 'Show the modification time of a file (UTC).',
  access: 'login',
  feature: () => 'MDTM',
  async handler(session, argument) {
    const info = await statForRead(session, argument);
    await session.reply(213, formatFtpTime(info.mtimeMs));
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
    const { dir, name } = await session.fs.pinParent(target.real);
    try {
      await fsCall(
        withEntryHandle(dir, name, async (handle) => handle.utimes((await handle.stat()).atime, new Date(ms))),
      );
    } finally {
      await dir.close();
    }
    // draft-somers-ftp-mfxx 3.1: `213 Modify=<time>; <path>`, the path as the client gave it.
    await session.reply(213, `Modify=${formatFtpTime(ms, true)}; ${path}`);
  },
};

export const fileInfoCommands: readonly CommandSpec[] = [SIZE, MDTM, MFMT];
