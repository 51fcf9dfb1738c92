import { describe, expect, it } from 'vitest';
import { parseCommandLine, stripTelnet, telnetRefusals } from '../../../services/ftp/command-line.js';
import { formatReply, quotePath, replyWire } from '../../../services/ftp/reply.js';

const bytes = (...parts: (string | number[])[]): Buffer =>
  Buffer.concat(parts.map((part) => (typeof part === 'string' ? Buffer.from(part, 'utf8') : Buffer.from(part))));

describe('stripTelnet', () => {
  it.each([
    ['plain text is untouched', bytes('RETR a'), 'RETR a'],
    ['IAC IP IAC DM before ABOR (RFC 959 4.1.3)', bytes([0xff, 0xf4, 0xff, 0xf2], 'ABOR'), 'ABOR'],
    ['IAC IP then a bare DM (BSD ftp: the second IAC went urgent)', bytes([0xff, 0xf4, 0xf2], 'ABOR'), 'ABOR'],
    ['a bare DM (the whole IAC DM went urgent)', bytes([0xf2], 'ABOR'), 'ABOR'],
    ['IAC IP IAC without its DM (lftp: only the DM went urgent)', bytes([0xff, 0xf4, 0xff], 'ABOR'), 'ABOR'],
    ['an IAC before the verb is dropped (its command went urgent)', bytes([0xff], 'NOOP'), 'NOOP'],
    ['option negotiation is dropped', bytes([0xff, 0xfb, 0x01], 'NOOP'), 'NOOP'],
    ['a subnegotiation is dropped', bytes('NO', [0xff, 0xfa, 0x18, 0x01, 0xff, 0xf0], 'OP'), 'NOOP'],
  ])('%s', (_name, input, expected) => {
    expect(stripTelnet(input).toString('latin1')).toBe(expected);
  });

  it('IAC IAC stands for one 0xFF byte', () => {
    expect([...stripTelnet(bytes('a', [0xff, 0xff], 'b'))]).toEqual([0x61, 0xff, 0x62]);
  });

  it('keeps a lone 0xFF within a line before a byte that is no Telnet command (a Latin-1 ÿ, undoubled)', () => {
    expect(stripTelnet(bytes('CWD caf', [0xff])).toString('latin1')).toBe('CWD caf\xff');
    expect(stripTelnet(bytes('CWD ', [0xff], 'x')).toString('latin1')).toBe('CWD \xffx');
    expect(stripTelnet(bytes('CWD x', [0xff, 0xf1], 'y')).toString('latin1')).toBe('CWD xy'); // IAC NOP
  });
});

describe('telnetRefusals', () => {
  it.each([
    ['no IAC: nothing to answer', bytes('NOOP'), undefined],
    [
      'WILL gets DONT, DO gets WONT',
      bytes([0xff, 0xfb, 0x01, 0xff, 0xfd, 0x03], 'NOOP'),
      [0xff, 0xfe, 0x01, 0xff, 0xfc, 0x03],
    ],
    ['WONT and DONT ask for what holds: no answer (RFC 1143)', bytes([0xff, 0xfc, 0x01, 0xff, 0xfe, 0x03]), undefined],
    ['IAC IAC is a data byte, not a command', bytes([0xff, 0xff, 0xfb, 0x01]), undefined],
    ['a WILL inside a subnegotiation is its data', bytes([0xff, 0xfa, 0x18, 0xfb, 0x01, 0xff, 0xf0]), undefined],
    ["ABOR's IAC IP IAC DM needs no answer", bytes([0xff, 0xf4, 0xff, 0xf2], 'ABOR'), undefined],
    ['a WILL cut off at the end of the line is not answered', bytes('NOOP', [0xff, 0xfb]), undefined],
  ])('%s', (_name, input, expected) => {
    const refusals = telnetRefusals(input);
    expect(refusals === undefined ? undefined : [...refusals]).toEqual(expected);
  });
});

describe('parseCommandLine', () => {
  it.each([
    ['retr file.txt', 'RETR', 'file.txt'],
    ['STOR name with  spaces.txt', 'STOR', 'name with  spaces.txt'],
    ['NOOP', 'NOOP', ''],
    ['  pwd', 'PWD', ''],
    ['CWD /ünïcødé', 'CWD', '/ünïcødé'],
    ['LIST -la /pub', 'LIST', '-la /pub'],
    ['NOOP\t', 'NOOP', ''],
    ['SYST\r ', 'SYST', ''],
  ])('%j', (line, verb, argument) => {
    expect(parseCommandLine(Buffer.from(line))).toEqual({ ok: true, verb, argument });
  });

  it('keeps bytes that are not UTF-8 as escaped raw bytes, to name a file by its very bytes', () => {
    expect(parseCommandLine(bytes('CWD caf', [0xe9]))).toEqual({ ok: true, verb: 'CWD', argument: 'caf\uDCE9' });
    expect(parseCommandLine(bytes('CWD ', [0xc3, 0x28]))).toEqual({ ok: true, verb: 'CWD', argument: '\uDCC3(' });
  });

  it('takes no verb with bytes that are not UTF-8 in it', () => {
    expect(parseCommandLine(bytes('NO', [0xe9, 0x4f, 0x50]))).toEqual({ ok: false, reason: 'malformed' });
  });

  it.each(['CWD\tpub', 'NOOP\rX', 'topsecret10', '\u0000PASSsecret', '123'])(
    'refuses %j: a verb is letters, then a space or the end',
    (line) => {
      expect(parseCommandLine(Buffer.from(line))).toEqual({ ok: false, reason: 'malformed' });
    },
  );

  it('treats a blank line as no command', () => {
    expect(parseCommandLine(Buffer.from('   '))).toEqual({ ok: false, reason: 'empty' });
  });
});

describe('formatReply (RFC 959 4.2)', () => {
  it('writes one line', () => {
    expect(formatReply(200, 'OK.')).toBe('200 OK.\r\n');
  });

  it('shows control characters as ?, so a name cannot drive the user terminal; a tab stays', () => {
    expect(formatReply(257, '"/esc\u001b[31m\u0000\u009b\tx" created.')).toBe('257 "/esc?[31m??\tx" created.\r\n');
  });

  it('writes a multi-line reply with the code on the first and last line', () => {
    expect(formatReply(211, ['Features:', ' MDTM', ' SIZE', 'End'])).toBe(
      '211-Features:\r\n MDTM\r\n SIZE\r\n211 End\r\n',
    );
  });

  it('pads a middle line that looks like a reply code', () => {
    expect(formatReply(213, ['Status:', '226 looks like an end', 'End'])).toBe(
      '213-Status:\r\n 226 looks like an end\r\n213 End\r\n',
    );
  });

  it('never lets CR or LF inside the text forge a line', () => {
    expect(formatReply(550, 'x\r\n230 Login successful.')).toBe('550 x  230 Login successful.\r\n');
  });

  it('doubles quotes in paths (RFC 959 appendix II)', () => {
    expect(quotePath('/a"b')).toBe('"/a""b"');
  });
});

describe('replyWire', () => {
  it('sends UTF-8 as UTF-8 and a raw byte as itself, 0xFF doubled for Telnet (RFC 854), as vsftpd does', () => {
    expect(replyWire('257 "/é"\r\n')).toBe('257 "/é"\r\n'); // written as UTF-8 by the socket
    expect((replyWire('257 "/caf\uDCE9\uDCFF"\r\n') as Buffer).toString('latin1')).toBe('257 "/caf\xe9\xff\xff"\r\n');
  });
});
