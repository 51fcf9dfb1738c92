/**
 * FTPS on the control connection (RFC 4217): AUTH TLS and its aliases, the PBSZ/PROT order, the
 * tlsRequired users, and a bad handshake that must cost only its own session.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../../services/ftp/auth/password-hash.js';
import { connectSocket, readAll } from '../../helpers/ftp.js';
import { FtpsClient } from '../../helpers/ftps.js';
import { startFtpsServer, type FtpsServer } from '../../helpers/ftps-server.js';

let ftps: FtpsServer;

beforeAll(async () => {
  ftps = await startFtpsServer({
    passivePorts: '31200-31219',
    users: [
      {
        name: 'alice',
        password: await hashPassword('wonderland'),
        root: '.',
        permissions: ['read'],
        tlsRequired: true,
      },
    ],
  });
});

afterAll(async () => {
  await ftps?.stop();
});

describe('AUTH', () => {
  it('AUTH TLS upgrades the control connection; login and commands then run over TLS', async () => {
    const ftp = await FtpsClient.connect(ftps.port);
    const secured = await ftp.authTls('TLS');
    expect(secured.getProtocol()).toMatch(/^TLSv1\.[23]$/);
    await ftp.login();
    const status = await ftp.expect('STAT', 211);
    expect(status.lines.join('\n')).toMatch(/Control connection: TLS/);
    await ftp.expect('QUIT', 221);
    await ftp.closed;
  });

  it.each(['SSL', 'TLS-C', 'tls'])('AUTH %s is AUTH TLS', async (mechanism) => {
    const ftp = await FtpsClient.connect(ftps.port);
    await ftp.authTls(mechanism);
    await ftp.login();
    ftp.close();
  });

  it.each(['TLS-P', 'SSL'])('AUTH %s also sets PROT P (the old drafts; vsftpd too)', async (mechanism) => {
    const ftp = await FtpsClient.connect(ftps.port);
    await ftp.authTls(mechanism);
    const status = await ftp.expect('STAT', 211);
    expect(status.lines.join('\n')).toMatch(/data protection: private/);
    ftp.close();
  });

  it('AUTH TLS leaves PROT C until the client asks (RFC 4217)', async () => {
    const ftp = await FtpsClient.connect(ftps.port);
    await ftp.authTls('TLS');
    const status = await ftp.expect('STAT', 211);
    expect(status.lines.join('\n')).toMatch(/data protection: clear/);
    ftp.close();
  });

  it('answers a second AUTH with 503, unknown mechanisms with 504, none with 501', async () => {
    const ftp = await FtpsClient.connect(ftps.port);
    expect((await ftp.command('AUTH GSSAPI')).code).toBe(504);
    expect((await ftp.command('AUTH')).code).toBe(501);
    await ftp.authTls();
    expect((await ftp.command('AUTH TLS')).code).toBe(503);
    expect((await ftp.command('AUTH SSL')).code).toBe(503);
    ftp.close();
  });

  it('makes a logged-in client log in again after AUTH (RFC 2228)', async () => {
    const ftp = await FtpsClient.connect(ftps.port);
    await ftp.login();
    await ftp.authTls();
    expect((await ftp.command('PWD')).code).toBe(530);
    await ftp.login();
    expect((await ftp.command('PWD')).code).toBe(257);
    ftp.close();
  });

  it('lists AUTH TLS, AUTH SSL, PBSZ and PROT in FEAT', async () => {
    const ftp = await FtpsClient.connect(ftps.port);
    const feat = await ftp.expect('FEAT', 211);
    for (const line of [' AUTH TLS', ' AUTH SSL', ' PBSZ', ' PROT']) expect(feat.lines).toContain(line);
    ftp.close();
  });
});

describe('PBSZ and PROT', () => {
  it('refuses PBSZ and PROT before AUTH, PROT before PBSZ (503)', async () => {
    const ftp = await FtpsClient.connect(ftps.port);
    expect((await ftp.command('PBSZ 0')).code).toBe(503);
    expect((await ftp.command('PROT P')).code).toBe(503);
    await ftp.authTls();
    expect((await ftp.command('PROT P')).code).toBe(503);
    ftp.close();
  });

  it('takes PBSZ 0, then PROT C and P; refuses S and E (536), nonsense (504, 501)', async () => {
    const ftp = await FtpsClient.connect(ftps.port);
    await ftp.authTls();
    expect((await ftp.command('PBSZ x')).code).toBe(501);
    const pbsz = await ftp.expect('PBSZ 0', 200);
    expect(pbsz.text).toBe('PBSZ=0');
    // RFC 2228: a size the server will not use is answered with the one it will.
    expect((await ftp.expect('PBSZ 16384', 200)).text).toBe('PBSZ=0');
    await ftp.expect('PROT P', 200);
    await ftp.expect('PROT C', 200);
    expect((await ftp.command('PROT S')).code).toBe(536);
    expect((await ftp.command('PROT E')).code).toBe(536);
    expect((await ftp.command('PROT X')).code).toBe(504);
    expect((await ftp.command('PROT')).code).toBe(501);
    ftp.close();
  });

  it('refuses CCC: 533 before AUTH, 534 after', async () => {
    const ftp = await FtpsClient.connect(ftps.port);
    expect((await ftp.command('CCC')).code).toBe(533);
    await ftp.authTls();
    expect((await ftp.command('CCC')).code).toBe(534);
    await ftp.expect('NOOP', 200); // and the connection is still protected and working
    ftp.close();
  });
});

describe('REIN', () => {
  it('on a plain connection logs out and leaves PBSZ/PROT unset: AUTH TLS and PBSZ come first again', async () => {
    const ftp = await FtpsClient.connect(ftps.port);
    await ftp.login();
    const reply = await ftp.expect('REIN', 220);
    expect(reply.text).toMatch(/ready for new user/);
    expect((await ftp.command('PWD')).code).toBe(530);
    expect((await ftp.command('PBSZ 0')).code).toBe(503);
    expect((await ftp.command('PROT P')).code).toBe(503);
    await ftp.authTls();
    expect((await ftp.command('PROT P')).code).toBe(503); // PBSZ still first (RFC 2228)
    await ftp.login();
    const status = await ftp.expect('STAT', 211);
    expect(status.lines.join('\n')).toMatch(/Control connection: TLS; data protection: clear/);
    ftp.close();
  });

  it('under AUTH TLS is refused with 502 (RFC 4217 would drop TLS): nothing changes', async () => {
    const ftp = await FtpsClient.connect(ftps.port);
    await ftp.authTls();
    await ftp.login();
    await ftp.expect('PBSZ 0', 200);
    await ftp.expect('PROT P', 200);
    const reply = await ftp.command('REIN');
    expect(reply.code).toBe(502);
    expect(reply.text).toMatch(/reconnect/);
    // Still logged in, still over TLS (this reply came through it), PROT P still in force.
    expect((await ftp.command('PWD')).code).toBe(257);
    const status = await ftp.expect('STAT', 211);
    expect(status.lines.join('\n')).toMatch(/Control connection: TLS; data protection: private/);
    await ftp.expect('PROT C', 200); // PBSZ is still remembered
    await ftp.expect('QUIT', 221);
    await ftp.closed;
  });

  it('before login under AUTH TLS is refused too', async () => {
    const ftp = await FtpsClient.connect(ftps.port);
    await ftp.authTls();
    expect((await ftp.command('REIN')).code).toBe(502);
    await ftp.login();
    ftp.close();
  });
});

/** NLST under PROT C is 521 (RFC 4217); under PROT P it lists the root. */
async function expectDataUnderProtPOnly(ftp: FtpsClient): Promise<void> {
  await ftp.expect('PBSZ 0', 200);
  await ftp.expect('PROT C', 200);
  const clear = await ftp.epsv();
  expect((await ftp.command('NLST')).code).toBe(521);
  clear.destroy();
  await ftp.expect('PROT P', 200);
  const raw = await ftp.epsv();
  await ftp.expect('NLST', 150);
  expect((await readAll(ftp.secureData(raw))).toString()).toContain('config.yaml');
  expect((await ftp.reply()).code).toBe(226);
}

