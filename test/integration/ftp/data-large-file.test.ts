/**
 * Files past 4 GiB (the issue: "transfers support files over 4 GiB"): sizes, listings, and REST
 * offsets beyond 32 bits in both directions, on both transfer paths. The file is sparse, so the
 * test costs a few KB of disk and no time; every byte that matters sits past the 4 GiB mark.
 */
import { closeSync, openSync, readSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startClassicd, type RunningClassicd } from '../../helpers/classicd.js';
import { FtpClient, readAll } from '../../helpers/ftp.js';
import { expectCode, ftpTestConfig, localUser, retrieve, store, tempDir, binaryLogin } from './data-fixture.js';

const FIVE_GIB = 5 * 2 ** 30;
const TAIL = Buffer.from('the last 64 bytes of a five-GiB file, at offset 5 GiB minus 64..');

function readAt(path: string, offset: number, length: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const bytes = Buffer.alloc(length);
    const read = readSync(fd, bytes, 0, length, offset);
    return bytes.subarray(0, read);
  } finally {
    closeSync(fd);
  }
}

/** A sparse file of `size` bytes whose last bytes are `tail`. */
function sparseFileEndingIn(path: string, size: number, tail: Buffer): void {
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, tail, 0, tail.length, size - tail.length);
  } finally {
    closeSync(fd);
  }
}

describe.each([
  { path: 'native', nativeTransfers: true },
  { path: 'streams', nativeTransfers: false },
])('ftp files over 4 GiB ($path)', ({ nativeTransfers }) => {
  const anonymousRoot = tempDir('classicd-ftp-anon-');
  const home = tempDir('classicd-ftp-big-');
  let server: RunningClassicd;
  const clients: FtpClient[] = [];

  const login = (): Promise<FtpClient> => binaryLogin(server.port('ftp'), clients);

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

  it('reports the whole size in SIZE, MLST and LIST', async () => {
    sparseFileEndingIn(join(home.path, 'big.bin'), FIVE_GIB, TAIL);
    const client = await login();
    expect((await client.command('SIZE big.bin')).lines[0]).toBe(`213 ${FIVE_GIB}`);
    const mlst = await client.command('MLST big.bin');
    expectCode(mlst, 250);
    expect(mlst.lines[1]).toContain(`size=${FIVE_GIB};`);
    const socket = await client.epsv();
    const listing = readAll(socket);
    expectCode(await client.command('LIST big.bin'), 150);
    expect((await listing).toString()).toMatch(new RegExp(`\\s${FIVE_GIB}\\s.*big\\.bin\\r\\n$`));
    expectCode(await client.reply(), 226);
  });

  it('RETRs from a REST offset past 4 GiB (TYPE I)', async () => {
    sparseFileEndingIn(join(home.path, 'big.bin'), FIVE_GIB, TAIL);
    const client = await login();
    expectCode(await client.command('TYPE I'), 200);
    expectCode(await client.command(`REST ${FIVE_GIB - TAIL.length}`), 350);
    const { data, final } = await retrieve(client, 'big.bin');
    expectCode(final, 226);
    expect(data.toString()).toBe(TAIL.toString());
  });

  // In TYPE A the marker counts octets sent, found by reading the file from its start
  // (ascii-offsets.ts): done up to 64 MiB, refused above, before any data connection is used.
  it('refuses a REST in TYPE A on a 5 GiB file with 550, and the session goes on', async () => {
    sparseFileEndingIn(join(home.path, 'big.bin'), FIVE_GIB, TAIL);
    const client = await login();
    expectCode(await client.command('TYPE A'), 200);
    expectCode(await client.command(`REST ${FIVE_GIB - TAIL.length}`), 350);
    const socket = await client.epsv();
    const refused = await client.command('RETR big.bin');
    expectCode(refused, 550);
    expect(refused.text).toContain('TYPE I');
    socket.destroy();
    expectCode(await client.command('NOOP'), 200);
  });

  it('APPE writes after the 5 GiB already there, and REST + STOR resumes past them', async () => {
    const path = join(home.path, 'grow.bin');
    sparseFileEndingIn(path, FIVE_GIB, TAIL);
    const client = await login();
    const appended = Buffer.from('appended past five GiB\n');
    expectCode((await store(client, 'APPE grow.bin', appended)).final, 226);
    expect(statSync(path).size).toBe(FIVE_GIB + appended.length);
    expect(readAt(path, FIVE_GIB - TAIL.length, TAIL.length + appended.length)).toEqual(
      Buffer.concat([TAIL, appended]),
    );

    const resumed = Buffer.from('and resumed after that\n');
    expectCode(await client.command(`REST ${FIVE_GIB + appended.length}`), 350);
    expectCode((await store(client, 'STOR grow.bin', resumed)).final, 226);
    expect(statSync(path).size).toBe(FIVE_GIB + appended.length + resumed.length);
    expect(readAt(path, FIVE_GIB, appended.length + resumed.length)).toEqual(Buffer.concat([appended, resumed]));
  });
});
