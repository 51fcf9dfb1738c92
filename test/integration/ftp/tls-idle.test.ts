/**
 * The idle goodbye (RFC 959 4.2's 421) on plain and TLS control connections, and no goodbye while a
 * transfer is in progress (its bytes move on the data connection, not the control one).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectSocket, readAll } from '../../helpers/ftp.js';
import { FtpsClient } from '../../helpers/ftps.js';
import { README, startFtpsServer, type FtpsServer } from '../../helpers/ftps-server.js';

const IDLE_MS = 800;
let ftps: FtpsServer;

beforeAll(async () => {
  ftps = await startFtpsServer({ passivePorts: '31260-31279', idleTimeoutMs: IDLE_MS, workers: 1 });
});

afterAll(async () => {
  await ftps?.stop();
});

describe('idle timeout', () => {
  it('says 421 Timeout. and closes a plain control connection', async () => {
    const ftp = await FtpsClient.connect(ftps.port);
    await ftp.login();
    const goodbye = await ftp.reply(IDLE_MS * 10);
    expect(goodbye.code).toBe(421);
    expect(goodbye.text).toBe('Timeout.');
    await ftp.closed;
  });

  it('says it over TLS, and closes the TLS connection', async () => {
    const ftp = await FtpsClient.connect(ftps.port);
    await ftp.authTls();
    await ftp.login();
    const goodbye = await ftp.reply(IDLE_MS * 10);
    expect(goodbye.code).toBe(421);
    expect(ftp.secure).toBe(true);
    await ftp.closed;
  });

  // vsftpd restarts its timer per command; counting bytes let a client that trickles a line it
  // never ends hold its session (and its maxSessionsPerIp slot) for ever.
  it('is not put off by a client that trickles the bytes of a line it never ends', async () => {
    const ftp = await FtpsClient.connect(ftps.port);
    const trickle = setInterval(() => ftp.control.write('N'), IDLE_MS / 4);
    try {
      const goodbye = await ftp.reply(IDLE_MS * 10);
      expect(goodbye.code).toBe(421);
      await ftp.closed;
    } finally {
      clearInterval(trickle);
    }
  });

  it('keeps a session whose transfer is in progress, however long the control connection is quiet', async () => {
    const ftp = await FtpsClient.connect(ftps.port);
    await ftp.login();
    await ftp.expect('TYPE I', 200);
    const reply = await ftp.expect('EPSV', 229);
    const port = Number(/\(\|\|\|(\d+)\|\)/.exec(reply.text)?.[1]);
    expect((await ftp.command('RETR /pub/readme.txt')).code).toBe(150);
    // The transfer waits for our data connection; meanwhile the control connection is idle.
    await new Promise((resolve) => setTimeout(resolve, IDLE_MS * 2.5));
    const data = await connectSocket(port);
    expect((await readAll(data)).toString()).toBe(README);
    expect((await ftp.reply()).code).toBe(226);
    await ftp.expect('NOOP', 200);
    ftp.close();
  });

  // Guards session-runner.ts's idle handling: it must ask again after a 'keep', not only once.
  it('starts the idle clock again once the transfer is over', async () => {
    const ftp = await FtpsClient.connect(ftps.port);
    await ftp.login();
    await ftp.expect('TYPE I', 200);
    const reply = await ftp.expect('EPSV', 229);
    const port = Number(/\(\|\|\|(\d+)\|\)/.exec(reply.text)?.[1]);
    expect((await ftp.command('RETR /pub/readme.txt')).code).toBe(150);
    await new Promise((resolve) => setTimeout(resolve, IDLE_MS * 2.5));
    await readAll(await connectSocket(port));
    expect((await ftp.reply()).code).toBe(226);
    expect((await ftp.reply(IDLE_MS * 10)).code).toBe(421);
    await ftp.closed;
  });
});
