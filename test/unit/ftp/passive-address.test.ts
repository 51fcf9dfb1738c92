import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { FtpConfig } from '../../../services/ftp/config.js';
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
