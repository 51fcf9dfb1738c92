/**
 * A client that shuts down the sending half of its control connection after its last command
 * (`shutdown(SHUT_WR)`: `nc -N`, and scripts that pipeline USER ... QUIT) still hears every reply,
 * and a download still running finishes and sends its 226 (RFC 959 4.1.1), as vsftpd does. Before,
 * Node ended our side at the client's FIN and the replies still to come were dropped.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startClassicd, type RunningClassicd } from '../../helpers/classicd.js';
import { FtpClient, readAll, writeAll } from '../../helpers/ftp.js';
import { expectCode, ftpTestConfig, localUser, openPassive, PASSWORD, tempDir } from './data-fixture.js';

// More than loopback's socket buffers hold, so the download is still running at the half-close.
const BIG = randomBytes(8 * 1024 * 1024 + 5);

describe('ftp control connection half-closed by the client', () => {
  const anonymousRoot = tempDir('classicd-ftp-half-anon-');
  const home = tempDir('classicd-ftp-half-home-');
  let server: RunningClassicd;
  const clients: FtpClient[] = [];

  /** A client whose socket stays readable after it ends its own side. */
  async function connect(): Promise<FtpClient> {
    const client = await FtpClient.connect(server.port('ftp'));
    clients.push(client);
    client.socket.allowHalfOpen = true;
    return client;
  }

  beforeAll(async () => {
    writeFileSync(join(anonymousRoot.path, 'big.bin'), BIG);
    writeFileSync(join(home.path, 'kept.bin'), 'old contents');
    const users = [await localUser('alice', home.path)];
    server = await startClassicd(ftpTestConfig({ anonymousRoot: anonymousRoot.path, users, workers: 1 }));
  });

  afterEach(() => {
    for (const client of clients.splice(0)) client.close();
  });

  afterAll(async () => {
    await server?.stop();
    anonymousRoot.remove();
    home.remove();
  });

  it('pipelined commands, then a half-close: every reply arrives in order, then the server closes', async () => {
    const client = await connect();
    client.socket.end('USER anonymous\r\nPASS guest@\r\nPWD\r\nSYST\r\nQUIT\r\n');
    const codes = [];
    for (let i = 0; i < 5; i++) codes.push((await client.reply()).code);
    expect(codes).toEqual([331, 230, 257, 215, 221]);
    await client.closed;
  });

  it('RETR, then a half-close without QUIT: the download completes and its 226 arrives', async () => {
    const client = await connect();
    await client.login();
    expectCode(await client.command('TYPE I'), 200);
    const data = await openPassive(client, 'EPSV');
    const received = readAll(data);
    expectCode(await client.command('RETR big.bin'), 150);
    client.socket.end();
    expect((await received).equals(BIG)).toBe(true);
    expectCode(await client.reply(), 226);
    await client.closed;
  });

  it('STOR, QUIT and a half-close: the 226 and the 221 arrive, and the file is in place', async () => {
    const client = await connect();
    await client.login('alice', PASSWORD);
    expectCode(await client.command('TYPE I'), 200);
    const data = await openPassive(client, 'EPSV');
    expectCode(await client.command('STOR kept.bin'), 150);
    await writeAll(data, BIG);
    client.socket.end('QUIT\r\n');
    expectCode(await client.reply(), 226);
    expectCode(await client.reply(), 221);
    await client.closed;
    expect(readFileSync(join(home.path, 'kept.bin')).equals(BIG)).toBe(true);
  });
});
