/**
 * Active data connections (PORT, EPRT): the server connects to the client, only to the client's
 * own address and never to a privileged port (RFC 2577 section 3, CVE-1999-0017).
 */
import { writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startClassicd, type RunningClassicd } from '../../helpers/classicd.js';
import { FtpClient, readAll } from '../../helpers/ftp.js';
import { expectCode, ftpTestConfig, tempDir } from './data-fixture.js';

const CONTENT = Buffer.from('active mode works\n');

/** A listener the server's active connection comes to; resolves with that socket. */
async function dataListener(host = '127.0.0.1'): Promise<{ server: Server; port: number; next: Promise<Socket> }> {
  const server = createServer();
  const next = new Promise<Socket>((resolve) => server.once('connection', resolve));
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return { server, port: (server.address() as { port: number }).port, next };
}

const portArgument = (host: string, port: number): string => `${host.split('.').join(',')},${port >> 8},${port & 0xff}`;

describe('ftp active data connections', () => {
  const root = tempDir('classicd-ftp-active-');
  let server: RunningClassicd;
  const clients: FtpClient[] = [];
  const listeners: Server[] = [];

  async function login(): Promise<FtpClient> {
    const client = await FtpClient.connect(server.port('ftp'));
    clients.push(client);
    await client.login();
    expectCode(await client.command('TYPE I'), 200);
    return client;
  }

  beforeAll(async () => {
    writeFileSync(join(root.path, 'file.txt'), CONTENT);
    server = await startClassicd(ftpTestConfig({ anonymousRoot: root.path }));
  });

  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    await Promise.all(listeners.splice(0).map((l) => new Promise((resolve) => l.close(resolve))));
  });

  afterAll(async () => {
    await server?.stop();
    root.remove();
  });

  it.each([
    ['PORT', (port: number) => `PORT ${portArgument('127.0.0.1', port)}`],
    ['EPRT', (port: number) => `EPRT |1|127.0.0.1|${port}|`],
  ])('%s: RETR arrives on a connection the server makes from its own address', async (_verb, command) => {
    const client = await login();
    const listener = await dataListener();
    listeners.push(listener.server);
    expectCode(await client.command(command(listener.port)), 200);
    expectCode(await client.command('RETR file.txt'), 150);
    const socket = await listener.next;
    expect(socket.remoteAddress).toBe('127.0.0.1');
    expect((await readAll(socket)).equals(CONTENT)).toBe(true);
    expectCode(await client.reply(), 226);
  });

  it('PORT to another address is refused (no bounce) and logged', async () => {
    const client = await login();
    const listener = await dataListener('127.0.0.2');
    listeners.push(listener.server);
    const reply = await client.command(`PORT ${portArgument('127.0.0.2', listener.port)}`);
    expectCode(reply, 504);
    const line = await server.waitForLine(
      (l) =>
        l.msg === 'active data connection to a foreign address refused' && l.target === `127.0.0.2:${listener.port}`,
    );
    expect(line.level).toBe(40);
    // Nothing was set up: a transfer now has no data connection.
    expectCode(await client.command('RETR file.txt'), 425);
  });

  it('EPRT to another address is refused', async () => {
    const client = await login();
    expectCode(await client.command('EPRT |1|127.0.0.2|40000|'), 504);
    expectCode(await client.command('EPRT |1|10.0.0.1|40000|'), 504);
  });

  it('EPRT |2| on an IPv4 control connection is 522, naming protocol 1 (RFC 2428 section 2)', async () => {
    const client = await login();
    const reply = await client.command('EPRT |2|::1|40000|');
    expectCode(reply, 522);
    expect(reply.text).toMatch(/use \(1\)/);
    expectCode(await client.command('RETR file.txt'), 425);
  });

  it('EPRT of an unknown protocol is 522, naming only the protocol it would take (RFC 2428 section 2)', async () => {
    const client = await login();
    const reply = await client.command('EPRT |3|1.2.3.4|40000|');
    expectCode(reply, 522);
    expect(reply.text).toMatch(/use \(1\)/);
  });

  it('an IPv4-mapped EPRT |2| address of the client itself is its address', async () => {
    const client = await login();
    const listener = await dataListener();
    listeners.push(listener.server);
    expectCode(await client.command(`EPRT |2|::ffff:127.0.0.1|${listener.port}|`), 200);
    expectCode(await client.command('RETR file.txt'), 150);
    expect((await readAll(await listener.next)).equals(CONTENT)).toBe(true);
    expectCode(await client.reply(), 226);
  });

  it.each([
    `PORT ${portArgument('127.0.0.1', 21)}`,
    `PORT ${portArgument('127.0.0.1', 1023)}`,
    'EPRT |1|127.0.0.1|25|',
  ])('%s: a privileged port is refused', async (command) => {
    const client = await login();
    expectCode(await client.command(command), 504);
    await server.waitForLine((l) => l.msg === 'active data connection to a privileged port refused');
  });

  it.each([
    ['PORT', 501],
    ['PORT 127,0,0,1', 501],
    ['PORT 127,0,0,1,300,1', 501],
    ['PORT a,b,c,d,e,f', 501],
    ['PORT 127,0,0,1,4,1,9', 501],
    ['EPRT', 501],
    ['EPRT |1|127.0.0.1|', 501],
    ['EPRT |1|127.0.0.1|70000|', 501],
    ['EPRT |1|::1|4000|', 501],
    ['EPRT |x|127.0.0.1|4000|', 501],
    ['EPRT |9|127.0.0.1|4000|', 522],
  ])('%j is %i', async (command, code) => {
    const client = await login();
    expectCode(await client.command(command), code);
  });

  it('a PORT nobody listens on: 150, then 425, the reason logged, and the session goes on', async () => {
    const client = await login();
    const listener = await dataListener();
    await new Promise((resolve) => listener.server.close(resolve)); // a port that was just free
    expectCode(await client.command(`PORT ${portArgument('127.0.0.1', listener.port)}`), 200);
    expectCode(await client.command('RETR file.txt'), 150);
    expectCode(await client.reply(), 425);
    // The 425 says no more; the log says where the server tried and what the system answered.
    await server.waitForLine(
      (line) =>
        line.msg === 'active data connection failed' &&
        line.target === `127.0.0.1:${listener.port}` &&
        line.code === 'ECONNREFUSED',
    );
    expectCode(await client.command('NOOP'), 200);
  });
});
