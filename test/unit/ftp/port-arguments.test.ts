import { describe, expect, it } from 'vitest';
import {
  formatEpsvReply,
  formatPasvReply,
  parseEprtArgument,
  parseEpsvArgument,
  parsePortArgument,
} from '../../../services/ftp/data/port-arguments.js';

describe('parsePortArgument (RFC 959 4.1.2)', () => {
  it.each([
    ['127,0,0,1,4,1', '127.0.0.1', 1025],
    ['192,168,1,20,117,48', '192.168.1.20', 30000],
    ['10,0,0,1,255,255', '10.0.0.1', 65535],
    [' 127, 0, 0, 1, 0, 21 ', '127.0.0.1', 21], // parsed; the policy refuses the port later
    ['127,0,0,001,4,1', '127.0.0.1', 1025],
  ])('parses %j', (argument, address, port) => {
    expect(parsePortArgument(argument)).toEqual({ ok: true, family: 4, address, port });
  });

  it.each([
    '',
    '127,0,0,1,4',
    '127,0,0,1,4,1,1',
    '127,0,0,256,4,1',
    '127,0,0,1,4,256',
    '127,0,0,1,-4,1',
    '127,0,0,1,4,x',
    '127.0.0.1,4,1',
    '127,0,0,1,,1',
    '127,0,0,1,0,0',
    '1270,0,0,1,4,1',
    '127,0,0,1,4,1\r\nRETR x',
  ])('refuses %j with 501', (argument) => {
    expect(parsePortArgument(argument)).toMatchObject({ ok: false, code: 501 });
  });
});

describe('parseEprtArgument (RFC 2428 section 2)', () => {
  it.each([
    ['|1|132.235.1.2|6275|', 4, '132.235.1.2', 6275],
    ['|2|1080::8:800:200C:417A|5282|', 6, '1080::8:800:200c:417a', 5282],
    ['|2|::1|1025|', 6, '::1', 1025],
    ['|2|::ffff:127.0.0.1|1025|', 6, '::ffff:127.0.0.1', 1025],
    // One spelling per address (RFC 5952), so the anti-bounce comparison cannot be talked around.
    ['|2|0:0:0:0:0:0:0:1|1025|', 6, '::1', 1025],
    ['|2|0000::0001|1025|', 6, '::1', 1025],
    ['|2|::FFFF:7f00:1|1025|', 6, '::ffff:127.0.0.1', 1025],
    ['|2|2001:DB8:0:0:1:0:0:1|1025|', 6, '2001:db8::1:0:0:1', 1025],
    ['!1!10.0.0.1!2000!', 4, '10.0.0.1', 2000],
    [' |1|10.0.0.1|2000| ', 4, '10.0.0.1', 2000],
  ])('parses %j', (argument, family, address, port) => {
    expect(parseEprtArgument(argument)).toEqual({ ok: true, family, address, port });
  });

  it.each([
    ['', 501],
    ['|1|10.0.0.1|2000', 501],
    ['1|10.0.0.1|2000|', 501],
    ['|1|10.0.0.1|2000|x', 501],
    ['|1|10.0.0.1||', 501],
    ['|1|10.0.0.1|0|', 501],
    ['|1|10.0.0.1|65536|', 501],
    ['|1|10.0.0.1|99999999|', 501],
    ['|1|::1|2000|', 501],
    ['|2|10.0.0.1|2000|', 501],
    ['|2|fe80::1%eth0|2000|', 501],
    ['|1|localhost|2000|', 501],
    ['|x|10.0.0.1|2000|', 501],
    ['|3|10.0.0.1|2000|', 522],
    ['|0|10.0.0.1|2000|', 522],
    ['\u00a71\u00a710.0.0.1\u00a72000\u00a7', 501],
  ])('refuses %j with %i', (argument, code) => {
    expect(parseEprtArgument(argument)).toMatchObject({ ok: false, code });
  });
});

describe('parseEpsvArgument (RFC 2428 sections 3 and 4)', () => {
  it.each([
    ['', { kind: 'default' }],
    ['1', { kind: 'family', family: 4 }],
    ['2', { kind: 'family', family: 6 }],
    ['ALL', { kind: 'all' }],
    ['all', { kind: 'all' }],
    [' ALL ', { kind: 'all' }],
    ['3', { kind: 'unsupported' }],
    ['12', { kind: 'unsupported' }],
    ['x', { kind: 'invalid' }],
    ['1 2', { kind: 'invalid' }],
  ])('reads %j', (argument, expected) => {
    expect(parseEpsvArgument(argument)).toEqual(expected);
  });
});

describe('reply formats', () => {
  it('227 carries the address and port as six bytes', () => {
    expect(formatPasvReply('192.168.1.20', 30000)).toBe('Entering Passive Mode (192,168,1,20,117,48).');
    expect(formatPasvReply('127.0.0.1', 65535)).toBe('Entering Passive Mode (127,0,0,1,255,255).');
  });

  it('229 carries only the port', () => {
    expect(formatEpsvReply(30001)).toBe('Entering Extended Passive Mode (|||30001|)');
  });

  it('round-trips through the parser', () => {
    const text = formatPasvReply('10.1.2.3', 40000);
    const inner = /\((.*)\)/.exec(text)?.[1] ?? '';
    expect(parsePortArgument(inner)).toEqual({ ok: true, family: 4, address: '10.1.2.3', port: 40000 });
  });
});