describe('TLS-required users', () => {
  it('refuses alice before AUTH TLS and accepts her after', async () => {
    const ftp = await FtpsClient.connect(ftps.port);
    expect((await ftp.command('USER alice')).code).toBe(530);
    await ftp.authTls();
    await ftp.login('alice', 'wonderland');
    ftp.close();
  });

  // vsftpd's force_local_data_ssl: a password worth protecting guards files worth protecting too.
  it('refuses alice a data connection under PROT C with 521 (RFC 4217), and serves her under PROT P', async () => {
    const ftp = await FtpsClient.connect(ftps.port);
    await ftp.authTls();
    await ftp.login('alice', 'wonderland');
    await expectDataUnderProtPOnly(ftp);
    ftp.close();
  });

  it('forgets an earlier USER when a later one is refused: its PASS is 503, not a login', async () => {
    const ftp = await FtpsClient.connect(ftps.port);
    expect((await ftp.command('USER anonymous')).code).toBe(331);
    expect((await ftp.command('USER alice')).code).toBe(530);
    expect((await ftp.command('PASS guest@example.org')).code).toBe(503);
    expect((await ftp.command('PWD')).code).toBe(530);
    await ftp.authTls();
    await ftp.login('alice', 'wonderland');
    ftp.close();
  });
});

