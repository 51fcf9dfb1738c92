/**
 * Setting up the data connection: PASV (RFC 959 4.1.2), EPSV and EPRT (RFC 2428), PORT (RFC 959
 * 4.1.2). What may be connected where is decided in data/data-connections.ts; these handlers parse,
 * check the command fits the session, and reply.
 */
import { badSequence, FtpError, syntaxError } from '../errors.js';
import { pasvAddress } from '../data/passive-address.js';
import {
  formatEpsvReply,
  formatPasvReply,
  formatProtocolNotSupported,
  parseEprtArgument,
  parseEpsvArgument,
  parsePortArgument,
  type ParseResult,
} from '../data/port-arguments.js';
import type { FtpSession } from '../session.js';
import type { CommandSpec } from './command-spec.js';

/** RFC 2428 section 4: after EPSV ALL only EPSV may set up data connections. */
function refuseAfterEpsvAll(session: FtpSession, verb: string): void {
  if (session.epsvAllOnly) throw badSequence(`${verb} not allowed after EPSV ALL.`);
}

function requirePassive(session: FtpSession): void {
  if (!session.config.passive.enabled) throw new FtpError(502, 'Passive mode is disabled here; use PORT or EPRT.');
}

function requireActive(session: FtpSession): void {
  if (!session.config.active.enabled) throw new FtpError(502, 'Active mode is disabled here; use PASV or EPSV.');
}

const PASV: CommandSpec = {
  verb: 'PASV',
  syntax: 'PASV',
  help: 'Listen for a data connection (IPv4).',
  access: 'login',
  async handler(session) {
    refuseAfterEpsvAll(session, 'PASV');
    requirePassive(session);
    // A 227 reply can only carry an IPv4 address; IPv6 clients use EPSV (RFC 2428 section 1). RFC
    // 2428 leaves the refusal open; 522 with the protocol to use is what EPSV and EPRT answer too.
    if (session.data.family !== 4) {
      throw new FtpError(522, `${formatProtocolNotSupported(session.data.family)}: PASV is IPv4 only; use EPSV.`);
    }
    const { data } = session;
    const address = await pasvAddress(session.config.passive, data.clientAddress, data.localAddress, () => session.log);
    const port = await data.listenPassive();
    await session.reply(227, formatPasvReply(address, port));
  },
};

const EPSV: CommandSpec = {
  verb: 'EPSV',
  syntax: 'EPSV [<sp> 1 | 2 | ALL]',
  help: 'Listen for a data connection; the reply gives only the port (RFC 2428).',
  access: 'login',
  feature: (session) => (session.config.passive.enabled ? 'EPSV' : undefined),
  async handler(session, argument) {
    requirePassive(session);
    const parsed = parseEpsvArgument(argument);
    const family = session.data.family;
    // RFC 2428 section 3: 522 names the protocol(s) the server would use instead.
    const useInstead = formatProtocolNotSupported(family);
    switch (parsed.kind) {
      case 'all':
        // Section 4: a promise from the client (for NAT boxes) that it will not use PORT/PASV.
        session.epsvAllOnly = true;
        return session.reply(200, 'EPSV ALL ok.');
      case 'invalid':
        throw syntaxError('EPSV takes 1, 2 or ALL.');
      case 'unsupported':
        throw new FtpError(522, useInstead);
      case 'family':
        // We listen where the control connection arrived, so only its protocol can be offered.
        if (parsed.family !== family) throw new FtpError(522, useInstead);
        break;
      case 'default':
        break;
    }
    const port = await session.data.listenPassive();
    await session.reply(229, formatEpsvReply(port));
  },
};

async function setActive(session: FtpSession, verb: string, parsed: ParseResult): Promise<void> {
  if (!parsed.ok) {
    session.log.info({ cmd: verb, reason: parsed.reason }, 'malformed active-mode argument');
    throw new FtpError(parsed.code, `${parsed.reason}.`);
  }
  session.data.setActive(parsed, verb);
  // vsftpd's wording, which points at passive mode; over IPv6 PASV is 522 (RFC 2428), so name EPSV.
  const passive = session.data.family === 4 ? 'PASV' : 'EPSV';
  await session.reply(200, `${verb} command successful. Consider using ${passive}.`);
}

const PORT: CommandSpec = {
  verb: 'PORT',
  syntax: 'PORT <sp> h1,h2,h3,h4,p1,p2',
  help: 'Have the server connect to this IPv4 address and port for the data.',
  access: 'login',
  async handler(session, argument) {
    refuseAfterEpsvAll(session, 'PORT');
    requireActive(session);
    await setActive(session, 'PORT', parsePortArgument(argument));
  },
};

const EPRT: CommandSpec = {
  verb: 'EPRT',
  syntax: 'EPRT <sp> |proto|address|port|',
  help: 'Have the server connect to this address (IPv4 or IPv6) and port (RFC 2428).',
  access: 'login',
  feature: (session) => (session.config.active.enabled ? 'EPRT' : undefined),
  async handler(session, argument) {
    refuseAfterEpsvAll(session, 'EPRT');
    requireActive(session);
    const parsed = parseEprtArgument(argument);
    // RFC 2428 section 2: the 522 names the protocols the server would take, and data connections
    // here use the control connection's, so only that one.
    if (!parsed.ok && parsed.code === 522) {
      throw new FtpError(522, `${formatProtocolNotSupported(session.data.family)}.`);
    }
    await setActive(session, 'EPRT', parsed);
  },
};

export const dataCommands: readonly CommandSpec[] = [PASV, EPSV, PORT, EPRT];
