/**
 * Directory messages (vsftpd's dirmessage_enable) and a banner of several lines, over real sockets:
 * the root's `.message` in the 230 of the login, a directory's in the 250 of the CWD that enters
 * it, once a session, every line coded as vsftpd writes them; and never a message the session may
 * not read (the drop box, hidden and denied files), none through a symlink, none past 4,000 bytes.
 */
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startClassicd, testConfig, type RunningClassicd } from '../../helpers/classicd.js';
import { FtpClient } from '../../helpers/ftp.js';
import { tempDir } from './data-fixture.js';
import { anonymousConfig, FAST_FTP } from './fs-fixture.js';

let server: RunningClassicd;
let root: ReturnType<typeof tempDir>;
const opened: FtpClient[] = [];

function config(root: string, directoryMessage = { enabled: true, file: '.message' }): Record<string, unknown> {
  return testConfig({
    ftp: {
      ...FAST_FTP,
      banner: 'Welcome to the test archive.\nBe nice.\n',
      directoryMessage,
      anonymous: anonymousConfig(root, { hide: ['hidden/.message'], deny: ['denied/.message'] }),
    },
  });
}

beforeAll(async () => {
  root = tempDir('classicd-ftp-message-');
  const at = (...parts: string[]): string => join(root.path, ...parts);
  for (const dir of ['pub/quiet', 'incoming', 'hidden', 'denied', 'links', 'out', 'big']) {
    mkdirSync(at(dir), { recursive: true });
  }
  writeFileSync(at('.message'), 'Welcome to the root.\r\nSecond line.\n\n');
  writeFileSync(at('pub', '.message'), 'This is pub.\n230 Looks like a reply\n\u001b[31mred\n');
  writeFileSync(at('incoming', '.message'), 'planted by an uploader\n'); // the drop box
  writeFileSync(at('hidden', '.message'), 'hidden\n');
  writeFileSync(at('denied', '.message'), 'denied\n');
  symlinkSync('../pub/.message', at('links', '.message'));
  symlinkSync('/etc/hostname', at('out', '.message'));
  writeFileSync(at('big', '.message'), `${'x'.repeat(99)}\n`.repeat(50)); // 5,000 bytes
  server = await startClassicd(config(root.path));
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

  it('shows nothing the session may not read: the drop box, hidden and denied files', async () => {
    const ftp = await connect();
    await anonymousLogin(ftp);
    for (const dir of ['/incoming', '/hidden', '/denied']) {
      expect((await ftp.expect(`CWD ${dir}`, 250)).lines, dir).toEqual(['250 Directory successfully changed.']);
    }
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

  it('shows none when directoryMessage is off', async () => {
    const quiet = await startClassicd(config(root.path, { enabled: false, file: '.message' }));
    try {
      const ftp = await connect(quiet);
      expect(await anonymousLogin(ftp)).toEqual(['230 Login successful.']);
      expect((await ftp.expect('CWD pub', 250)).lines).toEqual(['250 Directory successfully changed.']);
    } finally {
      await quiet.stop();
    }
  });
});