// vsftpd's force_local_logins_ssl and force_local_data_ssl, service-wide.
describe('tls.requireForLocalUsers', () => {
  let forced: FtpsServer;

  beforeAll(async () => {
    forced = await startFtpsServer({
      passivePorts: '31220-31239',
      workers: 1,
      tls: { requireForLocalUsers: true },
      users: [{ name: 'bob', password: await hashPassword('builder'), root: '.', permissions: ['read'] }],
    });
  });

  afterAll(async () => {
    await forced?.stop();
  });

  // As vsftpd's force_local_logins_ssl: 530, and the connection closes.
  it('answers USER in clear text with one 530 and a close for a user and an unknown name alike', async () => {
    const refusals = [];
    for (const name of ['bob', 'nobody']) {
      const ftp = await FtpsClient.connect(forced.port);
      refusals.push((await ftp.command(`USER ${name}`)).lines);
      await ftp.closed;
    }
    expect(refusals[0]?.[0]).toMatch(/^530 /);
    expect(refusals[1]).toEqual(refusals[0]); // nothing tells which accounts exist
  });

  it('lets anonymous in over clear text', async () => {
    const ftp = await FtpsClient.connect(forced.port);
    expect((await ftp.command('USER anonymous')).code).toBe(331);
    expect((await ftp.command('PASS guest@example.org')).code).toBe(230);
    ftp.close();
  });

  it('lets bob in after AUTH TLS, and gives him data under PROT P only (521 under PROT C)', async () => {
    const ftp = await FtpsClient.connect(forced.port);
    await ftp.authTls();
    await ftp.login('bob', 'builder');
    await expectDataUnderProtPOnly(ftp);
    ftp.close();
  });
});

describe('a bad handshake', () => {
  it('closes that session only, with a log line; other sessions carry on', async () => {
    const bystander = await FtpsClient.connect(ftps.port);
    await bystander.authTls();
    await bystander.login();

    const victim = await FtpsClient.connect(ftps.port);
    await victim.expect('AUTH TLS', 234);
    const raw = victim.control;
    const closed = new Promise<void>((resolve) => raw.once('close', () => resolve()));
    raw.write('this is not a ClientHello\r\n');
    await closed;
    await ftps.server.waitForLine((line) => line.msg === 'tls handshake failed on the control connection');

    // A connection that sends a command right behind AUTH, before reading 234, is refused too.
    const hasty = await connectSocket(ftps.port);
    const hastyClosed = new Promise<void>((resolve) => hasty.once('close', () => resolve()));
    hasty.on('error', () => undefined);
    hasty.write('AUTH TLS\r\nUSER anonymous\r\n');
    hasty.resume();
    await hastyClosed;
    await ftps.server.waitForLine((line) => line.msg === 'data arrived after AUTH before the 234 reply; closing');

    await bystander.expect('NOOP', 200);
    expect((await bystander.command('PWD')).code).toBe(257);
    const fresh = await FtpsClient.connect(ftps.port);
    await fresh.authTls();
    fresh.close();
    bystander.close();
    expect(ftps.server.lines.some((line) => line.msg === 'session failed')).toBe(false);
    expect(ftps.server.child.exitCode).toBeNull();
  });
});

describe('a client that closes mid-handshake', () => {
  // The control socket is half-open; a FIN in the handshake must still end the session at once,
  // not hold its slot (maxSessions, maxSessionsPerIp) until the 30 s handshake timeout.
  it('is closed at once, with a log line', async () => {
    const ftp = await FtpsClient.connect(ftps.port);
    await ftp.expect('AUTH TLS', 234);
    const raw = ftp.control;
    const closed = new Promise<void>((resolve) => raw.once('close', () => resolve()));
    raw.on('error', () => undefined);
    raw.resume();
    raw.end(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01])); // the start of a ClientHello, then FIN
    const line = await ftps.server.waitForLine(
      (logged) => logged.msg === 'tls handshake failed on the control connection' && logged.code === 'CLOSED',
      10_000,
    );
    expect(line.reason).toMatch(/closed/);
    await closed;
  });
});

describe('renegotiation', () => {
  // Each renegotiation costs the server a full handshake, and a client may ask for one after
  // another: OpenSSL refuses them (no_renegotiation), as vsftpd's does. TLS 1.3 has none, so 1.2.
  it('is refused to a TLS 1.2 client', async () => {
    const ftp = await FtpsClient.connect(ftps.port);
    try {
      const socket = await ftp.authTls('TLS', { maxVersion: 'TLSv1.2' });
      await ftp.expect('NOOP', 200);
      const refused = await new Promise<Error | null>((resolve) => {
        socket.once('error', resolve);
        if (!socket.renegotiate({ rejectUnauthorized: false }, resolve)) resolve(new Error('not attempted'));
      });
      expect(refused?.message).toMatch(/renegotiation/i);
    } finally {
      ftp.close();
    }
  });
});
