/**
 * Directory messages (vsftpd's dirmessage_enable) and a banner of several lines, over real sockets:
 * the root's `.message` in the 230 of the login, a directory's in the 250 of the CWD that enters
 * it, once a session, every line coded as vsftpd writes them, under a deny glob of every dot file
 * (as config/examples/anonymous-ftp.yaml has); and never from the drop box (to anonymous or a local
 * user), a file not readable by all, a binary, or through a symlink; none past 4,000 bytes; text
 * that is not UTF-8 as U+FFFD.
 */
import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startClassicd, testConfig, type RunningClassicd } from '../../helpers/classicd.js';
import { FtpClient } from '../../helpers/ftp.js';
import { localUser, PASSWORD, tempDir } from './data-fixture.js';
import { anonymousConfig, FAST_FTP } from './fs-fixture.js';

let server: RunningClassicd;
let root: ReturnType<typeof tempDir>;
const opened: FtpClient[] = [];

async function config(
  root: string,
  directoryMessage = { enabled: true, file: '.message' },
): Promise<Record<string, unknown>> {
  return testConfig({
    ftp: {
      ...FAST_FTP,
      banner: 'Welcome to the test archive.\nBe nice.\n',
      directoryMessage,
      // As the example config: every dot file hidden and refused by name, and a denied directory.
      anonymous: anonymousConfig(root, { hide: ['**/.*'], deny: ['**/.*', 'denied'] }),
      users: [await localUser('alice', root, { permissions: ['read'] })],
    },
  });
}

