import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { FtpConfig } from '../../../services/ftp/config.js';
import { HostResolver, type Ipv4Lookup } from '../../../services/ftp/data/host-resolver.js';
import { configuredAddressFor, pasvAddress } from '../../../services/ftp/data/passive-address.js';

const log = pino({ level: 'silent' });

function passive(address: string, rules: { network: string; address: string }[] = []): FtpConfig['passive'] {
  return { enabled: true, ports: '30000-30099', address, rules, acceptTimeoutMs: 1000 };
}

describe('configuredAddressFor', () => {
  const config = passive('203.0.113.5', [
    { network: '192.168.0.0/16', address: '192.168.1.10' },
    { network: '10.0.0.0/8', address: 'auto' },
  ]);

  it.each([
    ['192.168.7.7', '192.168.1.10'],
    ['::ffff:192.168.7.7', '192.168.1.10'],
    ['10.1.1.1', 'auto'],
    ['198.51.100.1', '203.0.113.5'],
  ])('%s is told %s', (client, expected) => {
    expect(configuredAddressFor(config, client)).toBe(expected);
  });
});

describe('pasvAddress', () => {
  it('auto is the local address', async () => {
    expect(await pasvAddress(passive('auto'), '127.0.0.1', '127.0.0.1', () => log)).toBe('127.0.0.1');
  });

  it('a literal is used as it is, a mapped one unwrapped', async () => {
    expect(await pasvAddress(passive('203.0.113.5'), '127.0.0.1', '127.0.0.1', () => log)).toBe('203.0.113.5');
    expect(await pasvAddress(passive('::ffff:203.0.113.5'), '127.0.0.1', '127.0.0.1', () => log)).toBe('203.0.113.5');
  });

  it('a host name is looked up', async () => {
    expect(await pasvAddress(passive('localhost'), '10.0.0.1', '10.0.0.2', () => log)).toBe('127.0.0.1');
  });

  it('an IPv6 literal cannot go in a 227 reply: the local address is used', async () => {
    expect(await pasvAddress(passive('2001:db8::1'), '127.0.0.1', '127.0.0.3', () => log)).toBe('127.0.0.3');
  });
});

describe('HostResolver: configured host names, looked up now and then, not at every PASV', () => {
  function counting(answer: (name: string) => string | undefined): { lookup: Ipv4Lookup; calls: string[] } {
    const calls: string[] = [];
    const lookup: Ipv4Lookup = async (name) => {
      calls.push(name);
      const found = answer(name);
      if (found === undefined) throw new Error(`ENOTFOUND ${name}`);
      return found;
    };
    return { lookup, calls };
  }

  it('keeps an answer for 30 s, then looks again (a dynamic-DNS name moves)', async () => {
    let clock = 0;
    let address = '203.0.113.1';
    const { lookup, calls } = counting(() => address);
    const resolver = new HostResolver(lookup, () => clock);
    expect(await resolver.resolve('ftp.example.org', () => log)).toBe('203.0.113.1');
    address = '203.0.113.2';
    clock = 29_000;
    expect(await resolver.resolve('ftp.example.org', () => log)).toBe('203.0.113.1');
    clock = 31_000;
    expect(await resolver.resolve('ftp.example.org', () => log)).toBe('203.0.113.2');
    expect(calls).toHaveLength(2);
  });

  it('a name that does not resolve: the local address, one warning a minute, a lookup every 5 s at most', async () => {
    let clock = 0;
    const { lookup, calls } = counting(() => undefined);
    const resolver = new HostResolver(lookup, () => clock);
    const warnings: string[] = [];
    const warnLog = pino({ level: 'warn' }, { write: (line: string) => warnings.push(line) });
    const config = passive('nowhere.invalid');
    for (const at of [0, 1_000, 6_000, 12_000, 61_000]) {
      clock = at;
      expect(await pasvAddress(config, '192.0.2.9', '10.0.0.2', () => warnLog, resolver)).toBe('10.0.0.2');
    }
    expect(calls).toHaveLength(4); // 0, 6 s, 12 s, 61 s: the failure at 0 stood until 5 s
    expect(warnings).toHaveLength(2); // at 0 and at 61 s
  });
});
