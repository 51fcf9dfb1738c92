/**
 * A server stopped while uploads run: once the grace period is over and the sessions are closed,
 * each upload still cleans up after itself before the worker exits. Before, the worker exited at
 * once and left hidden temporary files, STOU's placeholder, and an append's extra bytes behind.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Socket } from 'node:net';
import { afterAll, expect, it } from 'vitest';
import { startClassicd } from '../../helpers/classicd.js';
import { FtpClient } from '../../helpers/ftp.js';
import { eventually, expectCode, ftpTestConfig, localUser, openPassive, PASSWORD, tempDir } from './data-fixture.js';

const ORIGINAL = 'the file as it was\n';
const CHUNK = randomBytes(256 * 1024);

const anonymousRoot = tempDir('classicd-ftp-stop-anon-');
const home = tempDir('classicd-ftp-stop-home-');

afterAll(() => {
  anonymousRoot.remove();
  home.remove();
});

it('stopping the server mid-upload leaves no temporary file, no placeholder, and the appended file as it was', async () => {
  writeFileSync(join(home.path, 'orig.txt'), ORIGINAL);
  const users = [await localUser('alice', home.path)];
  const server = await startClassicd(
    ftpTestConfig({ anonymousRoot: anonymousRoot.path, users, workers: 1, shutdownGraceMs: 100 }),
  );
  const clients: FtpClient[] = [];
  const dataSockets: Socket[] = [];
  try {
    for (const command of ['STOR new.bin', 'APPE orig.txt', 'STOU unique.bin']) {
      const client = await FtpClient.connect(server.port('ftp'));
      clients.push(client);
      await client.login('alice', PASSWORD);
      expectCode(await client.command('TYPE I'), 200);
      const data = await openPassive(client, 'EPSV');
      data.on('error', () => undefined); // cut by the server at shutdown
      dataSockets.push(data);
      expectCode(await client.command(command), 150);
      data.write(CHUNK); // and never ended: the uploads are running when the server stops
    }
    // Every upload has bytes on disk: the append in place, the others in their hidden files.
    await eventually(() => statSync(join(home.path, 'orig.txt')).size > ORIGINAL.length);
    await eventually(
      () =>
        readdirSync(home.path).filter(
          (name) => name.startsWith('.classicd-upload-') && statSync(join(home.path, name)).size > 0,
        ).length === 2,
    );
    await server.stop();
  } finally {
    for (const socket of dataSockets) socket.destroy();
    for (const client of clients) client.close();
    await server.stop();
  }
  expect(readdirSync(home.path)).toEqual(['orig.txt']);
  expect(readFileSync(join(home.path, 'orig.txt'), 'utf8')).toBe(ORIGINAL);
});
