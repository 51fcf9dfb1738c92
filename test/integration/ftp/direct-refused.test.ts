/**
 * An upload where the file system takes O_DIRECT at open but refuses the direct writes (EINVAL):
 * the worker runs with refuse-direct.c preloaded, and the native receive must fall back to writing
 * through the page cache (receive_file.c), so every upload still arrives whole with its 226.
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startClassicd, type RunningClassicd } from '../../helpers/classicd.js';
import { FtpClient } from '../../helpers/ftp.js';
import { expectCode, ftpTestConfig, localUser, PASSWORD, store, tempDir } from './data-fixture.js';

const SHIM_SOURCE = fileURLToPath(new URL('./refuse-direct.c', import.meta.url));
const sha = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

/** A C compiler: CI installs one (the native addon needs it); a machine without one skips this file. */
function hasCompiler(): boolean {
  try {
    execFileSync('cc', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe.skipIf(!hasCompiler())('ftp upload where direct writes are refused (native receive)', () => {
  const anonymousRoot = tempDir('classicd-ftp-anon-');
  const home = tempDir('classicd-ftp-no-direct-');
  const build = tempDir('classicd-refuse-direct-');
  const shim = join(build.path, 'refuse-direct.so');
  const refusedLog = join(build.path, 'refused.log');
  let server: RunningClassicd | undefined;

  beforeAll(async () => {
    execFileSync('cc', ['-shared', '-fPIC', '-O2', '-o', shim, SHIM_SOURCE, '-ldl']);
    server = await startClassicd(
      ftpTestConfig({ anonymousRoot: anonymousRoot.path, users: [await localUser('alice', home.path)], workers: 1 }),
      { LD_PRELOAD: shim, REFUSE_DIRECT_LOG: refusedLog },
    );
  });

  afterAll(async () => {
    await server?.stop();
    anonymousRoot.remove();
    home.remove();
    build.remove();
  });

  it('stores every size whole, through the page cache', async () => {
    const client = await FtpClient.connect((server as RunningClassicd).port('ftp'));
    try {
      await client.login('alice', PASSWORD);
      expectCode(await client.command('TYPE I'), 200);
      for (const size of [4096, 1_048_577, 5 * 1024 * 1024 + 17]) {
        const data = randomBytes(size);
        expectCode((await store(client, `STOR up-${size}.bin`, data)).final, 226);
        expect(sha(readFileSync(join(home.path, `up-${size}.bin`))), `${size} bytes`).toBe(sha(data));
      }
    } finally {
      client.close();
    }
    // The shim was in the worker's path and refused direct writes: it says how many at exit.
    await server?.stop();
    server = undefined;
    expect(existsSync(refusedLog)).toBe(true);
    expect(Number(readFileSync(refusedLog, 'utf8').trim().split('\n')[0])).toBeGreaterThanOrEqual(3);
  });
});
