/**
 * A directory swapped for a symlink out of the root between a command's check and the later use of
 * its path. One session starts a listing or an upload and waits with it open; a second session of
 * the same user renames the directory away and moves a symlink to `outside/` into its place
 * (RNFR/RNTO, nothing else). What the first session then reads, writes, truncates or deletes must
 * still be inside the root (services/ftp/fs/pinned.ts). Also the drop box: two uploads of one new
 * name, of which only one may be acknowledged.
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { hashPassword } from '../../../services/ftp/auth/password-hash.js';
import { startClassicd, testConfig, type RunningClassicd } from '../../helpers/classicd.js';
import { connectSocket, FtpClient, readAll } from '../../helpers/ftp.js';
import { FAST_FTP } from './fs-fixture.js';

const INSIDE_X = 'inside x\n';
const OUTSIDE_X = 'outside x: must never change\n';

let server: RunningClassicd;
let base: string;
let home: string;
let outside: string;
let drop: string;
const open: FtpClient[] = [];
const dataSockets: Socket[] = [];

beforeAll(async () => {
  base = mkdtempSync(join(tmpdir(), 'classicd-ftp-swap-'));
  home = join(base, 'home');
  outside = join(base, 'outside');
  drop = join(base, 'anon');
  mkdirSync(join(drop, 'incoming'), { recursive: true });
  const password = await hashPassword('secret');
  server = await startClassicd(
    testConfig({
      ftp: {
        ...FAST_FTP,
        anonymous: { enabled: true, root: drop, upload: { enabled: true, dir: 'incoming' } },
        users: [{ name: 'alice', password, root: home, permissions: ['read', 'write', 'delete', 'mkdir', 'rename'] }],
      },
    }),
  );
});

afterAll(async () => {
  await server?.stop();
  rmSync(base, { recursive: true, force: true });
});

/** home/d/x inside, home/out -> outside/ with its own x and a secret. */
beforeEach(() => {
  for (const dir of [home, outside]) rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(home, 'd'), { recursive: true });
  mkdirSync(outside);
  writeFileSync(join(home, 'd', 'x'), INSIDE_X);
  writeFileSync(join(outside, 'x'), OUTSIDE_X);
  writeFileSync(join(outside, 'secret.txt'), 'secret\n');
  symlinkSync(outside, join(home, 'out'));
});

afterEach(() => {
  for (const ftp of open.splice(0)) ftp.close();
  for (const socket of dataSockets.splice(0)) socket.destroy();
});

/** A data connection the server may reset (ABOR): kept quiet, and closed after the test. */
function held(socket: Socket): Socket {
  socket.on('error', () => undefined);
  dataSockets.push(socket);
  return socket;
}

async function login(user = 'alice', password = 'secret'): Promise<FtpClient> {
  const ftp = await FtpClient.connect(server.port('ftp'));
  open.push(ftp);
  await ftp.login(user, password);
  return ftp;
}

/** The attacker's second session: `d` becomes `d_old`, and the link out of the root becomes `d`. */
async function swapDirectoryForLinkOut(): Promise<void> {
  const ftp = await login();
  await ftp.expect('RNFR d', 350);
  await ftp.expect('RNTO d_old', 250);
  await ftp.expect('RNFR out', 350);
  await ftp.expect('RNTO d', 250);
  await ftp.quit();
}

