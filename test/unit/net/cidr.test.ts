import { describe, expect, it } from 'vitest';
import { canonicalAddress, matchesAny, parseCidr, type Cidr } from '../../../shared/net/cidr.js';

const blocks = (...texts: string[]): Cidr[] => texts.map((text) => parseCidr(text) as Cidr);

describe('parseCidr', () => {
  it.each([
    ['127.0.0.1', { family: 4, prefixLength: 32 }],
    ['10.0.0.0/8', { family: 4, prefixLength: 8 }],
    ['0.0.0.0/0', { family: 4, prefixLength: 0 }],
    ['::1', { family: 6, prefixLength: 128 }],
    ['fe80::/10', { family: 6, prefixLength: 10 }],
    ['::ffff:10.1.2.3/128', { family: 4, prefixLength: 32 }],
    ['::ffff:10.0.0.0/104', { family: 4, prefixLength: 8 }],
  ])('parses %s', (text, expected) => {
    expect(parseCidr(text)).toMatchObject(expected);
  });

  it.each([
    '',
    'localhost',
    '10.0.0.0/33',
    '::/129',
    '10.0.0.0/',
    '10.0.0.0/-1',
    '1.2.3.4/8x',
    '300.1.1.1',
    '10.0.0/8',
    '::ffff:10.0.0.0/64',
  ])('rejects %j', (text) => {
    expect(parseCidr(text)).toBeUndefined();
  });
});

describe('matchesAny', () => {
  it.each([
    ['10.1.2.3', ['10.0.0.0/8'], true],
    ['11.1.2.3', ['10.0.0.0/8'], false],
    ['192.168.1.255', ['192.168.1.0/24'], true],
    ['192.168.2.0', ['192.168.1.0/24'], false],
    ['203.0.113.7', ['0.0.0.0/0'], true],
    ['::ffff:10.9.9.9', ['10.0.0.0/8'], true],
    ['::1', ['::1/128'], true],
    ['::2', ['::1/128'], false],
    ['2001:db8::1', ['2001:db8::/32'], true],
    ['2001:db9::1', ['2001:db8::/32'], false],
    ['2001:db8:0:0:0:0:0:1', ['2001:db8::1'], true],
    ['127.0.0.1', ['::1'], false],
    ['::1', ['127.0.0.0/8'], false],
    ['not an address', ['0.0.0.0/0'], false],
  ])('%s in %j is %s', (address, cidrs, expected) => {
    expect(matchesAny(address, blocks(...cidrs))).toBe(expected);
  });

  it('matches nothing against an empty list', () => {
    expect(matchesAny('127.0.0.1', [])).toBe(false);
  });
});

describe('canonicalAddress', () => {
  it('unwraps IPv4-mapped IPv6 addresses', () => {
    expect(canonicalAddress('::ffff:127.0.0.1')).toBe('127.0.0.1');
    expect(canonicalAddress('::FFFF:127.0.0.1')).toBe('127.0.0.1');
    expect(canonicalAddress('2001:DB8::1')).toBe('2001:db8::1');
  });
});
