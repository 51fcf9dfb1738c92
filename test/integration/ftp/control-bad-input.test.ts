/**
 * The control connection's limits, each crossed: an overlong line, invalid UTF-8, unknown verbs,
 * commands out of sequence, too many failed logins, too many errors in a row. Each gets its reply
 * and the session goes on, or closes cleanly with 421, and the server keeps serving others.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startClassicd, type RunningClassicd } from '../../helpers/classicd.js';
import { FtpClient } from '../../helpers/ftp.js';
import { metricReaches, tcpExchange } from '../../helpers/net.js';
import { ftpTestConfig, localUser, PASSWORD, tempDir } from './data-fixture.js';

let server: RunningClassicd;
let root: ReturnType<typeof tempDir>;

beforeAll(async () => {
  root = tempDir('classicd-ftp-bad-input-');
  // data-fixture sets login.maxFailures to 3 and maxLineBytes keeps its default, 4096.
  server = await startClassicd(
    ftpTestConfig({ anonymousRoot: root.path, users: [await localUser('alice', root.path)] }),
  );
});

afterAll(async () => {
  await server?.stop();
  root?.remove();
});

describe('FTP control connection limits', () => {
  it('answers an overlong line with 500 and goes on (maxLineBytes)', async () => {
    const ftp = await FtpClient.connect(server.port('ftp'));
    expect((await ftp.command(`NOOP ${'x'.repeat(5000)}`)).code).toBe(500);
    await ftp.expect('NOOP', 200);
    await ftp.quit();
  });

  // RFC 1123 3.2.1: a host refuses an option it does not support: DONT for WILL, WONT for DO.
  it('refuses Telnet options on the control connection ahead of the reply, and answers the command', async () => {
    const IAC = 0xff;
    const negotiation = [IAC, 0xfd, 0x01, IAC, 0xfb, 0x1f, IAC, 0xfc, 0x03]; // DO ECHO, WILL NAWS, WONT SGA
    const wire = await tcpExchange(
      server.port('ftp'),
      Buffer.concat([Buffer.from(negotiation), Buffer.from('NOOP\r\nQUIT\r\n')]),
    );
    const afterBanner = wire.subarray(wire.indexOf('\r\n') + 2);
    expect([...afterBanner.subarray(0, 6)]).toEqual([IAC, 0xfc, 0x01, IAC, 0xfe, 0x1f]); // WONT ECHO, DONT NAWS
    expect(afterBanner.subarray(6).toString('latin1')).toMatch(/^200 .*\r\n221 /);
  });

  // Bytes that are not UTF-8 name a file by its raw bytes (fs-raw-names.test.ts), as vsftpd has it;
  // in a verb they make no command.
  it('takes invalid UTF-8 as a name that is not there (550), in a verb as no command (500), and goes on', async () => {
    const ftp = await FtpClient.connect(server.port('ftp'));
    await ftp.login('alice', PASSWORD);
    ftp.socket.write(Buffer.from([0x43, 0x57, 0x44, 0x20, 0xc3, 0x28, 0x0d, 0x0a])); // "CWD " + bad UTF-8
    expect((await ftp.reply()).code).toBe(550);
    ftp.socket.write(Buffer.from([0x4e, 0x4f, 0xe9, 0x4f, 0x50, 0x0d, 0x0a])); // "NO\xe9OP"
    expect((await ftp.reply()).code).toBe(500);
    await ftp.expect('NOOP', 200);
    await ftp.quit();
  });

  it('keeps a password run onto PASS (a typo, so an unknown verb) out of the log and the reply', async () => {
    const ftp = await FtpClient.connect(server.port('ftp'));
    await ftp.expect('USER alice', 331);
    for (const typo of [
      'PASSsecret',
      'PASSsecretletters',
      'PASSsecret123',
      '\u0000PASSsecretnul',
      'ACCTsecretaccount',
      // A password typed at the command prompt: no FTP verb is longer than four letters.
      'topsecretwords',
      'secret10',
    ]) {
      const reply = await ftp.command(typo);
      expect(reply.code).toBe(500);
      expect(reply.text.toLowerCase()).not.toContain('secret');
    }
    await ftp.quit();
    await server.waitForLine((line) => line.msg === 'unknown command' && line.cmdLength === 'topsecretwords'.length);
    expect(JSON.stringify(server.lines).toLowerCase()).not.toContain('secret');
  });

  // NOOP between bad commands resets the consecutive-error count, so the session goes on; its log
  // lines must not (20,000 in a second from one client before).
  it("logs a session's first faults at info, then says so once and logs no more at info", async () => {
    const ftp = await FtpClient.connect(server.port('ftp'));
    for (let i = 0; i < 60; i++) {
      expect((await ftp.command('XYZW')).code).toBe(500);
      await ftp.expect('NOOP', 200);
    }
    await ftp.quit();
    const sid = (
      await server.waitForLine(
        (line) => line.msg === 'further lines of this kind are logged at debug level' && line.kind === 'bad input',
      )
    ).sid;
    await server.waitForLine((line) => line.msg === 'session end' && line.sid === sid);
    const faults = server.lines.filter((line) => line.sid === sid && line.msg === 'unknown command');
    expect(faults).toHaveLength(20);
  });

  // vsftpd answers these 500 too. Taking `CWD<TAB>pub` for CWD without its argument answered 250
  // and stayed in /; `NOOP<CR>X` was a NOOP.
  it('answers a verb followed by anything but a space with 500, and does not run it', async () => {
    const ftp = await FtpClient.connect(server.port('ftp'));
    await ftp.login();
    await ftp.expect('CWD /', 250);
    for (const line of ['CWD\tpub', 'CWD\rpub', 'NOOP\rX', 'CDUP\u000bx', 'TYPE\tI']) {
      expect((await ftp.command(line)).code).toBe(500);
    }
    expect((await ftp.command('PWD')).text).toContain('"/"');
    await ftp.quit();
  });

  it('answers an unknown verb with 500, and commands out of sequence with 503 or 530', async () => {
    const ftp = await FtpClient.connect(server.port('ftp'));
    expect((await ftp.command('FROB x')).code).toBe(500);
    expect((await ftp.command('PASS secret')).code).toBe(503); // PASS without USER (RFC 959 4.1.1)
    expect((await ftp.command('RETR x')).code).toBe(530); // before login
    await ftp.login();
    expect((await ftp.command('RNTO y')).code).toBe(503); // RNTO without RNFR (RFC 959 4.1.3)
    await ftp.quit();
  });

  it('answers known commands with bad parameters 501, and one not implemented 502', async () => {
    const ftp = await FtpClient.connect(server.port('ftp'));
    // RFC 7151 section 3.1: a host name or an IP literal; then 220 for one that is.
    for (const host of ['a b c', '!!!', '[zz]', '-bad.example'])
      expect((await ftp.command(`HOST ${host}`)).code).toBe(501);
    for (const host of ['ftp.example.org', '192.0.2.1', '[2001:db8::1]']) {
      expect((await ftp.command(`HOST ${host}`)).code).toBe(220);
    }
    // RFC 2389 section 4: an OPTS the server cannot take is 501 (opts-bad is 451 or 501).
    expect((await ftp.command('OPTS FOO')).code).toBe(501);
    expect((await ftp.command('OPTS')).code).toBe(501);
    // UTF-8 is always on: OFF is refused rather than acknowledged and ignored (vsftpd: 501 too).
    expect((await ftp.command('OPTS UTF8 OFF')).code).toBe(501);
    expect((await ftp.command('OPTS UTF8 ON')).code).toBe(200);
    await ftp.login();
    // RFC 959 5.3.2: ALLO takes a decimal byte count, optionally R and a record size.
    for (const [line, code] of [
      ['ALLO', 501],
      ['ALLO x', 501],
      ['ALLO 1024', 202],
      ['ALLO 1024 R 512', 202],
      ['SMNT /', 502], // RFC 959 4.2.1: known, not implemented
      ['CWD', 501], // RFC 959 5.3.1: CWD <SP> <pathname>
    ] as const) {
      expect((await ftp.command(line)).code, line).toBe(code);
    }
    await ftp.quit();
  });

  it('closes with 421 after login.maxFailures wrong passwords', async () => {
    const ftp = await FtpClient.connect(server.port('ftp'));
    for (let attempt = 1; attempt < 3; attempt++) {
      await ftp.expect('USER alice', 331);
      await ftp.expect('PASS wrong', 530);
    }
    await ftp.expect('USER alice', 331);
    await ftp.expect('PASS wrong', 421);
    await ftp.closed;
    // The log comes on another pipe than the replies: wait for the third failure's line.
    await server.waitForLine((line) => line.msg === 'login failed' && line.failures === 3);
    const failures = server.lines.filter((line) => line.msg === 'login failed');
    expect(failures.length).toBeGreaterThanOrEqual(3);
    expect(JSON.stringify(failures)).not.toContain('wrong'); // passwords never reach the log
  });

  it('closes with 421 after 50 failed commands in a row, and serves the next client', async () => {
    const ftp = await FtpClient.connect(server.port('ftp'));
    for (let i = 0; i < 49; i++) expect((await ftp.command('FROB')).code).toBe(500);
    ftp.send('FROB');
    expect((await ftp.reply()).code).toBe(500);
    expect((await ftp.reply()).code).toBe(421);
    await ftp.closed;
    const next = await FtpClient.connect(server.port('ftp'));
    await next.expect('NOOP', 200);
    await next.quit();
  });

  // A 550 answers the question (the file is not there); a script that probes many names with SIZE
  // or MDTM is not misusing the protocol, as a client sending garbage is.
  it('does not count 550s: 60 SIZEs of missing files in a row all get their 550, and the session goes on', async () => {
    const ftp = await FtpClient.connect(server.port('ftp'));
    await ftp.login();
    for (let i = 0; i < 60; i++) expect((await ftp.command(`SIZE missing-${i}.txt`)).code).toBe(550);
    await ftp.expect('NOOP', 200);
    await ftp.quit();
  });
});

// FTP's default dispatch is brokered: a worker accepts, the primary decides, the worker says 421.
describe.each(['brokered', 'handoff'] as const)('FTP admission limits, dispatch %s', (dispatch) => {
  it('answers 421 past maxSessionsPerIp, across two workers, and serves again once a session ends', async () => {
    const limited = await startClassicd(
      ftpTestConfig({ anonymousRoot: root.path, workers: 2, dispatch, limits: { maxSessionsPerIp: 2 } }),
    );
    try {
      const first = await FtpClient.connect(limited.port('ftp'));
      const second = await FtpClient.connect(limited.port('ftp'));
      const third = await FtpClient.connect(limited.port('ftp'));
      expect(first.greeting.code).toBe(220);
      expect(second.greeting.code).toBe(220);
      expect(third.greeting.lines).toEqual(['421 Too many connections from your address.']);
      await third.closed;
      await first.quit();
      // The primary releases the slot on the worker's (batched) report of the session's end.
      await metricReaches(limited.httpPort, 'classicd_session_ends_total', { service: 'ftp', outcome: 'completed' }, 1);
      const again = await FtpClient.connect(limited.port('ftp'));
      expect(again.greeting.code).toBe(220);
      await again.quit();
      await second.quit();
    } finally {
      await limited.stop();
    }
  });
});
