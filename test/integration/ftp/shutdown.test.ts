/**
 * A server stopped while uploads run: once the grace period is over and the sessions are closed,
 * each upload still cleans up after itself before the worker exits. Before, the worker exited at
 * once and left hidden temporary files, STOU's placeholder, and an append's extra bytes behind.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Socket } from 'node:net';
import { afterAll, expect, it } from 'vitest';
import { startClassicd, type RunningClassicd } from '../../helpers/classicd.js';
import { FtpClient, readAll } from '../../helpers/ftp.js';
import { eventually, expectCode, ftpTestConfig, localUser, openPassive, PASSWORD, tempDir } from './data-fixture.js';

const ORIGINAL = 'the file as it was\n';
const BIG = randomBytes(16 * 1024 * 1024); // more than loopback buffers hold: a download paused mid-way
const CHUNK = randomBytes(256 * 1024);

const anonymousRoot = tempDir('classicd-ftp-stop-anon-');
const home = tempDir('classicd-ftp-stop-home-');
const logs = tempDir('classicd-ftp-stop-logs-');
const xferlog = join(logs.path, 'xferlog');

afterAll(() => {
  anonymousRoot.remove();
  home.remove();
  logs.remove();
});

/** Starts uploads that are still running when the server is told to stop; returns what to close. */
async function startUploads(port: number): Promise<{ clients: FtpClient[]; dataSockets: Socket[] }> {
  const clients: FtpClient[] = [];
  const dataSockets: Socket[] = [];
  // The last two have a command waiting behind the upload when the server stops (QUIT and PWD
  // wait for a transfer to end), so no end of stream is read for them.
  const uploads = [
    ['STOR new.bin'],
    ['APPE orig.txt'],
    ['STOU unique.bin'],
    ['STOR quit.bin', 'QUIT'],
    ['STOR pwd.bin', 'PWD'],
  ];
  for (const [command, behind] of uploads) {
    const client = await FtpClient.connect(port);
    clients.push(client);
    await client.login('alice', PASSWORD);
    expectCode(await client.command('TYPE I'), 200);
    const data = await openPassive(client, 'EPSV');
    data.on('error', () => undefined); // cut by the server at shutdown
    dataSockets.push(data);
    expectCode(await client.command(command as string), 150);
    if (behind) client.send(behind);
    data.write(CHUNK); // and never ended: the uploads are running when the server stops
  }
  // Every upload has bytes on disk: the append in place, the others in their hidden files.
  await eventually(() => statSync(join(home.path, 'orig.txt')).size > ORIGINAL.length);
  await eventually(
    () =>
      readdirSync(home.path).filter(
        (name) => name.startsWith('.classicd-upload-') && statSync(join(home.path, name)).size > 0,
      ).length === 4,
  );
  return { clients, dataSockets };
}

/**
 * Nothing of the stopped uploads is left, and each has its incomplete (`i`) xferlog line, unless
 * the primary, which writes the xferlog, is gone (`withXferlog` false).
 */
function expectUploadsUndone(xferlogLinesBefore: number, withXferlog: boolean): void {
  expect(readdirSync(home.path)).toEqual(['orig.txt']);
  expect(readFileSync(join(home.path, 'orig.txt'), 'utf8')).toBe(ORIGINAL);
  const lines = existsSync(xferlog)
    ? readFileSync(xferlog, 'utf8').split('\n').filter(Boolean).slice(xferlogLinesBefore)
    : [];
  expect(lines).toHaveLength(withXferlog ? 5 : 0);
  for (const line of lines) expect(line).toMatch(/ i$/);
}

/** Whether the process has exited: gone, or a zombie that its new parent has not reaped yet. */
function exited(pid: number): boolean {
  try {
    return /^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return true;
  }
}

function xferlogLines(): number {
  return existsSync(xferlog) ? readFileSync(xferlog, 'utf8').split('\n').filter(Boolean).length : 0;
}

/**
 * Starts a server with a `shutdownGraceMs`, starts the uploads, has `stop` stop it while they run,
 * and checks they were all undone.
 */
async function stopDuringUploads(
  shutdownGraceMs: number,
  stop: (server: RunningClassicd) => Promise<unknown>,
  withXferlog = true,
): Promise<void> {
  writeFileSync(join(home.path, 'orig.txt'), ORIGINAL);
  const before = xferlogLines();
  const users = [await localUser('alice', home.path)];
  const server = await startClassicd(
    ftpTestConfig({ anonymousRoot: anonymousRoot.path, users, workers: 1, shutdownGraceMs, xferlog }),
  );
  let running: Awaited<ReturnType<typeof startUploads>> | undefined;
  try {
    running = await startUploads(server.port('ftp'));
    await stop(server);
  } finally {
    for (const socket of running?.dataSockets ?? []) socket.destroy();
    for (const client of running?.clients ?? []) client.close();
    await server.stop();
  }
  expectUploadsUndone(before, withXferlog);
}

it('stopping the server mid-upload leaves no temporary file, no placeholder, and the appended file as it was', async () => {
  await stopDuringUploads(100, (server) => server.stop());
});

// A second SIGTERM (or Ctrl-C) closes every session at once instead of waiting out the grace period;
// it used to exit the primary there and then, and the workers with it, before any upload was undone.
it('a second signal closes the sessions at once, and the uploads are still undone', async () => {
  await stopDuringUploads(120_000, async (server) => {
    server.child.kill('SIGTERM');
    await server.waitForLine((line) => line.msg === 'waiting for sessions to finish');
    server.child.kill('SIGTERM');
    await server.exited; // long before the grace period's two minutes, which the test would not outlast
  });
});

// A worker whose primary is gone (killed, or a bug) used to exit at once on its channel's close.
it('a worker whose primary is killed closes its sessions, undoes their uploads, then exits', async () => {
  await stopDuringUploads(
    120_000,
    async (server) => {
      const ready = await server.waitForLine((line) => line.msg === 'worker ready');
      server.child.kill('SIGKILL');
      await eventually(() => exited(ready.workerPid as number), 15_000);
    },
    false, // the xferlog's writer, the primary, is gone with its lines
  );
});

// RFC 959 4.2: 421 "may be a reply to any command if the service knows it must shut down". A long
// grace period, so that a server that waits it out fails the test by its timeout.
it('stopping the server says 421 to an idle session at once, and to a downloading one after its 226', async () => {
  writeFileSync(join(anonymousRoot.path, 'big.bin'), BIG);
  const server = await startClassicd(
    ftpTestConfig({ anonymousRoot: anonymousRoot.path, workers: 1, shutdownGraceMs: 120_000 }),
  );
  const idle = await FtpClient.connect(server.port('ftp'));
  const busy = await FtpClient.connect(server.port('ftp'));
  try {
    await idle.login();
    await busy.login();
    expectCode(await busy.command('TYPE I'), 200);
    const data = await openPassive(busy, 'EPSV');
    data.pause(); // the download stalls until the server has been told to stop
    expectCode(await busy.command('RETR big.bin'), 150);
    const stopped = server.stop();
    expectCode(await idle.reply(), 421);
    await idle.closed;
    data.resume();
    expect((await readAll(data)).equals(BIG)).toBe(true);
    expectCode(await busy.reply(), 226);
    expectCode(await busy.reply(), 421);
    await busy.closed;
    expect(await stopped).toBe(0);
  } finally {
    idle.close();
    busy.close();
    await server.stop();
  }
});
