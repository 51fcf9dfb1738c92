/**
 * Changing the tree: MKD, RMD, DELE, RNFR/RNTO (RFC 959 4.1.3) and the RFC 775 aliases XMKD, XRMD.
 * The file-information commands (SIZE, MDTM, MFMT) are in file-info-commands.ts and listed here too.
 *
 * DELE, RMD, RNFR and RNTO act on the directory entry itself (resolveEntry): a symlink is removed
 * or renamed, never what it points at. MKD goes through resolve like every other path. Each checks
 * the access policy before it looks at the disk, so a refused client learns nothing about the path.
 * Each changes the entry through its pinned parent directory (fs/pinned.ts), the one that was checked.
 */
import { mkdir, rename, rmdir, unlink } from 'node:fs/promises';
import { badSequence, FtpError, syntaxError } from '../errors.js';
import { accessOf, authorizeFor } from '../fs/session-access.js';
import type { ResolvedPath } from '../fs/session-file-system.js';
import type { FtpSession } from '../session.js';
import { quotePath } from '../reply.js';
import { alias, type CommandSpec } from './command-spec.js';
import { fileInfoCommands } from './file-info-commands.js';

const MKD: CommandSpec = {
  verb: 'MKD',
  syntax: 'MKD <sp> pathname',
  help: 'Make a directory.',
  access: 'login',
  async handler(session, argument) {
    if (!argument) throw syntaxError('MKD needs a directory name.');
    const target = await session.fs.resolve(argument);
    authorizeFor(session, target, 'mkdir');
    if (target.exists) throw new FtpError(550, 'File exists.');
    const mode = 0o777 & ~accessOf(session).account.umask;
    await session.fs.inParent(target.real, (dir, name) => mkdir(dir.path(name), { mode }));
    // RFC 959 appendix II: 257 with the new directory's path quoted, so the client can CWD to it.
    await session.reply(257, `${quotePath(target.virtual)} created.`);
  },
};

const RMD: CommandSpec = {
  verb: 'RMD',
  syntax: 'RMD <sp> pathname',
  help: 'Remove an empty directory.',
  access: 'login',
  async handler(session, argument) {
    if (!argument) throw syntaxError('RMD needs a directory name.');
    const target = await session.fs.resolveEntry(argument);
    authorizeFor(session, target, 'rmdir');
    if ((await entryType(session, target)) !== 'dir') throw new FtpError(550, 'Not a directory.');
    await session.fs.inParent(target.real, (dir, name) => rmdir(dir.path(name)));
    await session.reply(250, 'Remove directory operation successful.');
  },
};

const DELE: CommandSpec = {
  verb: 'DELE',
  syntax: 'DELE <sp> pathname',
  help: 'Delete a file (a symlink itself, not its target).',
  access: 'login',
  async handler(session, argument) {
    if (!argument) throw syntaxError('DELE needs a file name.');
    const target = await session.fs.resolveEntry(argument);
    authorizeFor(session, target, 'delete');
    if ((await entryType(session, target)) === 'dir') throw new FtpError(550, 'Is a directory: use RMD.');
    await session.fs.inParent(target.real, (dir, name) => unlink(dir.path(name)));
    await session.reply(250, 'Delete operation successful.');
  },
};

const RNFR: CommandSpec = {
  verb: 'RNFR',
  syntax: 'RNFR <sp> pathname',
  help: 'Name the file to rename; RNTO follows.',
  access: 'login',
  async handler(session, argument) {
    session.renameFrom = undefined;
    if (!argument) throw syntaxError('RNFR needs a file name.');
    const source = await session.fs.resolveEntry(argument);
    authorizeFor(session, source, 'rename');
    await entryType(session, source); // 550 when there is nothing to rename
    // Kept as the virtual path: RNTO resolves it again, so nothing stale is trusted.
    session.renameFrom = source.virtual;
    await session.reply(350, 'Ready for RNTO.');
  },
};

const RNTO: CommandSpec = {
  verb: 'RNTO',
  syntax: 'RNTO <sp> pathname',
  help: 'Rename the file RNFR named to this name.',
  access: 'login',
  async handler(session, argument) {
    const from = session.renameFrom;
    session.renameFrom = undefined; // one RNTO per RNFR, whatever happens (RFC 959 4.1.3)
    if (from === undefined) throw badSequence('RNFR required first.');
    if (!argument) throw syntaxError('RNTO needs a file name.');
    const source = await session.fs.resolveEntry(from);
    authorizeFor(session, source, 'rename');
    const sourceType = await entryType(session, source);
    // `name/` names a directory: rename(2) of a file to it is ENOTDIR, even where nothing is there.
    if (sourceType !== 'dir' && argument.endsWith('/')) throw new FtpError(550, 'Not a directory.');
    const target = await session.fs.resolveEntry(argument);
    authorizeFor(session, target, 'rename');
    // Renaming onto an existing file replaces it: that takes the right to overwrite it too.
    if (target.exists && target.real !== source.real) authorizeFor(session, target, 'overwrite');
    await session.fs.inParent(source.real, (from, fromName) =>
      session.fs.inParent(target.real, (to, toName) =>
        rename(from.path(fromName), to.path(toName)).catch((error: unknown) => {
          // rename(2) answers ENOTDIR when a directory would replace a file: the name exists, so
          // the usual "No such file or directory" would mislead.
          if (sourceType === 'dir' && (error as NodeJS.ErrnoException).code === 'ENOTDIR') {
            throw new FtpError(550, 'A file has that name: a directory cannot replace it.');
          }
          throw error;
        }),
      ),
    );
    session.log.info({ from: source.virtual, to: target.virtual }, 'renamed');
    await session.reply(250, 'Rename successful.');
  },
};

/** The entry's own type (lstat: a symlink is a symlink); 550 when there is none. */
async function entryType(session: FtpSession, target: ResolvedPath): Promise<'dir' | 'other'> {
  if (!target.exists) throw new FtpError(550, 'No such file or directory.');
  const info = await session.fs.statEntry(target.real, { symlink: 'itself' });
  return info.isDirectory() ? 'dir' : 'other';
}

export const fileCommands: readonly CommandSpec[] = [
  MKD,
  alias(MKD, 'XMKD'),
  RMD,
  alias(RMD, 'XRMD'),
  DELE,
  RNFR,
  RNTO,
  ...fileInfoCommands,
];
