/**
 * The native file moves (native/, shared/native/socket-file.ts), sendfile for downloads and
 * read/pwrite for uploads, over real loopback sockets and real files. CI builds the addon (REQUIRE_NATIVE_ADDON=1), so these never skip there; on a
 * machine without a compiler they skip, and FTP falls back to streams.
 */
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { constants, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
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

/** The flags /proc shows for one of this process's descriptors. */
const fileFlags = (fd: number): number =>
  parseInt(/^flags:\s+([0-7]+)$/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))?.[1] ?? 'x', 8);

/** The flags of every descriptor of this process open on `path` but `handle`'s. */
function otherDescriptors(path: string, handle: FileHandle): number[] {
  return readdirSync('/proc/self/fd')
    .map(Number)
    .filter((fd) => fd !== handle.fd && readlinkQuietly(`/proc/self/fd/${fd}`) === path)
    .map(fileFlags);
}

function readlinkQuietly(path: string): string | undefined {
  try {
    return readlinkSync(path);
  } catch {
    return undefined; // closed since the directory was read
  }
}

const CACHED = { writeBack: true, direct: false } as const;
const DIRECT = { writeBack: true, direct: true } as const;

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
    const job = receiveFileFrom(socket, handle.fd, head.length, CACHED);
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

  /** Sends `content` in pieces of `sizes` (round and round), letting the loop turn between some. */
  async function sendInPieces(client: Socket, content: Buffer, sizes: readonly number[]): Promise<void> {
    for (let at = 0, piece = 0; at < content.length; piece++) {
      const size = sizes[piece % sizes.length] as number;
      client.write(content.subarray(at, at + size));
      at += size;
      // A pause now and then: the job then finds less than a buffer waiting, and writes it early.
      if (piece % 4 === 3) await new Promise((resolve) => setImmediate(resolve));
    }
    client.end();
  }

  it('direct: writes past the page cache, byte for byte, whatever the size around a block', async () => {
    for (const size of [
      1,
      4095,
      4096,
      4097,
      262_143,
      262_144,
      262_145,
      1_048_575,
      1_048_576,
      1_048_577,
      CONTENT.length,
    ]) {
      const content = CONTENT.subarray(0, size);
      const { path, handle } = await newFile();
      const flagsBefore = fileFlags(handle.fd);
      const [socket, client] = await pair();
      const job = receiveFileFrom(socket, handle.fd, 0, DIRECT);
      // A first piece, then no more until the job has it: the job has the file open with O_DIRECT.
      const first = Math.min(size, 5_000);
      client.write(content.subarray(0, first));
      while (job.progress < first) await new Promise((resolve) => setImmediate(resolve));
      expect(otherDescriptors(path, handle), `while ${size} bytes come`).toEqual([
        expect.toSatisfy((flags: number) => (flags & constants.O_DIRECT) !== 0),
      ]);
      // Then odd pieces, so that whole blocks are written early and their partial block carried over.
      await sendInPieces(client, content.subarray(first), [70_001, 1_333, 300_000, 5_000]);
      expect(await job.done).toBe(size);
      expect(fileFlags(handle.fd), "the caller's descriptor keeps its flags").toBe(flagsBefore);
      expect(otherDescriptors(path, handle), 'the direct descriptor is closed').toEqual([]);
      expect(sha(await readFile(path)), `${size} bytes`).toBe(sha(content));
    }
  });

  it('direct: from an offset that is not a whole number of blocks, writes through the cache', async () => {
    const head = Buffer.from('kept head|');
    const { path, handle } = await newFile(head);
    const [socket, client] = await pair();
    const job = receiveFileFrom(socket, handle.fd, head.length, DIRECT);
    const sending = sendInPieces(client, CONTENT, [70_001, 1_333]);
    await untilStarted(job);
    expect(otherDescriptors(path, handle)).toEqual([]);
    await sending;
    expect(await job.done).toBe(CONTENT.length);
    expect(sha(await readFile(path))).toBe(sha(Buffer.concat([head, CONTENT])));
  });

  it('an empty upload (FIN at once) writes nothing and succeeds', async () => {
    const { path, handle } = await newFile();
    const [socket, client] = await pair();
    const job = receiveFileFrom(socket, handle.fd, 0, { writeBack: false, direct: false });
    client.end();
    expect(await job.done).toBe(0);
    expect((await readFile(path)).length).toBe(0);
  });

  it('a reset is an error, not the end of the file', async () => {
    const { handle } = await newFile();
    const [socket, client] = await pair();
    const job = receiveFileFrom(socket, handle.fd, 0, CACHED);
    const outcome = job.done.catch((error: NodeJS.ErrnoException) => error.code);
    client.write(CONTENT.subarray(0, 100_000));
    await untilStarted(job);
    client.resetAndDestroy();
    expect(await outcome).toBe('ECONNRESET');
  });

  it('cancel() stops it with ECANCELED, after any write in flight', async () => {
    const { handle } = await newFile();
    const [socket, client] = await pair();
    const job = receiveFileFrom(socket, handle.fd, 0, CACHED);
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
    expect(() => receiveFileFrom(socket, handle.fd, 0, CACHED)).toThrow(/read from/);
  });
});
