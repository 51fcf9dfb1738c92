/**
 * A download to a client slower than the network, with a short data timeout. The server's kernel
 * buffers MiBs of the file and drains them at the client's pace while the server's Node process,
 * its next write waiting, writes nothing for far longer than dataTimeoutMs. The transfer moves all
 * the while, so it must not be cut: the timeout counts what the kernel moved (tcp_progress.c), not
 * only Node's writes. ASCII goes through streams, binary through the native sendfile job.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startClassicd, type RunningClassicd } from '../../helpers/classicd.js';
import { FtpClient } from '../../helpers/ftp.js';
import { expectCode, ftpTestConfig, tempDir } from './data-fixture.js';

const READER = fileURLToPath(new URL('./slow-reader.py', import.meta.url));
/** Larger than a loopback socket's autotuned send buffer (4 MiB), so Node must wait to write. */
const FILE_BYTES = 6 * 1024 * 1024;
/** 1 MB/s: the kernel frees room for Node's next write only about once a second, after the timeout. */
const READ_BYTES_PER_SECOND = 1_000_000;
const DATA_TIMEOUT_MS = 300;

/**
 * Starts the slow reader on `port` and waits until it has connected; `received` then resolves with
 * its byte count once the server has closed the connection. (Wrapped: an async function that
 * returned the promise itself would wait for it.)
 */
async function slowRead(port: number): Promise<{ received: Promise<number> }> {
  const reader = spawn('python3', [READER, String(port), String(READ_BYTES_PER_SECOND)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: reader.stdout })[Symbol.asyncIterator]();
  const first = await lines.next();
  if (first.value !== 'connected') throw new Error(`slow reader: ${String(first.value)}`);
  return { received: lines.next().then((count) => Number(count.value)) };
}

describe('ftp download to a slow reader', () => {
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
  ])('TYPE %s: every byte arrives, then 226', async (type, expectedBytes) => {
    const client = await FtpClient.connect((server as RunningClassicd).port('ftp'));
    try {
      await client.login();
      expectCode(await client.command(`TYPE ${type}`), 200);
      const { received } = await slowRead(await client.epsvPort());
      expectCode(await client.command('RETR big.txt'), 150);
      const size = Math.floor(FILE_BYTES / 100) * 100;
      expect(await received).toBe(expectedBytes(size));
      expectCode(await client.reply(30_000), 226);
    } finally {
      client.close();
    }
    expect((server as RunningClassicd).lines.some((line) => line.msg === 'data connection timed out')).toBe(false);
  });
});
