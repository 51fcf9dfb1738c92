/**
 * Address blocks for allow/deny lists. Pure functions; no sockets.
 *
 * IPv4-mapped IPv6 addresses (`::ffff:192.0.2.1`, what a dual-stack listener reports for an IPv4
 * peer, RFC 4291 section 2.5.5.2) are matched as the IPv4 address they carry, so a rule written for
 * 192.0.2.0/24 holds whichever way the listener was bound.
 */
import { isIPv4, isIPv6 } from 'node:net';

export interface Cidr {
  readonly family: 4 | 6;
  readonly network: bigint;
  readonly prefixLength: number;
}

const MAPPED_V4_PREFIX = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i;

/** Parses `a.b.c.d`, `a.b.c.d/n`, an IPv6 address, or `x::/n`; undefined when malformed. */
export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf('/');
  const addressText = slash === -1 ? text : text.slice(0, slash);
  const address = parseAddress(addressText);
  if (!address) return undefined;
  const bits = address.family === 4 ? 32 : 128;
  let prefixLength = bits;
  if (slash !== -1) {
    const prefixText = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(prefixText)) return undefined;
    prefixLength = Number(prefixText);
    // A mapped block (`::ffff:10.0.0.0/104`) counts its prefix over 128 bits; as IPv4, over 32.
    if (MAPPED_V4_PREFIX.test(addressText)) prefixLength -= 96;
    if (prefixLength < 0 || prefixLength > bits) return undefined;
  }
  return { family: address.family, network: maskTo(address.value, bits, prefixLength), prefixLength };
}

/** True when `address` lies inside any of the blocks. */
export function matchesAny(address: string, blocks: readonly Cidr[]): boolean {
  const parsed = parseAddress(address);
  if (!parsed) return false;
  const bits = parsed.family === 4 ? 32 : 128;
  return blocks.some(
    (block) => block.family === parsed.family && maskTo(parsed.value, bits, block.prefixLength) === block.network,
  );
}

/** Strips the IPv4-mapped prefix so that one client has one name in limits and logs. */
export function canonicalAddress(address: string): string {
  const mapped = MAPPED_V4_PREFIX.exec(address);
  return mapped?.[1] ?? address.toLowerCase();
}

function parseAddress(text: string): { family: 4 | 6; value: bigint } | undefined {
  const plain = canonicalAddress(text);
  if (isIPv4(plain)) return { family: 4, value: ipv4ToBigInt(plain) };
  if (isIPv6(plain)) return { family: 6, value: ipv6ToBigInt(plain) };
  return undefined;
}

function ipv4ToBigInt(text: string): bigint {
  return text.split('.').reduce((acc, octet) => (acc << 8n) | BigInt(Number(octet)), 0n);
}

function ipv6ToBigInt(text: string): bigint {
  // An embedded dotted quad (`::1.2.3.4`) stands for the last two groups.
  let body = text.replace(/%.*$/, '');
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(body);
  if (dotted?.[1]) {
    const v4 = ipv4ToBigInt(dotted[1]);
    body = body.slice(0, -dotted[1].length) + `${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const [head = '', tail] = body.split('::');
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const missing = 8 - headGroups.length - tailGroups.length;
  const groups = [...headGroups, ...Array<string>(tail === undefined ? 0 : missing).fill('0'), ...tailGroups];
  return groups.reduce((acc, group) => (acc << 16n) | BigInt(parseInt(group, 16)), 0n);
}

function maskTo(value: bigint, bits: number, prefixLength: number): bigint {
  const hostBits = BigInt(bits - prefixLength);
  return (value >> hostBits) << hostBits;
}
