/**
 * Uploads into new files are written past the page cache (O_DIRECT, native/src/receive_file.c).
 * The worker runs with direct-writes.c preloaded, which watches every write on an O_DIRECT
 * descriptor. Counting, it shows the job's direct writes are ones the disk takes: a misaligned
 * one would be refused (EINVAL) and quietly turn the upload into cached writes, costing only
 * speed. Refusing them all, as a file system may that takes O_DIRECT at open but not the writes,
 * it shows the job falls back to the page cache: every upload still arrives whole with its 226.
 */
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, constants, existsSync, openSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startClassicd, type RunningClassicd } from '../../helpers/classicd.js';
import { FtpClient } from '../../helpers/ftp.js';
import { expectCode, ftpTestConfig, localUser, PASSWORD, store, tempDir } from './data-fixture.js';
import { compileShim, hasCompiler } from './preload-shim.js';

const sha = (data: Buffer): string => createHash('sha256').update(data).digest('hex');
const SIZES = [100, 4096, 1_048_577, 5 * 1024 * 1024 + 17];

/** Whether files in `dir` can be opened with O_DIRECT at all. */
function directIoIn(dir: string): boolean {
  const probe = join(dir, '.direct-probe');
  try {
    closeSync(openSync(probe, constants.O_WRONLY | constants.O_CREAT | constants.O_DIRECT));
    return true;
  } catch {
    return false;
  } finally {
    rmSync(probe, { force: true });
  }
}

describe.skipIf(!hasCompiler()).each([{ mode: 'count' }, { mode: 'refuse' }])(
  'ftp uploads with direct writes watched ($mode)',
  ({ mode }) => {
    const anonymousRoot = tempDir('classicd-ftp-anon-');
    const home = tempDir('classicd-ftp-direct-');
    const build = tempDir('classicd-direct-writes-');
    const log = join(build.path, 'direct-writes.log');
    let server: RunningClassicd | undefined;

    beforeAll(async () => {
      const shim = compileShim('direct-writes', build.path);
      server = await startClassicd(
        ftpTestConfig({ anonymousRoot: anonymousRoot.path, users: [await localUser('alice', home.path)], workers: 1 }),
        { LD_PRELOAD: shim, DIRECT_WRITES: mode, DIRECT_WRITES_LOG: log },
      );
    });

    afterAll(async () => {
      await server?.stop();
      anonymousRoot.remove();
      home.remove();
      build.remove();
    });

    it('stores every size whole', async () => {
      const client = await FtpClient.connect((server as RunningClassicd).port('ftp'));
      try {
        await client.login('alice', PASSWORD);
        expectCode(await client.command('TYPE I'), 200);
        for (const size of SIZES) {
          const data = randomBytes(size);
          expectCode((await store(client, `STOR up-${size}.bin`, data)).final, 226);
          expect(sha(readFileSync(join(home.path, `up-${size}.bin`))), `${size} bytes`).toBe(sha(data));
        }
      } finally {
        client.close();
      }
      // Each process with the shim (the primary, the worker) writes its counts when it exits.
      await server?.stop();
      server = undefined;
      expect(existsSync(log)).toBe(true);
      const [succeeded = 0, failed = 0, refused = 0] = readFileSync(log, 'utf8')
        .trim()
        .split('\n')
        .map((line) => line.split(' ').map(Number))
        .reduce((sum, counts) => sum.map((value, i) => value + (counts[i] ?? 0)), [0, 0, 0]);
      if (mode === 'refuse') {
        expect(refused, 'direct writes tried and refused').toBeGreaterThanOrEqual(3);
      } else if (directIoIn(home.path)) {
        // Whole blocks only: 1 MiB + 1 and 5 MiB + 17 make at least one direct write each.
        expect({ succeeded: succeeded >= 2, failed }).toEqual({ succeeded: true, failed: 0 });
      } else {
        expect(succeeded + failed).toBe(0);
      }
    });
  },
);