describe('a directory swapped for a link out of the root', () => {
  for (const verb of ['LIST', 'NLST', 'MLSD']) {
    it(`${verb} read after the swap lists nothing outside`, async () => {
      const ftp = await login();
      const { host, port } = await ftp.pasvAddress();
      await ftp.expect(`${verb} d`, 150);
      await swapDirectoryForLinkOut();
      const data = held(await connectSocket(port, host));
      // Nothing at all: not even MLSD's cdir line, which would give the outside directory's facts.
      expect((await readAll(data)).toString()).toBe('');
      expect((await ftp.reply()).code).not.toBe(226);
      await ftp.expect('NOOP', 200);
    });
  }

  it('APPE undone by ABOR truncates the file it appended to, not the one outside', async () => {
    const ftp = await login();
    await ftp.expect('TYPE I', 200);
    const data = held(await ftp.pasv());
    await ftp.expect('APPE d/x', 150);
    data.write('appended bytes');
    await swapDirectoryForLinkOut();
    await ftp.command('ABOR'); // 426 for the transfer, then 226
    await ftp.reply();
    expect(readFileSync(join(outside, 'x'), 'utf8')).toBe(OUTSIDE_X);
    expect(readFileSync(join(home, 'd_old', 'x'), 'utf8')).toBe(INSIDE_X);
  });

  it('STOU undone by ABOR removes its own placeholder, not a file of that name outside', async () => {
    writeFileSync(join(outside, 'victim'), 'keep\n');
    const ftp = await login();
    const data = held(await ftp.pasv());
    expect((await ftp.expect('STOU d/victim', 150)).text).toBe('FILE: d/victim');
    data.write('partial');
    await swapDirectoryForLinkOut();
    await ftp.command('ABOR');
    await ftp.reply();
    expect(readFileSync(join(outside, 'victim'), 'utf8')).toBe('keep\n');
    expect(readdirSync(join(home, 'd_old')).sort()).toEqual(['x']);
  });

  it('STOR completed after the swap lands where it was checked, never outside', async () => {
    const ftp = await login();
    const data = held(await ftp.pasv());
    await ftp.expect('STOR d/new.txt', 150);
    await swapDirectoryForLinkOut();
    data.end('uploaded\n');
    expect((await ftp.reply()).code).toBe(226);
    expect(existsSync(join(outside, 'new.txt'))).toBe(false);
    expect(readFileSync(join(home, 'd_old', 'new.txt'), 'utf8')).toBe('uploaded\n');
  });
});

describe('an upload whose rename fails', () => {
  it('leaves no hidden file behind when another session made a directory of its name', async () => {
    const ftp = await login();
    const data = held(await ftp.pasv());
    await ftp.expect('STOR taken', 150);
    data.write('bytes that will have nowhere to go');
    const other = await login();
    await other.expect('MKD taken', 257);
    data.end();
    const reply = await ftp.reply();
    expect(reply.code).toBeGreaterThanOrEqual(450);
    expect(readdirSync(home).filter((name) => name.startsWith('.classicd-upload-'))).toEqual([]);
    await ftp.expect('NOOP', 200);
  });
});

describe('the drop box', () => {
  it('acknowledges one of two uploads of one new name; the other is refused before its 150', async () => {
    const first = await login('anonymous', 'a@example.org');
    const second = await login('anonymous', 'b@example.org');
    const firstData = held(await first.pasv());
    await first.expect('STOR incoming/race.txt', 150);
    held(await second.pasv());
    expect((await second.command('STOR incoming/race.txt')).code).toBe(550);
    firstData.end('first\n');
    expect((await first.reply()).code).toBe(226);
    expect(readFileSync(join(drop, 'incoming', 'race.txt'), 'utf8')).toBe('first\n');
  });

  it('a failed STOU removes its placeholder, not the file another session stored in its place', async () => {
    const first = await login();
    held(await first.pasv()); // never used: the STOU waits for it, until ABOR
    expect((await first.expect('STOU claimed', 150)).text).toBe('FILE: claimed');
    const second = await login();
    await second.expect('DELE claimed', 250);
    const data = held(await second.pasv());
    await second.expect('STOR claimed', 150);
    data.end('stored by the second session\n');
    expect((await second.reply()).code).toBe(226);
    await first.command('ABOR');
    await first.reply();
    expect(readFileSync(join(home, 'claimed'), 'utf8')).toBe('stored by the second session\n');
  });

  it('gives the name back when the upload that claimed it fails', async () => {
    const first = await login('anonymous', 'a@example.org');
    const firstData = held(await first.pasv());
    await first.expect('STOR incoming/again.txt', 150);
    firstData.write('partial');
    await first.command('ABOR');
    await first.reply();
    expect(existsSync(join(drop, 'incoming', 'again.txt'))).toBe(false);
    const second = await login('anonymous', 'b@example.org');
    const secondData = held(await second.pasv());
    await second.expect('STOR incoming/again.txt', 150);
    secondData.end('second\n');
    expect((await second.reply()).code).toBe(226);
    expect(readFileSync(join(drop, 'incoming', 'again.txt'), 'utf8')).toBe('second\n');
  });
});
