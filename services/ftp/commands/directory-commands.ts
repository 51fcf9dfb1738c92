/** The working directory: PWD, CWD, CDUP and their RFC 775 X-aliases. */
import { FtpError, syntaxError } from '../errors.js';
import { directoryMessage } from '../fs/directory-message.js';
import { authorizeFor } from '../fs/session-access.js';
import { quotePath } from '../reply.js';
import type { FtpSession } from '../session.js';
import { alias, type CommandSpec } from './command-spec.js';

const PWD: CommandSpec = {
  verb: 'PWD',
  syntax: 'PWD',
  help: 'Print the working directory.',
  access: 'login',
  async handler(session) {
    // RFC 959 4.2 and appendix II: 257 with the path quoted, inner quotes doubled.
    await session.reply(257, `${quotePath(session.fs.cwd)} is the current directory.`);
  },
};

/**
 * Changes directory if the policy lets the account enter there (deny globs, the drop box), then
 * answers `code` with the directory's message first, if it has one this session has not seen.
 */
async function enter(session: FtpSession, argument: string, code: number): Promise<void> {
  const target = await session.fs.changeDirectory(argument, (dir) => authorizeFor(session, dir, 'enter'));
  const message = await directoryMessage(session, target);
  await session.reply(code, [...message, 'Directory successfully changed.'], { codeEveryLine: true });
}

const CWD: CommandSpec = {
  verb: 'CWD',
  syntax: 'CWD <sp> pathname',
  help: 'Change the working directory.',
  access: 'login',
  async handler(session, argument) {
    // RFC 959 5.3.1: `CWD <SP> <pathname>`; without one it is a syntax error (vsftpd: 550).
    if (!argument) throw syntaxError('CWD needs a directory name.');
    await enter(session, argument, 250);
  },
};

const CDUP: CommandSpec = {
  verb: 'CDUP',
  syntax: 'CDUP',
  help: 'Change to the parent directory.',
  access: 'login',
  async handler(session) {
    // RFC 959 5.4 lists 200 for CDUP (250 is CWD's); both mean success to every client.
    await enter(session, '..', 200);
  },
};

const SMNT: CommandSpec = {
  verb: 'SMNT',
  syntax: 'SMNT <sp> pathname',
  help: 'Mount another file system: not implemented (one root per session).',
  access: 'login',
  async handler() {
    // RFC 959 4.2.1: a command we know but do not implement is 502, not 500 (not recognised).
    throw new FtpError(502, 'SMNT not implemented.');
  },
};

export const directoryCommands: readonly CommandSpec[] = [
  SMNT,
  PWD,
  alias(PWD, 'XPWD'),
  CWD,
  alias(CWD, 'XCWD'),
  CDUP,
  alias(CDUP, 'XCUP'),
];
