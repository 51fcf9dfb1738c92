/**
 * Data connections over IPv6 (RFC 2428), against the real server listening on ::1 and over real
 * sockets to ::1: EPSV and its 229 reply, `EPSV 2` / `EPSV 1`, EPRT `|2|` for downloads and uploads,
 * and the refusals: another IPv6 address (no bounce, RFC 2577 section 3), an IPv4 address or PASV
 * or PORT on an IPv6 control connection (RFC 2428's 522, naming the protocol to use).
 *
 * Skipped, with the reason in its name, on a machine where nothing can listen on ::1.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startClassicd, type RunningClassicd } from '../../helpers/classicd.js';
import { canListenOn, FtpClient, readAll, writeAll } from '../../helpers/ftp.js';
import { expectCode, ftpTestConfig, localUser, PASSWORD, retrieve, tempDir } from './data-fixture.js';

const HOST = '::1';
const IPV6 = await canListenOn(HOST);

// More than one socket buffer, with CR and LF bytes a TYPE A transfer would change.
const BIG = randomBytes(2 * 1024 * 1024 + 77);
const TEXT = 'one\ntwo\nthree\n';

/** A listener on ::1 for the server's active connection; resolves with that socket. */
async function dataListener(): Promise<{ server: Server; port: number; next: Promise<Socket> }> {
  const server = createServer();
  const next = new Promise<Socket>((resolve) => server.once('connection', resolve));
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  return { server, port: (server.address() as { port: number }).port, next };
}

