/**
 * A full disk during an upload: 452 (RFC 959 4.2.1, "insufficient storage space"), the file that was
 * there before left whole, nothing of the failed upload left behind, and the session going on. The
 * user's root is a small tmpfs this file mounts (root only; CI runs as root, and says so if it skips).
 * New files are written past the page cache and appends through it (native/src/receive_file.c),
 * so both ways meet the full disk, natively and through streams.
 */
import { createHash, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startClassicd, type RunningClassicd } from '../../helpers/classicd.js';
import { FtpClient, writeAll } from '../../helpers/ftp.js';
import { expectCode, ftpTestConfig, localUser, store, tempDir, binaryLogin } from './data-fixture.js';

const sha = (data: Buffer): string => createHash('sha256').update(data).digest('hex');
const DISK_BYTES = 4 * 1024 * 1024;
const GOOD = randomBytes(1024 * 1024);
/** More than the disk holds beside GOOD. */
const TOO_BIG = randomBytes(6 * 1024 * 1024);

/** Mounts a tmpfs of `bytes` on a new directory; undefined where this process may not mount. */
function mountSmallDisk(bytes: number): { path: string; remove: () => void } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const dir = tempDir('classicd-ftp-full-');
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes},mode=0755`, 'classicd-test', dir.path], {
      stdio: 'ignore',
    });
  } catch {
    dir.remove();
    return undefined;
  }
  return {
    path: dir.path,
    remove: () => {
      execFileSync('umount', [dir.path], { stdio: 'ignore' });
      dir.remove();
    },
  };
}

const disk = mountSmallDisk(DISK_BYTES);
if (!disk && process.getuid?.() === 0) {
  // Root without CAP_SYS_ADMIN (a container): said aloud, so a skip is never silent.
  console.warn('data-disk-full.test.ts: running as root but mount -t tmpfs failed; the disk-full tests are skipped');
}
afterAll(() => disk?.remove());

describe.skipIf(!disk).each([
  { path: 'native', nativeTransfers: true },
  { path: 'streams', nativeTransfers: false },
])('ftp uploads onto a full disk ($path)', ({ nativeTransfers }) => {
  const home = disk?.path ?? '';
  const anonymousRoot = tempDir('classicd-ftp-anon-');
  let server: RunningClassicd;
  const clients: FtpClient[] = [];

  const login = (): Promise<FtpClient> => binaryLogin(server.port('ftp'), clients);

  /** Sends `data` for `command`; the server may end the data connection before all of it is sent. */
  async function storeUntilRefused(client: FtpClient, command: string, data: Buffer): Promise<number> {
    const socket = await client.epsv();
    expectCode(await client.command(command), 150);
    await writeAll(socket, data).catch(() => undefined);
    socket.destroy();
    return (await client.reply()).code;
  }

  beforeAll(async () => {
    server = await startClassicd(
      ftpTestConfig({ anonymousRoot: anonymousRoot.path, users: [await localUser('alice', home)], nativeTransfers }),
    );
  });

  afterEach(() => {
    for (const client of clients.splice(0)) client.close();
    for (const name of readdirSync(home)) rmSync(`${home}/${name}`, { recursive: true, force: true });
  });

  afterAll(async () => {
    await server?.stop();
    anonymousRoot.remove();
  });

  it('a STOR over a good file: 452, the good file whole, no temporary file left, the session goes on', async () => {
    writeFileSync(`${home}/data.bin`, GOOD);
    const client = await login();
    expect(await storeUntilRefused(client, 'STOR data.bin', TOO_BIG)).toBe(452);
    // The admin reads why in the log, with the system's code.
    await server.waitForLine((line) => line.msg === 'refused by the file system' && line.code === 'ENOSPC');
    expect(sha(readFileSync(`${home}/data.bin`))).toBe(sha(GOOD));
    expect(readdirSync(home)).toEqual(['data.bin']);
    // The space the failed upload took is free again: a small upload now fits.
    expectCode(await client.command('NOOP'), 200);
    expectCode((await store(client, 'STOR small.bin', GOOD.subarray(0, 100_000))).final, 226);
    expect(sha(readFileSync(`${home}/small.bin`))).toBe(sha(GOOD.subarray(0, 100_000)));
  });

  it('a STOR of a new name: 452 and no file of that name', async () => {
    const client = await login();
    expect(await storeUntilRefused(client, 'STOR new.bin', TOO_BIG)).toBe(452);
    expect(readdirSync(home)).toEqual([]);
  });

  it('an APPE: 452, and the file is cut back to what it held', async () => {
    writeFileSync(`${home}/log.bin`, GOOD);
    const client = await login();
    expect(await storeUntilRefused(client, 'APPE log.bin', TOO_BIG)).toBe(452);
    expect(sha(readFileSync(`${home}/log.bin`))).toBe(sha(GOOD));
    expect(readdirSync(home)).toEqual(['log.bin']);
  });
});
