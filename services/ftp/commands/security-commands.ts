/**
 * FTP over TLS (RFC 4217, on the framework of RFC 2228): AUTH, PBSZ, PROT and a refused CCC.
 *
 * The order RFC 4217 requires: AUTH TLS, then PBSZ 0, then PROT; each step out of order is a
 * bad sequence (503). AUTH SSL (what curl --ssl-reqd sends first), AUTH TLS-C and AUTH TLS-P are
 * the old drafts' names; AUTH SSL and AUTH TLS-P also set PROT P, as those drafts said and vsftpd
 * does: a client of that era expects its data protected without asking (curl asks anyway).
 */
import { badSequence, FtpError, notImplementedParameter, syntaxError } from '../errors.js';
import type { FtpSession } from '../session.js';
import type { FtpTls } from '../tls/ftp-tls.js';
import { upgradeControlConnection } from '../tls/control-tls.js';
import type { CommandSpec } from './command-spec.js';

const MECHANISMS = new Set(['TLS', 'SSL', 'TLS-C', 'TLS-P']);

/** RFC 2228 section 3: PBSZ is a decimal integer that fits in 32 bits. */
const MAX_PBSZ = 2 ** 32 - 1;

function tlsOf(session: FtpSession): FtpTls {
  const tls = session.shared.tls;
  if (!tls) throw new FtpError(502, 'TLS is not enabled on this server.');
  return tls;
}

const AUTH: CommandSpec = {
  verb: 'AUTH',
  syntax: 'AUTH <sp> TLS',
  help: 'Protect the control connection with TLS (also AUTH SSL, TLS-C, TLS-P).',
  access: 'none',
  // RFC 4217: a server offering TLS lists AUTH TLS in FEAT; AUTH SSL too, for the clients that ask.
  feature: (session) => (session.shared.tls ? ['AUTH TLS', 'AUTH SSL'] : undefined),
  async handler(session, argument) {
    const tls = tlsOf(session);
    const mechanism = argument.trim().toUpperCase();
    if (!mechanism) throw syntaxError('AUTH needs a mechanism: AUTH TLS.');
    // RFC 2228 section 3: a mechanism the server does not know is 504.
    if (!MECHANISMS.has(mechanism))
      throw notImplementedParameter(`AUTH ${mechanism.slice(0, 16)} not supported; use AUTH TLS.`);
    if (session.isSecure) throw badSequence('Already protected by TLS.');
    // RFC 4217 section 4.1: 234, then the client starts the handshake.
    await session.reply(234, `AUTH ${mechanism} OK, proceed with negotiation.`);
    await upgradeControlConnection(session, tls);
    // RFC 2228 section 3 (AUTH): an accepted AUTH drops earlier security state and the login,
    // which must be given again, now under protection.
    if (session.login.kind === 'logged-in') session.reinitialize();
    else session.login = { kind: 'awaiting-user' };
    session.protectionBufferSizeSet = false;
    session.dataProtection = mechanism === 'TLS-P' || mechanism === 'SSL' ? 'P' : 'C';
  },
};

const PBSZ: CommandSpec = {
  verb: 'PBSZ',
  syntax: 'PBSZ <sp> 0',
  help: 'Protection buffer size; with TLS always 0. Comes after AUTH TLS, before PROT.',
  access: 'none',
  feature: (session) => (session.shared.tls ? 'PBSZ' : undefined),
  async handler(session, argument) {
    tlsOf(session);
    // RFC 2228 section 3 and RFC 4217 section 8-9: only after a completed security exchange.
    if (!session.isSecure) throw badSequence('PBSZ must follow AUTH TLS.');
    const size = argument.trim();
    if (!/^\d{1,10}$/.test(size) || Number(size) > MAX_PBSZ) throw syntaxError('PBSZ takes a number: PBSZ 0.');
    session.protectionBufferSizeSet = true;
    // TLS does its own framing, so any size the client proposes becomes 0 (RFC 4217 section 9).
    await session.reply(200, 'PBSZ=0');
  },
};

const PROT: CommandSpec = {
  verb: 'PROT',
  syntax: 'PROT <sp> C | P',
  help: 'Data connection protection: C (clear) or P (private, TLS). Comes after PBSZ.',
  access: 'none',
  feature: (session) => (session.shared.tls ? 'PROT' : undefined),
  async handler(session, argument) {
    tlsOf(session);
    if (!session.isSecure) throw badSequence('PROT must follow AUTH TLS and PBSZ.');
    // RFC 2228 section 3: PROT must be preceded by PBSZ.
    if (!session.protectionBufferSizeSet) throw badSequence('PROT must follow PBSZ.');
    const level = argument.trim().toUpperCase();
    switch (level) {
      case 'C':
        session.dataProtection = 'C';
        return session.reply(200, 'PROT now Clear.');
      case 'P':
        session.dataProtection = 'P';
        return session.reply(200, 'PROT now Private.');
      case 'S':
      case 'E':
        // RFC 2228: 536, the level is not supported by the security mechanism (TLS has only C and P).
        throw new FtpError(536, `PROT ${level} not supported with TLS; use C or P.`);
      case '':
        throw syntaxError('PROT needs a level: C or P.');
      default:
        throw notImplementedParameter(`PROT ${level.slice(0, 16)} not understood; use C or P.`);
    }
  },
};

const CCC: CommandSpec = {
  verb: 'CCC',
  syntax: 'CCC',
  help: 'Clear the control connection; refused: once protected, it stays protected.',
  access: 'none',
  async handler(session) {
    tlsOf(session);
    // RFC 2228 section 3: CCC on an unprotected connection is 533.
    if (!session.isSecure) throw new FtpError(533, 'The control connection is not protected.');
    // RFC 4217 section 5: a server that will not clear the control connection answers 534.
    throw new FtpError(534, 'CCC refused: the control connection stays protected.');
  },
};

export const securityCommands: readonly CommandSpec[] = [AUTH, PBSZ, PROT, CCC];