beforeAll(async () => {
  root = tempDir('classicd-ftp-message-');
  const at = (...parts: string[]): string => join(root.path, ...parts);
  for (const dir of ['pub/quiet', 'incoming', 'denied', 'private', 'binary', 'latin', 'links', 'out', 'big']) {
    mkdirSync(at(dir), { recursive: true });
  }
  writeFileSync(at('.message'), 'Welcome to the root.\r\nSecond line.\n\n');
  writeFileSync(at('pub', '.message'), 'This is pub.\n230 Looks like a reply\n\u001b[31mred\n');
  writeFileSync(at('incoming', '.message'), 'planted by an uploader\n', { mode: 0o644 }); // the drop box
  writeFileSync(at('denied', '.message'), 'denied\n');
  writeFileSync(at('private', '.message'), 'not for everyone\n');
  chmodSync(at('private', '.message'), 0o600);
  writeFileSync(at('binary', '.message'), Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 0, 0x0a]));
  writeFileSync(at('latin', '.message'), Buffer.from('Universit\xe4t\n', 'latin1'));
  symlinkSync('../pub/.message', at('links', '.message'));
  symlinkSync('/etc/hostname', at('out', '.message'));
  writeFileSync(at('big', '.message'), `${'x'.repeat(99)}\n`.repeat(50)); // 5,000 bytes
  mkdirSync(at('long'));
  writeFileSync(at('long', '.message'), 'x\n'.repeat(150)); // 150 lines in 300 bytes
  for (let i = 0; i <= 100; i++) {
    const dir = at('many', `d${String(i).padStart(3, '0')}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, '.message'), `directory ${i}\n`);
  }
  server = await startClassicd(await config(root.path));
});

afterEach(() => {
  for (const client of opened.splice(0)) client.close();
});

afterAll(async () => {
  await server?.stop();
  root?.remove();
});

async function connect(target = server): Promise<FtpClient & { greeting: { lines: readonly string[] } }> {
  const ftp = await FtpClient.connect(target.port('ftp'));
  opened.push(ftp);
  return ftp;
}

async function anonymousLogin(ftp: FtpClient): Promise<readonly string[]> {
  await ftp.expect('USER anonymous', 331);
  return (await ftp.expect('PASS guest@example.org', 230)).lines;
}

describe('the banner', () => {
  it('greets with a 220 of one line per line of the banner', async () => {
    const ftp = await connect();
    expect(ftp.greeting.lines).toEqual(['220-Welcome to the test archive.', '220 Be nice.']);
  });
});

describe('directory messages', () => {
  it("shows the root's message at login and a directory's on entering it, every line coded", async () => {
    const ftp = await connect();
    expect(await anonymousLogin(ftp)).toEqual([
      '230-Welcome to the root.',
      '230-Second line.',
      '230 Login successful.',
    ]);
    expect((await ftp.expect('CWD pub', 250)).lines).toEqual([
      '250-This is pub.',
      '250-230 Looks like a reply',
      '250-?[31mred', // ESC shown as ?, as in every reply
      '250 Directory successfully changed.',
    ]);
    expect((await ftp.expect('CWD quiet', 250)).lines).toEqual(['250 Directory successfully changed.']);
  });

  it('shows each directory its message once a session, as vsftpd does; a new login sees them again', async () => {
    const ftp = await connect();
    await anonymousLogin(ftp);
    expect((await ftp.expect('CWD /pub', 250)).lines).toHaveLength(4);
    expect((await ftp.expect('CDUP', 200)).lines).toEqual(['200 Directory successfully changed.']);
    expect((await ftp.expect('CWD pub', 250)).lines).toEqual(['250 Directory successfully changed.']);
    expect(await anonymousLogin(ftp)).toHaveLength(3); // USER again: a new login
    expect((await ftp.expect('CWD pub', 250)).lines).toHaveLength(4);
  });

  it('shows none from the drop box, to anonymous or to a local user who may list it', async () => {
    const ftp = await connect();
    await anonymousLogin(ftp);
    expect((await ftp.expect('CWD /incoming', 250)).lines).toEqual(['250 Directory successfully changed.']);
    const alice = await connect();
    await alice.expect('USER alice', 331);
    await alice.expect(`PASS ${PASSWORD}`, 230);
    expect((await alice.expect('CWD /incoming', 250)).lines).toEqual(['250 Directory successfully changed.']);
    expect((await alice.expect('CWD /pub', 250)).lines).toHaveLength(4); // a local user sees the others
  });

  it('shows none from a file not readable by all, nor a binary; a denied directory is not entered', async () => {
    const ftp = await connect();
    await anonymousLogin(ftp);
    for (const dir of ['/private', '/binary']) {
      expect((await ftp.expect(`CWD ${dir}`, 250)).lines, dir).toEqual(['250 Directory successfully changed.']);
    }
    await ftp.expect('CWD /denied', 550);
  });

  it('shows text that is not UTF-8 as U+FFFD, so that a UTF-8 client can read the reply', async () => {
    const ftp = await connect();
    await anonymousLogin(ftp);
    expect((await ftp.expect('CWD /latin', 250)).lines[0]).toBe('250-Universit\uFFFDt');
  });

  it('reads no message through a symlink, inside the root or out of it', async () => {
    const ftp = await connect();
    await anonymousLogin(ftp);
    for (const dir of ['/links', '/out']) {
      expect((await ftp.expect(`CWD ${dir}`, 250)).lines, dir).toEqual(['250 Directory successfully changed.']);
    }
  });

  it('shows at most the first 4,000 bytes', async () => {
    const ftp = await connect();
    await anonymousLogin(ftp);
    const lines = (await ftp.expect('CWD /big', 250)).lines.slice(0, -1).map((line) => line.slice('250-'.length));
    expect(lines.join('\n').length).toBeLessThanOrEqual(4000);
    expect(lines.length).toBe(40); // 40 whole lines of 100 bytes
  });

  it('shows at most 100 lines', async () => {
    const ftp = await connect();
    await anonymousLogin(ftp);
    expect((await ftp.expect('CWD /long', 250)).lines).toHaveLength(101); // 100, then the 250
  });

  // vsftpd remembers 100 directories (VSFTP_MAX_VISIT_REMEMBER); past them a message shows again.
  it('remembers 100 directories a login; the message of one past them shows again', async () => {
    const ftp = await connect();
    await anonymousLogin(ftp); // the root: the first remembered
    for (let i = 0; i <= 100; i++) {
      expect((await ftp.expect(`CWD /many/d${String(i).padStart(3, '0')}`, 250)).lines[0]).toBe(`250-directory ${i}`);
    }
    expect((await ftp.expect('CWD /many/d000', 250)).lines).toHaveLength(1); // remembered
    expect((await ftp.expect('CWD /many/d098', 250)).lines).toHaveLength(1); // the 100th remembered
    expect((await ftp.expect('CWD /many/d099', 250)).lines[0]).toBe('250-directory 99'); // past them
  });

  it('shows none when directoryMessage is off', async () => {
    const quiet = await startClassicd(await config(root.path, { enabled: false, file: '.message' }));
    try {
      const ftp = await connect(quiet);
      expect(await anonymousLogin(ftp)).toEqual(['230 Login successful.']);
      expect((await ftp.expect('CWD pub', 250)).lines).toEqual(['250 Directory successfully changed.']);
    } finally {
      await quiet.stop();
    }
  });
});
