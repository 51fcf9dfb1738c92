/**
 * SITE (RFC 959 4.1.3: "services specific to [the] system"): HELP, and CHMOD as vsftpd, ProFTPD and
 * pure-ftpd offer it, since lftp's `mirror -R` and FileZilla send `SITE CHMOD` after uploads.
 *
 * CHMOD takes permission bits only (0 to 777 in octal): set-user-ID, set-group-ID and sticky bits
 * are refused, so an FTP account can never make a set-ID file. Changing a file's mode is changing
 * the file, so it needs the same right as STOR over it (`overwrite`); anonymous has none, not
 * even in the drop box, as with vsftpd.
 */
import { chmod } from 'node:fs/promises';
import { FtpError, syntaxError } from '../errors.js';
import { authorizeFor } from '../fs/session-access.js';
import type { FtpSession } from '../session.js';
import type { CommandSpec } from './command-spec.js';

const SUBCOMMANDS = ['CHMOD', 'HELP'] as const;

async function siteChmod(session: FtpSession, rest: string): Promise<void> {
  if (session.login.kind !== 'logged-in') throw new FtpError(530, 'Please login with USER and PASS.');
  const match = /^([0-7]{1,4})\s+(.+)$/s.exec(rest);
  if (!match) throw syntaxError('SITE CHMOD takes an octal mode and a path, e.g. SITE CHMOD 644 file.');
  const [, modeText = '', path = ''] = match;
  const mode = parseInt(modeText, 8);
  if (mode > 0o777) throw new FtpError(550, 'Only permission bits (0-777) may be set.');
  const target = await session.fs.resolve(path);
  authorizeFor(session, target, 'overwrite');
  if (!target.exists) throw new FtpError(550, 'No such file or directory.');
  await session.fs.withEntryPath(target.real, (path) => chmod(path, mode));
  session.log.info({ path: target.virtual, mode: modeText }, 'site chmod');
  await session.reply(200, 'SITE CHMOD command ok.');
}

const SITE: CommandSpec = {
  verb: 'SITE',
  syntax: 'SITE <sp> HELP | CHMOD <sp> mode <sp> pathname',
  help: `Site-specific commands: ${SUBCOMMANDS.join(', ')}.`,
  access: 'none',
  async handler(session, argument) {
    const [, sub = '', rest = ''] = /^\s*(\S*)\s*(.*)$/s.exec(argument) ?? [];
    switch (sub.toUpperCase()) {
      case 'HELP':
        return session.reply(214, ['SITE commands recognized:', ...SUBCOMMANDS.map((name) => ` ${name}`), 'End.']);
      case 'CHMOD':
        return siteChmod(session, rest);
      default:
        throw new FtpError(500, 'Unknown SITE command.');
    }
  },
};

export const siteCommands: readonly CommandSpec[] = [SITE];
