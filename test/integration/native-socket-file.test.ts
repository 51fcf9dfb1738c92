/**
 * The native file moves (native/, shared/native/socket-file.ts), sendfile for downloads and
 * read/pwrite for uploads, over real loopback sockets and real files. CI builds the addon (REQUIRE_NATIVE_ADDON=1), so these never skip there; on a
 * machine without a compiler they skip, and FTP falls back to streams.
 */
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { open, readFile, type FileHandle } from 'node:fs/promises';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { nativeAddon, nativeAddonProblem } from '../../shared/native/addon.js';
import { canMoveFileBytes, receiveFileFrom, sendFileTo } from '../../shared/native/socket-file.js';

const CONTENT = randomBytes(5 * 1024 * 1024 + 17);
/** More than loopback socket buffers hold, so a reader that stops reading stops the job. */
const HUGE_BYTES = 64 * 1024 * 1024;
const sha = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

/** Waits, a loop turn at a time, until a job has moved its first bytes. */
async function untilStarted(job: { readonly progress: number }): Promise<void> {
  while (job.progress === 0) await new Promise((resolve) => setImmediate(resolve));
}

const available = nativeAddon() !== undefined;
if (!available && process.env.REQUIRE_NATIVE_ADDON === '1') {
  throw new Error(`REQUIRE_NATIVE_ADDON=1 but the native addon is missing: ${nativeAddonProblem()}`);
}

/**
 * A loopback listener for one describe block, its hooks registered: `pair()` connects a client and
 * returns [the server's socket, the client's]; `track()` closes a file after the test. Accepted
 * sockets are paused, as FTP's data connections are: nothing reads before a job.
 */
function loopbackFixture(prefix: string) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  let server: Server;
  const accepted: Socket[] = [];
  const opened: (Socket | FileHandle)[] = [];

  beforeAll(async () => {
    server = createServer({ pauseOnConnect: true }, (socket) => accepted.push(socket));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
  });

  afterEach(async () => {
    for (const item of opened.splice(0)) {
      if ('destroy' in item) item.destroy();
      else await item.close();
    }
    for (const socket of accepted.splice(0)) socket.destroy();
  });

  afterAll(async () => {
    server.close();
    await once(server, 'close');
    rmSync(dir, { recursive: true, force: true });
  });

  return {
    dir,
    pair: async (): Promise<[Socket, Socket]> => {
      const count = accepted.length;
      const client = connect((server.address() as { port: number }).port, '127.0.0.1');
      opened.push(client);
      await once(client, 'connect');
      while (accepted.length === count) await once(server, 'connection');
      return [accepted[count] as Socket, client];
    },
    track: (handle: FileHandle): FileHandle => {
      opened.push(handle);
      return handle;
    },
  };
}

