/**
 * The IPv4 address a 227 reply advertises (RFC 959 4.1.2). EPSV needs none: its reply carries only
 * the port and the client reuses the control connection's address (RFC 2428 section 3).
 *
 * Behind NAT the address the server sees on its socket is not the one clients can reach, so the
 * config names one (`passive.address`, a literal or a host name), and `passive.rules` can give
 * clients in some networks another (LAN clients behind the same NAT want the private address).
 * `auto` is the address the client connected to.
 */
import { isIP, isIPv4 } from 'node:net';
import type { Logger } from 'pino';
import { canonicalAddress, matchesAny, parseCidr, type Cidr } from '../../../shared/net/cidr.js';
import type { FtpConfig } from '../config.js';
import { HostResolver } from './host-resolver.js';

/** Which configured address applies to this client: the first matching rule's, else the default. */
export function configuredAddressFor(passive: FtpConfig['passive'], clientAddress: string): string {
  for (const rule of passive.rules) {
    const block = parseCidr(rule.network) as Cidr; // validated by the config schema
    if (matchesAny(clientAddress, [block])) return rule.address;
  }
  return passive.address;
}

/** The worker's lookups of configured host names (host-resolver.ts). */
const workerResolver = new HostResolver();

/**
 * The IPv4 address to put in the 227 reply. A host name is looked up (it may be a dynamic-DNS
 * name; answers are kept a while, host-resolver.ts); when it cannot be resolved to IPv4, the local
 * address is used, and logged.
 */
export async function pasvAddress(
  passive: FtpConfig['passive'],
  clientAddress: string,
  localAddress: string,
  /** Called only to write a line (the session's logger is made on first use). */
  log: () => Logger,
  resolver: HostResolver = workerResolver,
): Promise<string> {
  const configured = configuredAddressFor(passive, clientAddress);
  if (configured === 'auto') return localAddress;
  const literal = canonicalAddress(configured);
  if (isIPv4(literal)) return literal;
  if (isIP(literal)) {
    // The config refuses IPv6 addresses here; an older file may still hold one.
    log().warn({ address: configured }, 'passive address is not IPv4; advertising the local one');
    return localAddress;
  }
  return (await resolver.resolve(configured, log)) ?? localAddress;
}
