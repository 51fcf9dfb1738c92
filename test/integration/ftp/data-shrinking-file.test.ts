/**
 * A file cut shorter while RETR sends it. The client must not get a 226 for a truncated copy: it
 * would keep it as the whole file, and a later `REST` resume would build on the wrong length. The
 * server answers 451 (RFC 959 4.2, local error) on both transfer paths and in both types.
 *
 * Deterministic without timing: the client does not read the data connection until the file has
 * been cut, so the server can have sent at most the socket buffers' worth (a few MiB) of a 256 MiB
 * sparse file when the cut to 1 MiB happens; whatever it has sent, it runs out of file before
 * the length it saw at open.
 */
import { openSync, closeSync, ftruncateSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startClassicd, type RunningClassicd } from '../../helpers/classicd.js';
import { FtpClient, readAll } from '../../helpers/ftp.js';
import { expectCode, ftpTestConfig, localUser, PASSWORD, retrieve, tempDir } from './data-fixture.js';

const MIB = 2 ** 20;
const BEFORE = 256 * MIB;
const AFTER = 1 * MIB;

describe.each([
  { path: 'native', nativeTransfers: true },
  { path: 'streams', nativeTransfers: false },
])('ftp RETR of a file that shrinks meanwhile ($path)', ({ nativeTransfers }) => {
  const anonymousRoot = tempDir('classicd-ftp-anon-');
  const home = tempDir('classicd-ftp-shrink-');
  let server: RunningClassicd;
  const clients: FtpClient[] = [];

  beforeAll(async () => {
    const users = [await localUser('alice', home.path)];
    server = await startClassicd(ftpTestConfig({ anonymousRoot: anonymousRoot.path, users, nativeTransfers }));
  });

  afterEach(() => {
    for (const client of clients.splice(0)) client.close();
  });

  afterAll(async () => {
    await server?.stop();
    anonymousRoot.remove();
    home.remove();
  });

  it.each(['I', 'A'])('answers 451, not 226, in TYPE %s', async (type) => {
    const path = join(home.path, `shrinking-${type}.bin`);
    const fd = openSync(path, 'w');
    ftruncateSync(fd, BEFORE); // sparse: no disk, and zeros need no conversion in TYPE A
    closeSync(fd);
    const client = await FtpClient.connect(server.port('ftp'));
    clients.push(client);
    await client.login('alice', PASSWORD);
    expectCode(await client.command(`TYPE ${type}`), 200);

    const socket = await client.epsv(); // not read from until the file is cut
    expectCode(await client.command(`RETR shrinking-${type}.bin`), 150);
    truncateSync(path, AFTER);
    const data = await readAll(socket);

    expectCode(await client.reply(), 451);
    expect(data.length).toBeLessThan(BEFORE);
    // The session goes on, and the file as it is now comes whole.
    const again = await retrieve(client, `shrinking-${type}.bin`);
    expectCode(again.final, 226);
    expect(again.data.length).toBe(AFTER);
  });
});