describe.skipIf(!IPV6)(`ftp data connections over IPv6${IPV6 ? '' : ' (skipped: cannot listen on ::1)'}`, () => {
  const anonRoot = tempDir('classicd-ftp-ipv6-anon-');
  const userRoot = tempDir('classicd-ftp-ipv6-user-');
  let server: RunningClassicd;
  const clients: FtpClient[] = [];
  const listeners: Server[] = [];

  /** A client on an IPv6 control connection, logged in (anonymous unless `user`), in TYPE I. */
  async function login(user?: string): Promise<FtpClient> {
    const client = await FtpClient.connect(server.port('ftp'), { host: HOST });
    clients.push(client);
    if (user) await client.login(user, PASSWORD);
    else await client.login();
    expectCode(await client.command('TYPE I'), 200);
    return client;
  }

  async function activeListener(): Promise<{ port: number; next: Promise<Socket> }> {
    const listener = await dataListener();
    listeners.push(listener.server);
    return listener;
  }

  beforeAll(async () => {
    writeFileSync(join(anonRoot.path, 'big.bin'), BIG);
    writeFileSync(join(anonRoot.path, 'text.txt'), TEXT);
    const users = [await localUser('carol', userRoot.path)];
    server = await startClassicd(ftpTestConfig({ anonymousRoot: anonRoot.path, users, host: HOST }));
  });

  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    await Promise.all(listeners.splice(0).map((l) => new Promise((resolve) => l.close(resolve))));
  });

  afterAll(async () => {
    await server?.stop();
    anonRoot.remove();
    userRoot.remove();
  });

  it('serves FTP on ::1', async () => {
    expect(server.bound.find((b) => b.svc === 'ftp')?.address).toBe(HOST);
    const client = await login();
    expect(client.socket.remoteAddress).toBe(HOST);
    expect(client.socket.remoteFamily).toBe('IPv6');
  });

  describe('EPSV', () => {
    it('answers 229 with only the port (RFC 2428 section 3)', async () => {
      const client = await login();
      const reply = await client.command('EPSV');
      expectCode(reply, 229);
      expect(reply.text).toMatch(/^Entering Extended Passive Mode \(\|\|\|\d{1,5}\|\)$/);
    });

    it('RETR over it is byte for byte, on a connection to ::1 (sendfile path)', async () => {
      const client = await login();
      const { data, final } = await retrieve(client, 'big.bin', 'EPSV');
      expectCode(final, 226);
      expect(data.equals(BIG)).toBe(true);
    });

    it('RETR in TYPE A (the streams path) converts LF to CRLF', async () => {
      const client = await login();
      expectCode(await client.command('TYPE A'), 200);
      const socket = await client.epsv();
      expect(socket.remoteAddress).toBe(HOST);
      const received = readAll(socket);
      expectCode(await client.command('RETR text.txt'), 150);
      expect((await received).toString('latin1')).toBe(TEXT.replace(/\n/g, '\r\n'));
      expectCode(await client.reply(), 226);
    });

    it('takes EPSV 2, and refuses EPSV 1 with 522 naming protocol 2', async () => {
      const client = await login();
      const port = await client.epsvPort('2');
      expect(port).toBeGreaterThan(0);
      const refused = await client.command('EPSV 1');
      expectCode(refused, 522);
      expect(refused.text).toMatch(/\(2\)/);
      const unknown = await client.command('EPSV 3');
      expectCode(unknown, 522);
      expect(unknown.text).toMatch(/\(2\)/);
    });

    it('EPSV ALL, then EPSV still works and PASV, PORT, EPRT are 503', async () => {
      const client = await login();
      expectCode(await client.command('EPSV ALL'), 200);
      expectCode(await client.command('PASV'), 503);
      expectCode(await client.command('EPRT |2|::1|40000|'), 503);
      const { data, final } = await retrieve(client, 'big.bin', 'EPSV');
      expectCode(final, 226);
      expect(data.equals(BIG)).toBe(true);
    });
  });

  describe('EPRT |2|', () => {
    it("RETR arrives on a connection the server makes from ::1 to the client's own address", async () => {
      const client = await login();
      const listener = await activeListener();
      const accepted = await client.command(`EPRT |2|::1|${listener.port}|`);
      expectCode(accepted, 200);
      expect(accepted.text).toMatch(/Consider using EPSV\.$/); // PASV is 522 over IPv6
      expectCode(await client.command('RETR big.bin'), 150);
      const socket = await listener.next;
      expect(socket.remoteAddress).toBe(HOST);
      expect((await readAll(socket)).equals(BIG)).toBe(true);
      expectCode(await client.reply(), 226);
    });

    it('STOR over it writes the file byte for byte', async () => {
      const client = await login('carol');
      const listener = await activeListener();
      expectCode(await client.command(`EPRT |2|0:0:0:0:0:0:0:1|${listener.port}|`), 200);
      expectCode(await client.command('STOR upload.bin'), 150);
      await writeAll(await listener.next, BIG);
      expectCode(await client.reply(), 226);
      expect(readFileSync(join(userRoot.path, 'upload.bin')).equals(BIG)).toBe(true);
    });

    it('refuses another IPv6 address (no bounce) with 504 and a warning, and sets nothing up', async () => {
      const client = await login();
      expectCode(await client.command('EPRT |2|::2|40000|'), 504);
      const line = await server.waitForLine(
        (l) => l.msg === 'active data connection to a foreign address refused' && l.target === '[::2]:40000',
      );
      expect(line.level).toBe(40);
      expectCode(await client.command('EPRT |2|2001:db8::1|40000|'), 504);
      expectCode(await client.command('RETR big.bin'), 425);
    });

    it('refuses a privileged port on ::1 with 504', async () => {
      const client = await login();
      expectCode(await client.command('EPRT |2|::1|1023|'), 504);
    });
  });

  describe('IPv4 commands on an IPv6 control connection', () => {
    it('PASV is 522: a 227 reply cannot carry an IPv6 address (RFC 2428 section 1)', async () => {
      const client = await login();
      const reply = await client.command('PASV');
      expectCode(reply, 522);
      expect(reply.text).toMatch(/\(2\)/);
      expectCode(await client.command('RETR big.bin'), 425);
    });

    it.each([
      ['EPRT |1|127.0.0.1|', 'EPRT'],
      ['EPRT |2|::ffff:127.0.0.1|', 'EPRT'],
      ['PORT 127,0,0,1,', 'PORT'],
    ])('%s... is 522, naming protocol 2, and sets nothing up', async (prefix, verb) => {
      const client = await login();
      const listener = await activeListener();
      const port = verb === 'PORT' ? `${listener.port >> 8},${listener.port & 0xff}` : `${listener.port}|`;
      const reply = await client.command(`${prefix}${port}`);
      expectCode(reply, 522);
      expect(reply.text).toMatch(/\(2\)/);
      expectCode(await client.command('RETR big.bin'), 425);
    });
  });
});
