/**
 * Login, session options and server information (RFC 959 4.1.1 and 4.1.3, RFC 2389, RFC 2640,
 * RFC 7151).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { isIPv4, isIPv6 } from 'node:net';
import { SessionFileSystem } from '../fs/session-file-system.js';
import { badSequence, FtpError, notImplementedParameter, syntaxError } from '../errors.js';
import { statPath } from '../fs/stat-path.js';
import { directoryMessage } from '../fs/directory-message.js';
import type { FtpSession } from '../session.js';
import type { CommandSpec } from './command-spec.js';
import { COMMANDS } from './registry.js';

const USER: CommandSpec = {
  verb: 'USER',
  syntax: 'USER <sp> username',
  help: 'Name yourself; PASS follows.',
  access: 'none',
  async handler(session, name) {
    if (!name) throw syntaxError('USER needs a name.');
    // RFC 959 4.1.1: a new USER may change the access control at any point; it starts over.
    if (session.login.kind === 'logged-in') {
      await session.waitForTransfer();
      session.reinitialize();
    }
    // Whatever follows, a USER before it no longer counts: a PASS after a refused USER is 503.
    session.login = { kind: 'awaiting-user' };
    const found = session.shared.accounts.lookup(name);
    if (found.kind !== 'anonymous' && found.tlsRequired && !session.isSecure) {
      session.logTlsLoginRefusal(name);
      if (session.config.tls.requireForLocalUsers) {
        // Every name but anonymous hears this, known or not: USER in clear reveals nothing. And
        // the connection closes, as vsftpd's force_local_logins_ssl closes it, so guessing names
        // or sending passwords in clear costs a connection each.
        await session.reply(530, 'Non-anonymous logins require TLS: use AUTH TLS first.');
        session.endAfterReply();
        return;
      }
      throw new FtpError(530, 'This account requires TLS: use AUTH TLS first.');
    }
    session.login = { kind: 'awaiting-pass', userName: name };
    // The same answer for known and unknown names, so USER cannot be used to find accounts.
    await session.reply(
      331,
      found.kind === 'anonymous'
        ? 'Anonymous login ok, send your e-mail address as password.'
        : 'Please specify the password.',
    );
  },
};

const PASS: CommandSpec = {
  verb: 'PASS',
  syntax: 'PASS <sp> password',
  help: 'Give the password for the USER just named.',
  access: 'none',
  secretArgument: true,
  async handler(session, password) {
    if (session.login.kind === 'logged-in') throw badSequence('Already logged in.');
    if (session.login.kind !== 'awaiting-pass') throw badSequence('Login with USER first.');
    const { userName } = session.login;
    const { login } = session.config;
    const account = await session.shared.accounts.authenticate(userName, password);
    if (!account) {
      session.failedLogins += 1;
      session.login = { kind: 'awaiting-user' };
      session.log.info({ user: userName, failures: session.failedLogins }, 'login failed');
      // A pause slows guessing; a cap ends the connection (vsftpd's delay_failed_login, max_login_fails).
      await sleep(login.failureDelayMs);
      if (session.failedLogins >= login.maxFailures) {
        throw new FtpError(421, 'Too many failed logins; closing control connection.');
      }
      throw new FtpError(530, 'Login incorrect.');
    }
    let fs: SessionFileSystem;
    try {
      fs = SessionFileSystem.atRealRoot(await session.shared.roots.realRoot(account.root));
    } catch (error) {
      session.log.error({ err: error, user: account.name, root: account.root }, 'login failed: root unusable');
      session.login = { kind: 'awaiting-user' };
      throw new FtpError(530, 'Login failed: the home directory is not available.');
    }
    session.login = { kind: 'logged-in', account, fs };
    // Not through session.log: every session writes this line, and an idle one need not keep a
    // child logger for it.
    session.context.logInfo({ user: account.name, anonymous: account.anonymous }, 'logged in');
    const message = await directoryMessage(session, fs.root);
    await session.reply(230, [...message, 'Login successful.'], { codeEveryLine: true });
  },
};

const ACCT: CommandSpec = {
  verb: 'ACCT',
  syntax: 'ACCT <sp> account-information',
  help: 'Not needed here.',
  access: 'none',
  secretArgument: true,
  async handler(session) {
    await session.reply(202, 'ACCT not needed.');
  },
};

const REIN: CommandSpec = {
  verb: 'REIN',
  syntax: 'REIN',
  help: 'Log out and start over on the same connection (not under TLS: reconnect instead).',
  access: 'none',
  async handler(session) {
    await session.waitForTransfer();
    // RFC 4217 (its section on REIN): REIN must clear the TLS session and take the control and data
    // connections back to clear text. Node cannot take TLS off a socket, and we would not anyway:
    // the next USER and PASS would then travel in clear, the reason CCC is refused (section 5).
    // So under TLS (AUTH or implicit) REIN is not done at all: 502, one of REIN's replies in RFC
    // 959 5.4, and the session, login and PBSZ/PROT included, stays as it was.
    if (session.isSecure) {
      throw new FtpError(502, 'REIN is not available on a TLS connection; reconnect to start over.');
    }
    session.reinitialize();
    await session.reply(220, 'Service ready for new user.');
  },
};

const QUIT: CommandSpec = {
  verb: 'QUIT',
  syntax: 'QUIT',
  help: 'Close the connection.',
  access: 'none',
  duringTransfer: true,
  async handler(session) {
    // RFC 959 4.1.1: with a transfer in progress, its result is sent before we close.
    await session.waitForTransfer();
    await session.reply(221, 'Goodbye.');
    session.endAfterReply();
  },
};

const NOOP: CommandSpec = {
  verb: 'NOOP',
  syntax: 'NOOP',
  help: 'Do nothing.',
  access: 'none',
  duringTransfer: true,
  async handler(session) {
    await session.reply(200, 'NOOP ok.');
  },
};

const SYST: CommandSpec = {
  verb: 'SYST',
  syntax: 'SYST',
  help: 'Name the system type.',
  access: 'none',
  async handler(session) {
    // What every Unix server says, and what clients key their LIST parsing on.
    await session.reply(215, 'UNIX Type: L8');
  },
};

const FEAT: CommandSpec = {
  verb: 'FEAT',
  syntax: 'FEAT',
  help: 'List the extensions this server supports.',
  access: 'none',
  async handler(session) {
    // RFC 2389 section 3.2: each feature on its own line, indented by one space.
    const features = new Set<string>();
    for (const spec of COMMANDS.values()) {
      const feature = spec.feature?.(session);
      if (feature === undefined) continue;
      for (const line of typeof feature === 'string' ? [feature] : feature) features.add(line);
    }
    features.add('UTF8');
    const lines = [...features].sort().map((line) => ` ${line}`);
    await session.reply(211, ['Features:', ...lines, 'End']);
  },
};

const SUPPORTED_MLST_FACTS = ['type', 'size', 'modify', 'perm', 'unique', 'unix.mode'];

const OPTS: CommandSpec = {
  verb: 'OPTS',
  syntax: 'OPTS <sp> command-name [<sp> command-options]',
  help: 'Set options for a command (UTF8, MLST).',
  access: 'none',
  async handler(session, argument) {
    const [name = '', ...rest] = argument.trim().split(/\s+/);
    const options = rest.join(' ');
    switch (name.toUpperCase()) {
      case 'UTF8':
        // RFC 2640: names go as they are stored, UTF-8 or (rarely) their own bytes, never converted,
        // so ON is acknowledged. OFF cannot be had, and a 200 would tell the client it was (RFC 2389
        // section 4 allows 501 for an option refused; vsftpd answers 501 too).
        if (/^OFF$/i.test(options)) {
          throw syntaxError('OPTS UTF8 OFF is not supported: names are sent as they are stored.');
        }
        if (!/^(ON|)$/i.test(options)) throw syntaxError('OPTS UTF8 takes ON.');
        return session.reply(200, 'Always in UTF8 mode.');
      case 'MLST': {
        // RFC 3659 7.9: the facts named (and supported) become the set; unknown ones are ignored.
        const wanted = options
          .split(';')
          .map((fact) => fact.trim().toLowerCase())
          .filter(Boolean);
        const facts = SUPPORTED_MLST_FACTS.filter((fact) => wanted.includes(fact));
        session.mlstFacts = new Set(facts);
        // RFC 3659 7.9: "MLST OPTS" [SP 1*(factname ";")], so no space when no fact is selected.
        const selected = facts.map((fact) => `${fact};`).join('');
        return session.reply(200, selected === '' ? 'MLST OPTS' : `MLST OPTS ${selected}`);
      }
      default:
        // RFC 2389 section 4: an OPTS the server cannot take is 501 (opts-bad is 451 or 501 only).
        throw syntaxError(`OPTS ${name.slice(0, 16)} not understood.`);
    }
  },
};

const HELP: CommandSpec = {
  verb: 'HELP',
  syntax: 'HELP [<sp> command]',
  help: 'Describe a command, or list them all.',
  access: 'none',
  async handler(session, argument) {
    const topic = argument.trim().toUpperCase();
    if (topic) {
      const spec = COMMANDS.get(topic);
      if (!spec) throw new FtpError(502, `Unknown command ${topic.slice(0, 16)}.`);
      return session.reply(214, `Syntax: ${spec.syntax}; ${spec.help}`);
    }
    const verbs = [...COMMANDS.keys()].sort();
    const rows: string[] = [];
    for (let i = 0; i < verbs.length; i += 8)
      rows.push(
        (
          ' ' +
          verbs
            .slice(i, i + 8)
            .map((v) => v.padEnd(5))
            .join(' ')
        ).trimEnd(),
      );
    await session.reply(214, ['The following commands are recognized.', ...rows, 'Help OK.']);
  },
};

const TYPE: CommandSpec = {
  verb: 'TYPE',
  syntax: 'TYPE <sp> A [N] | I | L 8',
  help: 'Set the representation type: A (ASCII, CRLF line ends) or I (image, bytes as they are).',
  access: 'none',
  async handler(session, argument) {
    const type = argument.trim().toUpperCase().replace(/\s+/g, ' ');
    // RFC 959 3.1.1: A with the default N (non-print) format; L 8 is the same as I on 8-bit hosts.
    if (type === 'A' || type === 'A N') {
      session.transferType = 'A';
      return session.reply(200, 'Switching to ASCII mode.');
    }
    if (type === 'I' || type === 'L 8' || type === 'L8') {
      session.transferType = 'I';
      return session.reply(200, 'Switching to Binary mode.');
    }
    if (/^(A [TC]|E( [NTC])?|L \d+)$/.test(type))
      throw notImplementedParameter('Only TYPE A, I and L 8 are supported.');
    throw syntaxError('Unrecognised TYPE.');
  },
};

const STRU: CommandSpec = {
  verb: 'STRU',
  syntax: 'STRU <sp> F',
  help: 'Set the file structure; only F (file) is supported.',
  access: 'none',
  async handler(session, argument) {
    const structure = argument.trim().toUpperCase();
    if (structure === 'F') return session.reply(200, 'Structure set to F.');
    if (structure === 'R' || structure === 'P') throw notImplementedParameter('Only STRU F is supported.');
    throw syntaxError('Unrecognised STRU.');
  },
};

const MODE: CommandSpec = {
  verb: 'MODE',
  syntax: 'MODE <sp> S',
  help: 'Set the transfer mode; only S (stream) is supported.',
  access: 'none',
  async handler(session, argument) {
    const mode = argument.trim().toUpperCase();
    if (mode === 'S') return session.reply(200, 'Mode set to S.');
    if (mode === 'B' || mode === 'C' || mode === 'Z') throw notImplementedParameter('Only MODE S is supported.');
    throw syntaxError('Unrecognised MODE.');
  },
};

const ALLO: CommandSpec = {
  verb: 'ALLO',
  syntax: 'ALLO <sp> decimal-integer [<sp> R <sp> decimal-integer]',
  help: 'Reserve space; not needed here.',
  access: 'login',
  async handler(session, argument) {
    // RFC 959 5.3.2: ALLO <SP> <decimal-integer> [<SP> R <SP> <decimal-integer>].
    if (!/^\d+( R \d+)?$/i.test(argument.trim())) throw syntaxError('ALLO takes a byte count.');
    // RFC 959 4.1.3: servers that need no reservation treat ALLO as NOOP (202).
    await session.reply(202, 'ALLO not needed.');
  },
};

const HOST: CommandSpec = {
  verb: 'HOST',
  syntax: 'HOST <sp> hostname',
  help: 'Name the virtual host you want (RFC 7151).',
  access: 'none',
  feature: () => 'HOST',
  async handler(session, argument) {
    // RFC 7151 section 3: HOST comes before USER; afterwards it is a bad sequence.
    if (session.login.kind !== 'awaiting-user') throw badSequence('HOST must come before USER.');
    if (!isHostArgument(argument.trim())) throw syntaxError('HOST needs a host name or an IP address literal.');
    await session.reply(220, 'Host accepted.');
  },
};

/**
 * RFC 7151 section 3.1: a domain name (RFC 1123 labels), an IPv4 address, or an IPv6 one in
 * brackets.
 */