describe.skipIf(!available)('native sendfile', () => {
  const { dir, pair, track } = loopbackFixture('classicd-sendfile-');
  const contentPath = join(dir, 'content.bin');
  const hugePath = join(dir, 'huge.bin');

  beforeAll(() => {
    writeFileSync(contentPath, CONTENT);
    writeFileSync(hugePath, Buffer.alloc(HUGE_BYTES, 0x5a));
  });

  async function openFile(path: string): Promise<FileHandle> {
    return track(await open(path, 'r'));
  }

  /** Everything the client receives until the server's FIN. */
  async function receiveAll(client: Socket): Promise<Buffer> {
    const chunks: Buffer[] = [];
    client.on('data', (chunk: Buffer) => chunks.push(chunk));
    await once(client, 'end');
    return Buffer.concat(chunks);
  }

  it('sends a file byte for byte, and a range of it from an offset', async () => {
    const file = await openFile(contentPath);
    for (const [offset, length] of [
      [0, CONTENT.length],
      [12_345, 1_000_000],
      [CONTENT.length, 0],
    ] as const) {
      const [socket, client] = await pair();
      const received = receiveAll(client);
      const job = sendFileTo(socket, file.fd, offset, length);
      expect(await job.done).toBe(length);
      expect(job.progress).toBe(length);
      socket.end();
      expect(sha(await received)).toBe(sha(CONTENT.subarray(offset, offset + length)));
    }
  });

  it('stops at the end of a file shorter than asked (truncated meanwhile)', async () => {
    const file = await openFile(contentPath);
    const [socket, client] = await pair();
    const received = receiveAll(client);
    const job = sendFileTo(socket, file.fd, 100, CONTENT.length);
    expect(await job.done).toBe(CONTENT.length - 100);
    socket.end();
    expect((await received).length).toBe(CONTENT.length - 100);
  });

  it('cancel() ends a job stalled on a reader that reads nothing: ECANCELED', async () => {
    const file = await openFile(hugePath);
    const [socket, client] = await pair();
    client.pause();
    const job = sendFileTo(socket, file.fd, 0, HUGE_BYTES);
    const outcome = job.done.then(
      () => 'finished',
      (error: NodeJS.ErrnoException) => error.code,
    );
    // Bounded: the job stalls once the loopback buffers are full, long before 64 MiB.
    await untilStarted(job);
    job.cancel();
    expect(await outcome).toBe('ECANCELED');
    expect(job.progress).toBeGreaterThan(0);
    expect(job.progress).toBeLessThan(HUGE_BYTES);
  });

  it('ends with ECANCELED when the socket is destroyed, releasing the connection', async () => {
    const file = await openFile(hugePath);
    const [socket, client] = await pair();
    client.pause();
    const job = sendFileTo(socket, file.fd, 0, HUGE_BYTES);
    const outcome = job.done.catch((error: NodeJS.ErrnoException) => error.code);
    socket.destroy();
    expect(await outcome).toBe('ECANCELED');
    // The job's duplicate descriptor is closed too, so the client sees the connection end.
    client.resume();
    await once(client, 'close');
  });

  it('fails with the socket error when the reader resets the connection', async () => {
    const file = await openFile(hugePath);
    const [socket, client] = await pair();
    const job = sendFileTo(socket, file.fd, 0, HUGE_BYTES);
    const outcome = job.done.catch((error: NodeJS.ErrnoException) => error.code);
    await once(client, 'data');
    client.resetAndDestroy();
    expect(['ECONNRESET', 'EPIPE']).toContain(await outcome);
  });

  it('is offered for plain TCP sockets only', async () => {
    const [socket] = await pair();
    expect(canMoveFileBytes(socket)).toBe(true);
    socket.destroy();
    expect(canMoveFileBytes(socket)).toBe(false);
  });
});

describe.skipIf(!available)('native receive', () => {
  const { dir, pair, track } = loopbackFixture('classicd-receive-');
  let files = 0;

  async function newFile(content = Buffer.alloc(0)): Promise<{ path: string; handle: FileHandle }> {
    const path = join(dir, `file-${files++}.bin`);
    writeFileSync(path, content);
    return { path, handle: track(await open(path, 'r+')) };
  }

  it('writes everything up to the client FIN, byte for byte, from an offset', async () => {
    const head = Buffer.from('kept head|');
    const { path, handle } = await newFile(head);
    const [socket, client] = await pair();
    const job = receiveFileFrom(socket, handle.fd, head.length, true);
    // In pieces, some larger than the job's buffers, some tiny.
    for (let at = 0; at < CONTENT.length;) {
      const size = at % 3 === 0 ? 700_000 : 1_000;
      client.write(CONTENT.subarray(at, at + size));
      at += size;
    }
    client.end();
    expect(await job.done).toBe(CONTENT.length);
    expect(sha(await readFile(path))).toBe(sha(Buffer.concat([head, CONTENT])));
  });

  it('an empty upload (FIN at once) writes nothing and succeeds', async () => {
    const { path, handle } = await newFile();
    const [socket, client] = await pair();
    const job = receiveFileFrom(socket, handle.fd, 0, false);
    client.end();
    expect(await job.done).toBe(0);
    expect((await readFile(path)).length).toBe(0);
  });

  it('a reset is an error, not the end of the file', async () => {
    const { handle } = await newFile();
    const [socket, client] = await pair();
    const job = receiveFileFrom(socket, handle.fd, 0, true);
    const outcome = job.done.catch((error: NodeJS.ErrnoException) => error.code);
    client.write(CONTENT.subarray(0, 100_000));
    await untilStarted(job);
    client.resetAndDestroy();
    expect(await outcome).toBe('ECONNRESET');
  });

  it('cancel() stops it with ECANCELED, after any write in flight', async () => {
    const { handle } = await newFile();
    const [socket, client] = await pair();
    const job = receiveFileFrom(socket, handle.fd, 0, true);
    const outcome = job.done.catch((error: NodeJS.ErrnoException) => error.code);
    client.write(CONTENT);
    await untilStarted(job);
    job.cancel();
    expect(await outcome).toBe('ECANCELED');
  });

  it('refuses a socket that JavaScript has already read from', async () => {
    const { handle } = await newFile();
    const [socket, client] = await pair();
    client.write('early bytes');
    socket.resume();
    await once(socket, 'data');
    expect(() => receiveFileFrom(socket, handle.fd, 0, true)).toThrow(/read from/);
  });
});
