/**
 * The arguments and replies of the data-connection commands, as pure functions over strings:
 * PORT and the 227 reply (RFC 959 4.1.2), EPRT, EPSV and the 229 reply (RFC 2428 sections 2-4).
 * Policy (whose address, which ports) is not decided here; see data-connections.ts.
 */
import { isIPv4, isIPv6, SocketAddress } from 'node:net';

/** Where an active data connection should go, as the client asked. */
export interface HostPort {
  /** 4 for IPv4 (PORT, EPRT |1|), 6 for IPv6 (EPRT |2|): RFC 2428's network protocol numbers. */
  readonly family: 4 | 6;
  readonly address: string;
  readonly port: number;
}

export type ParseResult =
  | ({ readonly ok: true } & HostPort)
  /** 501: malformed; 522: a network protocol we do not speak (RFC 2428 section 2). */
  | { readonly ok: false; readonly code: 501 | 522; readonly reason: string };

const BYTE = /^\d{1,3}$/;

/**
 * `PORT h1,h2,h3,h4,p1,p2` (RFC 959 4.1.2): six decimal bytes, the IPv4 address then the port's
 * high and low byte. Spaces around the commas are tolerated, as some old clients send them.
 */
export function parsePortArgument(argument: string): ParseResult {
  const fields = argument
    .trim()
    .split(',')
    .map((field) => field.trim());
  if (fields.length !== 6 || !fields.every((field) => BYTE.test(field))) {
    return { ok: false, code: 501, reason: 'PORT takes six comma-separated numbers' };
  }
  const bytes = fields.map(Number);
  if (bytes.some((byte) => byte > 255)) return { ok: false, code: 501, reason: 'PORT numbers must be 0-255' };
  const [h1, h2, h3, h4, p1, p2] = bytes as [number, number, number, number, number, number];
  const port = p1 * 256 + p2;
  if (port === 0) return { ok: false, code: 501, reason: 'port 0' };
  return { ok: true, family: 4, address: `${h1}.${h2}.${h3}.${h4}`, port };
}

/**
 * `EPRT <d><net-prt><d><net-addr><d><tcp-port><d>` (RFC 2428 section 2). The delimiter is any
 * printable ASCII character (33-126); `|` is the usual one. Protocol 1 is IPv4 and 2 is IPv6; any
 * other gets 522 with the list we support.
 */
export function parseEprtArgument(argument: string): ParseResult {
  const text = argument.trim();
  const delimiter = text[0];
  if (delimiter === undefined || delimiter.charCodeAt(0) < 33 || delimiter.charCodeAt(0) > 126) {
    return { ok: false, code: 501, reason: 'EPRT needs a delimiter' };
  }
  const fields = text.split(delimiter);
  // "|1|1.2.3.4|5282|" splits into ['', '1', '1.2.3.4', '5282', ''].
  if (fields.length !== 5 || fields[0] !== '' || fields[4] !== '') {
    return { ok: false, code: 501, reason: 'EPRT takes |protocol|address|port|' };
  }
  const [, protocol = '', address = '', portText = ''] = fields;
  if (!/^\d+$/.test(protocol)) return { ok: false, code: 501, reason: 'EPRT protocol must be a number' };
  if (protocol !== '1' && protocol !== '2') {
    return { ok: false, code: 522, reason: 'Network protocol not supported, use (1,2)' };
  }
  const family = protocol === '1' ? 4 : 6;
  if (family === 4 ? !isIPv4(address) : !isIPv6(address) || address.includes('%')) {
    return { ok: false, code: 501, reason: `EPRT address is not an IPv${family} address` };
  }
  if (!/^\d{1,5}$/.test(portText)) return { ok: false, code: 501, reason: 'EPRT port must be a number' };
  const port = Number(portText);
  if (port < 1 || port > 65535) return { ok: false, code: 501, reason: 'EPRT port must be 1-65535' };
  return { ok: true, family, address: family === 6 ? canonicalIPv6(address) : address, port };
}

/**
 * One spelling per IPv6 address (RFC 5952, as inet_ntop(3) and Node's socket addresses write it):
 * `0:0:0:0:0:0:0:1`, `0::1` and `::1` are one address, and the anti-bounce check compares text.
 * An IPv4-mapped address keeps its dotted tail (`::ffff:127.0.0.1`), as Node reports them.
 */
function canonicalIPv6(address: string): string {
  return new SocketAddress({ address, family: 'ipv6' }).address;
}

/**
 * The 522 reply's text (RFC 2428 section 2): the network protocols the server would take instead,
 * here the control connection's own, since data connections use its address family.
 */
export function formatProtocolNotSupported(family: 4 | 6): string {
  return `Network protocol not supported, use (${family === 4 ? 1 : 2})`;
}

export type EpsvArgument =
  /** No argument: the control connection's protocol. */
  | { readonly kind: 'default' }
  | { readonly kind: 'family'; readonly family: 4 | 6 }
  /** RFC 2428 section 4: from now on only EPSV may set up data connections. */
  | { readonly kind: 'all' }
  | { readonly kind: 'unsupported' }
  | { readonly kind: 'invalid' };

/** `EPSV`, `EPSV 1`, `EPSV 2`, `EPSV ALL` (RFC 2428 sections 3 and 4). */
export function parseEpsvArgument(argument: string): EpsvArgument {
  const text = argument.trim();
  if (text === '') return { kind: 'default' };
  if (text.toUpperCase() === 'ALL') return { kind: 'all' };
  if (text === '1') return { kind: 'family', family: 4 };
  if (text === '2') return { kind: 'family', family: 6 };
  return /^\d+$/.test(text) ? { kind: 'unsupported' } : { kind: 'invalid' };
}

/** The 227 reply's text (RFC 959 4.1.2; the parentheses are what clients search for). */
export function formatPasvReply(ipv4: string, port: number): string {
  const h = ipv4.split('.').join(',');
  return `Entering Passive Mode (${h},${port >> 8},${port & 0xff}).`;
}

/** The 229 reply's text (RFC 2428 section 3): only the port; the host is the control peer. */
export function formatEpsvReply(port: number): string {
  return `Entering Extended Passive Mode (|||${port}|)`;
}
