/**
 * Uploads (STOR, APPE, STOU, REST+STOR) by a local user with write permission: atomic replacement,
 * 226 only once the file is in place, and a broken upload never replacing a good file.
 */
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startClassicd, type RunningClassicd } from '../../helpers/classicd.js';
import { FtpClient, readAll, writeAll } from '../../helpers/ftp.js';
import {
  binaryLogin,
  eventually,
  expectCode,
  ftpTestConfig,
  localUser,
  retrieve,
  store,
  tempDir,
} from './data-fixture.js';

const sha = (data: Buffer): string => createHash('sha256').update(data).digest('hex');
const GOOD = randomBytes(3 * 1024 * 1024);

// Binary uploads move in native code by default (read/pwrite) and through Node streams without
// it (no addon, TLS, a rate limit or TYPE A): both paths get every case.
describe.each([
  { path: 'native', nativeTransfers: true },
  { path: 'streams', nativeTransfers: false },
])('ftp uploads ($path)', ({ nativeTransfers }) => {
  const anonymousRoot = tempDir('classicd-ftp-anon-');
  const home = tempDir('classicd-ftp-alice-');
  const logs = tempDir('classicd-ftp-xferlog-');
  const xferlog = join(logs.path, 'xferlog');
  let server: RunningClassicd;
  const clients: FtpClient[] = [];

  /** Everything in the home directory that is not a finished file: an upload in progress. */
  const leftovers = (): string[] => readdirSync(home.path).filter((name) => name.startsWith('.classicd-upload-'));

  const login = (user?: string): Promise<FtpClient> => binaryLogin(server.port('ftp'), clients, user);

  /** Starts `command` (an upload), sends `bytes` of it, then resets the data connection: 426. */
  async function resetMidUpload(command: string, bytes: number): Promise<FtpClient> {
    const client = await login();
    const socket = await client.epsv();
    expectCode(await client.command(command), 150);
    await new Promise<void>((resolve) => socket.write(randomBytes(bytes), () => resolve()));
    socket.resetAndDestroy();
    expectCode(await client.reply(), 426);
    return client;
  }

  beforeAll(async () => {
    writeFileSync(join(anonymousRoot.path, 'readme.txt'), 'read only\n');
    const users = [
      await localUser('alice', home.path, { umask: '027' }),
      await localUser('reader', home.path, { permissions: ['read'] }),
      await localUser('slow', home.path, { maxRateBytesPerSecond: 256 * 1024 }),
    ];
    server = await startClassicd(ftpTestConfig({ anonymousRoot: anonymousRoot.path, users, xferlog, nativeTransfers }));
  });

  afterEach(() => {
    for (const client of clients.splice(0)) client.close();
    expect(leftovers()).toEqual([]);
  });

  afterAll(async () => {
    await server?.stop();
    anonymousRoot.remove();
    home.remove();
    logs.remove();
  });

  it('STOR then RETR round-trips a few MB byte for byte, with the umask applied', async () => {
    const client = await login();
    const { opening, final } = await store(client, 'STOR round.bin', GOOD);
    expectCode(opening, 150);
    expectCode(final, 226);
    // 226 came after the rename: the file is whole on disk now.
    expect(sha(readFileSync(join(home.path, 'round.bin')))).toBe(sha(GOOD));
    expect(statSync(join(home.path, 'round.bin')).mode & 0o777).toBe(0o640);
    const { data } = await retrieve(client, 'round.bin');
    expect(sha(data)).toBe(sha(GOOD));
    // One xferlog line each way, as vsftpd writes them.
    const lines = (): string[] => (existsSync(xferlog) ? readFileSync(xferlog, 'utf8').split('\n') : []);
    await eventually(() => lines().some((line) => line.includes('/round.bin b _ o')));
    expect(lines().find((line) => line.includes('/round.bin b _ i'))).toMatch(
      new RegExp(` 127\\.0\\.0\\.1 ${GOOD.length} /round\\.bin b _ i r alice ftp 0 \\* c$`),
    );
    expect(lines().find((line) => line.includes('/round.bin b _ o'))).toMatch(
      / \/round\.bin b _ o r alice ftp 0 \* c$/,
    );
  });

  // The 1yz reply belongs to its command (RFC 959 4.2): a NOOP and a STAT sent right behind an upload
  // are answered after its 150, though the upload opens its file before sending it.
  it.each(['STOR piped.bin', 'APPE piped.bin', 'STOU piped.bin'])(
    '%s with NOOP and STAT pipelined behind it: 150 first, then 200 and 211',
    async (command) => {
      const client = await login();
      const data = await client.epsv();
      client.socket.write(`${command}\r\nNOOP\r\nSTAT\r\n`);
      expectCode(await client.reply(), 150);
      expectCode(await client.reply(), 200);
      expectCode(await client.reply(), 211);
      await writeAll(data, 'piped\n');
      expectCode(await client.reply(), 226);
    },
  );

  // The session's end line feeds classicd_bytes_received_total/_sent_total: a 3 MB upload and
  // download must show there, not only the few hundred bytes of the control connection.
  it('counts the data connections in the session end line', async () => {
    const client = await login();
    const remote = `127.0.0.1:${client.socket.localPort}`;
    expectCode((await store(client, 'STOR counted.bin', GOOD)).final, 226);
    expect(sha((await retrieve(client, 'counted.bin')).data)).toBe(sha(GOOD));
    await client.quit();
    const end = await server.waitForLine((line) => line.msg === 'session end' && line.remote === remote);
    expect(end.bytesIn).toBeGreaterThanOrEqual(GOOD.length);
    expect(end.bytesOut).toBeGreaterThanOrEqual(GOOD.length);
  });

  it('STOR over an existing file replaces it and keeps its mode', async () => {
    const path = join(home.path, 'replace.txt');
    writeFileSync(path, 'old contents, longer than the new ones\n', { mode: 0o600 });
    const client = await login();
    expectCode((await store(client, 'STOR replace.txt', 'new\n')).final, 226);
    expect(readFileSync(path, 'utf8')).toBe('new\n');
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it.each([
    { name: 'STOR', command: 'STOR', data: 'new\n', expected: 'new\n' },
    { name: 'APPE', command: 'APPE', data: 'more\n', expected: 'old\nmore\n' },
    { name: 'REST 2 + STOR', rest: 2, command: 'STOR', data: 'd\n', expected: 'old\n'.slice(0, 2) + 'd\n' },
  ])('$name onto a set-ID file leaves it without its set-ID bits', async ({ rest, command, data, expected }) => {
    // New bytes in a set-user-ID program would run with its owner's rights; the kernel clears the
    // bit on write only for a writer without CAP_FSETID, and the tests run as root.
    const path = join(home.path, 'setid-program');
    writeFileSync(path, 'old\n');
    chmodSync(path, 0o6755);
    const client = await login();
    if (rest !== undefined) expectCode(await client.command(`REST ${rest}`), 350);
    expectCode((await store(client, `${command} setid-program`, data)).final, 226);
    expect(readFileSync(path, 'utf8')).toBe(expected);
    expect(statSync(path).mode & 0o7777).toBe(0o755);
  });

  it('STOR in TYPE A turns CRLF into LF', async () => {
    const client = await login();
    expectCode(await client.command('TYPE A'), 200);
    expectCode((await store(client, 'STOR ascii.txt', 'one\r\ntwo\r\nbare\rCR\r\n')).final, 226);
    expect(readFileSync(join(home.path, 'ascii.txt'), 'latin1')).toBe('one\ntwo\nbare\rCR\n');
  });

  it('APPE adds to the end of a file, and creates one that is not there', async () => {
    const path = join(home.path, 'log.txt');
    writeFileSync(path, 'first\n');
    const client = await login();
    expectCode((await store(client, 'APPE log.txt', 'second\n')).final, 226);
    expect(readFileSync(path, 'utf8')).toBe('first\nsecond\n');
    expectCode((await store(client, 'APPE fresh.txt', 'new\n')).final, 226);
    expect(readFileSync(join(home.path, 'fresh.txt'), 'utf8')).toBe('new\n');
    expect(statSync(join(home.path, 'fresh.txt')).mode & 0o777).toBe(0o640); // the umask's
  });

  // An APPE of a new name makes the file and appends to it in place, locked like any other. It
  // used to go the replacing way (a hidden file renamed over the name): both APPEs were answered
  // 226, and the second rename erased the first's bytes.
  it('two APPEs of one new name: the second is 450 while the first runs, then appends after it', async () => {
    const path = join(home.path, 'new-log.txt');
    const writer = await login();
    const other = await login();
    const data = await writer.epsv();
    expectCode(await writer.command('APPE new-log.txt'), 150);
    await new Promise<void>((resolve) => data.write('first\n', () => resolve()));

    const refused = await other.epsv();
    expectCode(await other.command('APPE new-log.txt'), 450);
    refused.destroy();

    await writeAll(data, '');
    expectCode(await writer.reply(), 226);
    expectCode((await store(other, 'APPE new-log.txt', 'second\n')).final, 226);
    expect(readFileSync(path, 'utf8')).toBe('first\nsecond\n');
  });

  it('a broken APPE of a new name leaves no file behind', async () => {
    await resetMidUpload('APPE broken-new.txt', 256 * 1024);
    expect(existsSync(join(home.path, 'broken-new.txt'))).toBe(false);
  });

  // APPE appends: a REST before it must name the end (then it is an ordinary append). Any other
  // marker is refused, and the file is left alone; it used to be cut at the marker.
  it('REST + APPE: at the end appends, anywhere else is 554 and the file stays', async () => {
    const path = join(home.path, 'appe-rest.txt');
    writeFileSync(path, '0123456789');
    const client = await login();
    expectCode(await client.command('REST 3'), 350);
    expectCode((await store(client, 'APPE appe-rest.txt', 'ABC')).final, 554);
    expect(readFileSync(path, 'utf8')).toBe('0123456789');
    expectCode(await client.command('REST 10'), 350);
    expectCode((await store(client, 'APPE appe-rest.txt', 'ABC')).final, 226);
    expect(readFileSync(path, 'utf8')).toBe('0123456789ABC');
  });

  it('REST n + STOR resumes after byte n, and a REST inside the file replaces its tail', async () => {
    const path = join(home.path, 'resume.bin');
    writeFileSync(path, '0123456789');
    const client = await login();
    expectCode(await client.command('REST 10'), 350);
    expectCode((await store(client, 'STOR resume.bin', 'abc')).final, 226);
    expect(readFileSync(path, 'utf8')).toBe('0123456789abc');
    expectCode(await client.command('REST 4'), 350);
    expectCode((await store(client, 'STOR resume.bin', 'XY')).final, 226);
    expect(readFileSync(path, 'utf8')).toBe('0123XY');
    // The offset was used once: a plain STOR replaces the file.
    expectCode((await store(client, 'STOR resume.bin', 'whole')).final, 226);
    expect(readFileSync(path, 'utf8')).toBe('whole');
  });

  // The marker counts octets of the stream, as for RETR (RFC 3659 5): after the first `marker`
  // octets of `a CR LF b CR LF c CR LF` were stored (as `a LF b`), the rest joins up, even from
  // between a CR and its LF.
  it.each([
    [4, 'a\nb'],
    [3, 'a\nb'],
    [2, 'a\nb'],
  ])('REST %i + STOR in TYPE A resumes after that many octets of the stream', async (marker, stored) => {
    const path = join(home.path, 'resume.txt');
    writeFileSync(path, stored);
    const client = await login();
    expectCode(await client.command('TYPE A'), 200);
    expectCode(await client.command(`REST ${marker}`), 350);
    expectCode((await store(client, 'STOR resume.txt', 'a\r\nb\r\nc\r\n'.slice(marker))).final, 226);
    expect(readFileSync(path, 'utf8')).toBe('a\nb\nc\n');
  });

  it('REST past the end of the file, or of a missing one, is 554 for STOR', async () => {
    writeFileSync(join(home.path, 'short.txt'), 'abc');
    const client = await login();
    expectCode(await client.command('REST 4'), 350);
    expectCode((await store(client, 'STOR short.txt', 'x')).opening, 554);
    expectCode(await client.command('REST 1'), 350);
    expectCode((await store(client, 'STOR missing.txt', 'x')).opening, 554);
    expect(readFileSync(join(home.path, 'short.txt'), 'utf8')).toBe('abc');
  });

  it('STOU stores under a new name each time and names it in the 150 reply (RFC 1123 4.1.2.9)', async () => {
    const client = await login();
    const first = await store(client, 'STOU', 'one');
    expect(first.opening.lines[0]).toBe('150 FILE: STOU');
    expectCode(first.final, 226);
    const second = await store(client, 'STOU', 'two');
    expect(second.opening.lines[0]).toBe('150 FILE: STOU.1');
    expect(second.final.text).toContain('STOU.1');
    const named = await store(client, 'STOU report.txt', 'three');
    expect(named.opening.text).toBe('FILE: report.txt');
    expect(readFileSync(join(home.path, 'STOU'), 'utf8')).toBe('one');
    expect(readFileSync(join(home.path, 'STOU.1'), 'utf8')).toBe('two');
    expect(readFileSync(join(home.path, 'report.txt'), 'utf8')).toBe('three');
  });

  it('a client that resets the data connection mid-STOR gets 426, and the old file stays', async () => {
    const path = join(home.path, 'precious.bin');
    writeFileSync(path, GOOD);
    const client = await resetMidUpload('STOR precious.bin', 1024 * 1024);
    // The 426 is sent after the partial file was removed.
    expect(sha(readFileSync(path))).toBe(sha(GOOD));
    expectCode(await client.command('NOOP'), 200);
  });

  it('a client that drops the control connection mid-STOR leaves the old file as it was', async () => {
    const path = join(home.path, 'precious2.bin');
    writeFileSync(path, GOOD);
    const client = await login();
    const socket = await client.epsv();
    socket.on('error', () => undefined);
    expectCode(await client.command('STOR precious2.bin'), 150);
    await new Promise<void>((resolve) => socket.write(randomBytes(512 * 1024), () => resolve()));
    client.close();
    await server.waitForLine((line) => line.msg === 'transfer failed' && line.transfer === 'STOR /precious2.bin');
    socket.destroy();
    expect(sha(readFileSync(path))).toBe(sha(GOOD));
  });

  it('a broken APPE leaves the file exactly as it was, its set-ID bit too', async () => {
    const path = join(home.path, 'append-fail.txt');
    writeFileSync(path, 'keep me\n');
    chmodSync(path, 0o4755); // cleared while the append runs, and given back when it fails
    await resetMidUpload('APPE append-fail.txt', 256 * 1024);
    expect(readFileSync(path, 'utf8')).toBe('keep me\n');
    expect(statSync(path).mode & 0o7777).toBe(0o4755);
  });

  // vsftpd's lock_upload_files, without its wait: an append in progress excludes another append and
  // a download of the file (450, file busy). Before, two appends wrote over each other, and one that
  // failed cut the file back, erasing the other's acknowledged bytes.
  it('while an APPE runs, another APPE or a RETR of the file is 450; afterwards both work', async () => {
    const path = join(home.path, 'busy.txt');
    writeFileSync(path, 'base\n');
    const writer = await login();
    const other = await login();
    const data = await writer.epsv();
    expectCode(await writer.command('APPE busy.txt'), 150);
    await new Promise<void>((resolve) => data.write('first\n', () => resolve()));
    await eventually(() => statSync(path).size > 'base\n'.length);

    const refused = await other.epsv();
    expectCode(await other.command('APPE busy.txt'), 450);
    expectCode(await other.command('RETR busy.txt'), 450);
    refused.destroy();

    await writeAll(data, '');
    expectCode(await writer.reply(), 226);
    expectCode((await store(other, 'APPE busy.txt', 'second\n')).final, 226);
    expect((await retrieve(other, 'busy.txt')).data.toString()).toBe('base\nfirst\nsecond\n');
  });

  it('ABOR during STOR: 426 then 226, nothing stored', async () => {
    const client = await login();
    const socket = await client.epsv();
    // The server closes an aborted upload's data connection with bytes unread, which is a reset.
    socket.on('error', () => undefined);
    expectCode(await client.command('STOR aborted.bin'), 150);
    await new Promise<void>((resolve) => socket.write(randomBytes(64 * 1024), () => resolve()));
    expectCode(await client.command('ABOR'), 426);
    expectCode(await client.reply(), 226);
    socket.destroy();
    expect(existsSync(join(home.path, 'aborted.bin'))).toBe(false);
  });

  it('refuses uploads without write permission, and anonymous uploads outside a drop box', async () => {
    const reader = await login('reader');
    expectCode((await store(reader, 'STOR nope.txt', 'x')).opening, 550);
    expectCode((await store(reader, 'APPE nope.txt', 'x')).opening, 550);
    expectCode((await store(reader, 'STOU', 'x')).opening, 550);
    const anonymous = await FtpClient.connect(server.port('ftp'));
    clients.push(anonymous);
    await anonymous.login();
    expectCode((await store(anonymous, 'STOR readme.txt', 'x')).opening, 550);
    expectCode((await store(anonymous, 'STOR new.txt', 'x')).opening, 550);
    expect(readFileSync(join(anonymousRoot.path, 'readme.txt'), 'utf8')).toBe('read only\n');
    expect(existsSync(join(anonymousRoot.path, 'new.txt'))).toBe(false);
    expect(existsSync(join(home.path, 'nope.txt'))).toBe(false);
  });

  // Such names are the server's own: a client could read another session's upload as it is
  // written, or keep files under names no listing shows.
  it('refuses every command that names an upload in progress (.classicd-upload-*)', async () => {
    writeFileSync(join(home.path, 'named.txt'), 'x');
    const client = await login();
    // As another session's STOR would have it while it runs.
    writeFileSync(join(home.path, '.classicd-upload-0011223344556677'), 'half an upload');
    try {
      const data = await client.epsv();
      expectCode(await client.command('RETR .classicd-upload-0011223344556677'), 550);
      data.destroy();
      for (const command of [
        'SIZE .classicd-upload-0011223344556677',
        'MLST .classicd-upload-0011223344556677',
        'DELE .classicd-upload-0011223344556677',
        'MKD .classicd-upload-dir',
      ]) {
        expectCode(await client.command(command), 550);
      }
      expectCode(await client.command('RNFR named.txt'), 350);
      expectCode(await client.command('RNTO .classicd-upload-mine'), 550);
      expectCode((await store(client, 'STOR .classicd-upload-mine', 'hidden')).opening, 550);
    } finally {
      rmSync(join(home.path, '.classicd-upload-0011223344556677'));
    }
  });

  // As vsftpd logs a RETR it could not open: an incomplete line of 0 bytes, and the reason in the log.
  it('a refused transfer leaves an incomplete xferlog line and an access-policy log line', async () => {
    const reader = await login('reader');
    expectCode((await store(reader, 'STOR refused-upload.txt', 'x')).opening, 550);
    const data = await reader.epsv();
    expectCode(await reader.command('RETR missing-download.txt'), 550);
    data.destroy();
    const lines = (): string[] => (existsSync(xferlog) ? readFileSync(xferlog, 'utf8').split('\n') : []);
    await eventually(() => lines().some((line) => line.includes('/missing-download.txt')));
    expect(lines().find((line) => line.includes('/refused-upload.txt'))).toMatch(
      / 127\.0\.0\.1 0 \/refused-upload\.txt b _ i r reader ftp 0 \* i$/,
    );
    expect(lines().find((line) => line.includes('/missing-download.txt'))).toMatch(
      / 0 \/missing-download\.txt b _ o r reader ftp 0 \* i$/,
    );
    await server.waitForLine(
      (line) =>
        line.msg === 'refused by the access policy' && line.path === '/refused-upload.txt' && line.action === 'create',
    );
  });

  // Refusals when the file is opened (after the checks) are transfers that moved nothing too; and a
  // session repeating refused transfers writes 20 such lines, not one per command.
  it('an upload refused as its file opens has its line; a session writes at most 20 empty lines', async () => {
    writeFileSync(join(home.path, 'held.txt'), 'base\n');
    const holder = await login();
    const holding = await holder.epsv();
    expectCode(await holder.command('APPE held.txt'), 150); // holds the file's lock
    const client = await login();
    const lines = (): string[] => (existsSync(xferlog) ? readFileSync(xferlog, 'utf8').split('\n') : []);
    const data = await client.epsv();
    expectCode(await client.command('APPE held.txt'), 450);
    await eventually(() => lines().some((line) => / 0 \/held\.txt b _ i r alice ftp 0 \* i$/.test(line)));
    for (let i = 0; i < 25; i++) expectCode(await client.command(`RETR flood-${i}.txt`), 550);
    data.destroy();
    // One session's lines arrive in order: once the 20th is in, none after it will come.
    await eventually(() => lines().some((line) => line.includes('/flood-18.txt')));
    expect(lines().filter((line) => line.includes('/flood-')).length).toBe(19); // + the APPE's: 20
    await writeAll(holding, 'more\n');
    expectCode(await holder.reply(), 226);
  });

  it('STOR onto a directory is 550', async () => {
    const client = await login();
    expectCode(await client.command('MKD subdir'), 257);
    expectCode((await store(client, 'STOR subdir', 'x')).opening, 550);
  });

  it('holds the session rate limit for downloads', async () => {
    writeFileSync(join(home.path, 'rate.bin'), randomBytes(512 * 1024));
    const client = await login('slow');
    const started = performance.now();
    const { data, final } = await retrieve(client, 'rate.bin');
    const elapsedMs = performance.now() - started;
    expectCode(final, 226);
    expect(data.length).toBe(512 * 1024);
    // 512 KiB at 256 KiB/s with a 64 KiB burst: at least 1.75 s.
    expect(elapsedMs).toBeGreaterThan(1500);
  });

  it('holds the session rate limit for uploads', async () => {
    const client = await login('slow');
    const started = performance.now();
    const payload = randomBytes(512 * 1024);
    expectCode((await store(client, 'STOR rate-up.bin', payload)).final, 226);
    expect(performance.now() - started).toBeGreaterThan(1500);
    expect(sha(readFileSync(join(home.path, 'rate-up.bin')))).toBe(sha(payload));
  });

  it('STOR without a data connection is 425 and creates nothing', async () => {
    const client = await login();
    expectCode(await client.command('STOR nothing.txt'), 425);
    expectCode(await client.command('STOU'), 425);
    expect(existsSync(join(home.path, 'nothing.txt'))).toBe(false);
  });

  it('does not leave data connections behind: readAll sees the server close after 226', async () => {
    const client = await login();
    const socket = await client.epsv();
    const closed = readAll(socket);
    expectCode(await client.command('STOR closed.txt'), 150);
    socket.end('done');
    expectCode(await client.reply(), 226);
    await closed;
  });
});
