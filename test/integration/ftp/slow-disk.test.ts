/**
 * An upload to a disk slower than the network. The worker runs with slow-pwrite.c preloaded, so
 * every large pwrite(2) sleeps: the native receive's two buffers are then both being written while
 * more bytes arrive, and it must stop reading and let TCP hold the rest (receive_file.c) rather
 * than buffer without bound or lose bytes. The upload still arrives whole, and only then is 226 sent.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startClassicd, type RunningClassicd } from '../../helpers/classicd.js';
import { FtpClient } from '../../helpers/ftp.js';
import { expectCode, ftpTestConfig, localUser, PASSWORD, store, tempDir } from './data-fixture.js';
import { compileShim, hasCompiler } from './preload-shim.js';

const sha = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

describe.skipIf(!hasCompiler())('ftp upload to a slow disk (native receive)', () => {
  const anonymousRoot = tempDir('classicd-ftp-anon-');
  const home = tempDir('classicd-ftp-slow-disk-');
  const build = tempDir('classicd-slow-pwrite-');
  const slowedLog = join(build.path, 'slowed.log');
  let server: RunningClassicd | undefined;

  beforeAll(async () => {
    const shim = compileShim('slow-pwrite', build.path);
    server = await startClassicd(
      ftpTestConfig({ anonymousRoot: anonymousRoot.path, users: [await localUser('alice', home.path)], workers: 1 }),
      { LD_PRELOAD: shim, SLOW_PWRITE_LOG: slowedLog },
    );
  });

  afterAll(async () => {
    await server?.stop();
    anonymousRoot.remove();
    home.remove();
    build.remove();
  });

  it('stores 24 MiB byte for byte while the disk holds the reads back', async () => {
    const data = randomBytes(24 * 1024 * 1024);
    const client = await FtpClient.connect((server as RunningClassicd).port('ftp'));
    try {
      await client.login('alice', PASSWORD);
      expectCode(await client.command('TYPE I'), 200);
      const { opening, final } = await store(client, 'STOR slow.bin', data);
      expectCode(opening, 150);
      expectCode(final, 226);
      expect(sha(readFileSync(join(home.path, 'slow.bin')))).toBe(sha(data));
    } finally {
      client.close();
    }
    // The shim was in the worker's path: it counts the writes it slowed when the process exits.
    await server?.stop();
    server = undefined;
    expect(existsSync(slowedLog)).toBe(true);
    const slowed = readFileSync(slowedLog, 'utf8').trim().split('\n').map(Number);
    // 24 MiB in buffers of at most 1 MiB (one upload alone gets the largest; receive_file.c): at
    // least 24 writes (the stream path's fs writes count too).
    expect(slowed.reduce((sum, count) => sum + count, 0)).toBeGreaterThanOrEqual(24);
  });
});
