/**
 * A download to a client slower than the network, with a short data timeout. The server's kernel
 * buffers MiBs of the file and drains them at the client's pace while the server's Node process
 * writes nothing for longer than dataTimeoutMs. The transfer moves all the while, so it must not
 * be cut: the timeout counts what the kernel moved (tcp_progress.c), not only Node's writes.
 *
 * Binary goes through the native sendfile job, ASCII through streams. Counting only what the
 * stream and the job move, without the kernel's count, both cases fail (ASCII: 3.0 of 5.3 MB
 * received).
 *
 * Needs the native addon (without it only the stream's and the job's counts decide) and python3
 * for the reader; CI has both.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nativeAddon, nativeAddonProblem } from '../../../shared/native/addon.js';
import { startClassicd, type RunningClassicd } from '../../helpers/classicd.js';
import { FtpClient } from '../../helpers/ftp.js';
import { expectCode, ftpTestConfig, tempDir } from './data-fixture.js';

const READER = fileURLToPath(new URL('./slow-reader.py', import.meta.url));
/** Larger than a loopback socket's autotuned send buffer (4 MiB), so Node must wait to write. */
const FILE_BYTES = 5 * 1024 * 1024;
/**
 * 500 kB/s, and a timeout of a whole second, so that a reader briefly starved of CPU on a busy
 * machine does not look like a stalled one.
 */
const READ_BYTES_PER_SECOND = 500_000;
const DATA_TIMEOUT_MS = 1000;

const addonAvailable = nativeAddon() !== undefined;
if (!addonAvailable && process.env.REQUIRE_NATIVE_ADDON === '1') {
  throw new Error(`REQUIRE_NATIVE_ADDON=1 but the native addon is missing: ${nativeAddonProblem()}`);
}
const pythonAvailable = spawnSync('python3', ['--version'], { stdio: 'ignore' }).status === 0;

interface SlowReader {
  readonly process: ChildProcess;
  /** The bytes it received, once the server has closed the connection. */
  readonly received: Promise<number>;
}

/**
 * Starts the slow reader on `port` and waits until it has connected. (`received` is wrapped in an
 * object: an async function that returned the promise itself would wait for it.)
 */
async function slowRead(port: number): Promise<SlowReader> {
  const reader = spawn('python3', [READER, String(port), String(READ_BYTES_PER_SECOND)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const failed = new Promise<never>((_resolve, reject) => reader.once('error', reject));
  const lines = createInterface({ input: reader.stdout })[Symbol.asyncIterator]();
  const first = await Promise.race([lines.next(), failed]);
  if (first.value !== 'connected') throw new Error(`slow reader: ${String(first.value)}`);
  return { process: reader, received: Promise.race([lines.next().then((count) => Number(count.value)), failed]) };
}

describe.skipIf(!addonAvailable || !pythonAvailable)('ftp download to a slow reader', () => {
  const root = tempDir('classicd-ftp-slow-reader-');
  let server: RunningClassicd | undefined;

  beforeAll(async () => {
    // Lines of text, so that TYPE A sends the same count plus one CR per line.
    const line = `${'x'.repeat(99)}\n`;
    writeFileSync(join(root.path, 'big.txt'), line.repeat(FILE_BYTES / line.length));
    server = await startClassicd(
      ftpTestConfig({ anonymousRoot: root.path, dataTimeoutMs: DATA_TIMEOUT_MS, workers: 1 }),
    );
  });

  afterAll(async () => {
    await server?.stop();
    root.remove();
  });

  it.each([
    ['A', (bytes: number) => bytes + bytes / 100],
    ['I', (bytes: number) => bytes],
  ])(
    'TYPE %s: every byte arrives, then 226',
    async (type, expectedBytes) => {
      const client = await FtpClient.connect((server as RunningClassicd).port('ftp'));
      let reader: SlowReader | undefined;
      try {
        await client.login();
        expectCode(await client.command(`TYPE ${type}`), 200);
        reader = await slowRead(await client.epsvPort());
        expectCode(await client.command('RETR big.txt'), 150);
        const size = Math.floor(FILE_BYTES / 100) * 100;
        expect(await reader.received).toBe(expectedBytes(size));
        expectCode(await client.reply(30_000), 226);
      } finally {
        reader?.process.kill();
        client.close();
      }
      expect((server as RunningClassicd).lines.some((line) => line.msg === 'data connection timed out')).toBe(false);
    },
    60_000,
  );
});