function isHostArgument(text: string): boolean {
  if (text.startsWith('[') && text.endsWith(']')) return isIPv6(text.slice(1, -1));
  if (isIPv4(text)) return true;
  return text.length <= 253 && /^(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))*\.?$/i.test(text);
}

const STAT: CommandSpec = {
  verb: 'STAT',
  syntax: 'STAT [<sp> pathname]',
  help: 'Without an argument, the session status; with one, a listing over the control connection.',
  access: 'none',
  duringTransfer: true,
  async handler(session, argument) {
    if (argument.trim()) {
      if (!session.account) throw new FtpError(530, 'Please login with USER and PASS.');
      return statPath(session, argument);
    }
    await session.reply(211, statusLines(session));
  },
};

function statusLines(session: FtpSession): string[] {
  const { account } = session;
  return [
    'classicd FTP server status:',
    `     Connected to ${session.context.remoteAddress}`,
    account ? `     Logged in as ${account.name}` : '     Not logged in',
    `     TYPE: ${session.transferType === 'A' ? 'ASCII' : 'BINARY'}, STRUcture: File, MODE: Stream`,
    `     Control connection: ${session.isSecure ? 'TLS' : 'plain'}; data protection: ${session.dataProtection === 'P' ? 'private' : 'clear'}`,
    session.transferInProgress
      ? `     Transfer in progress: ${session.transferDescription}`
      : '     No data connection',
    'End of status',
  ];
}

export const sessionCommands: readonly CommandSpec[] = [
  USER,
  PASS,
  ACCT,
  REIN,
  QUIT,
  NOOP,
  SYST,
  FEAT,
  OPTS,
  HELP,
  TYPE,
  STRU,
  MODE,
  ALLO,
  HOST,
  STAT,
];
