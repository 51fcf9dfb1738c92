/**
 * supervisor.user (vsftpd's nopriv_user): started as root, the workers switch to an unprivileged
 * user before they take a session, so uploads belong to that user and a fault in a session's code
 * cannot act as root. Runs only where the tests run as root, as CI's do.
 */
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startClassicd, type RunningClassicd } from '../../helpers/classicd.js';
import { FtpClient } from '../../helpers/ftp.js';
import { expectCode, ftpTestConfig, localUser, PASSWORD, retrieve, store, tempDir } from './data-fixture.js';

const asRoot = process.getuid?.() === 0;
const NOBODY = 65534;

describe.skipIf(!asRoot)('workers started as root with supervisor.user nobody', () => {
  const anonymousRoot = tempDir('classicd-ftp-nopriv-anon-');
  const home = tempDir('classicd-ftp-nopriv-home-');
  const locked = tempDir('classicd-ftp-nopriv-locked-'); // 0700, root's: nobody cannot enter it
  let server: RunningClassicd;

  beforeAll(async () => {
    writeFileSync(join(anonymousRoot.path, 'readme.txt'), 'for everyone\n');
    chmodSync(anonymousRoot.path, 0o755); // mkdtemp makes it 0700, root's alone
    chmodSync(home.path, 0o777);
    const users = [await localUser('alice', home.path), await localUser('locked', locked.path)];
    const config = ftpTestConfig({ anonymousRoot: anonymousRoot.path, users });
    server = await startClassicd({
      ...config,
      supervisor: { ...(config.supervisor as object), user: 'nobody', group: '' },
    });
  });

  afterAll(async () => {
    await server?.stop();
    anonymousRoot.remove();
    home.remove();
    locked.remove();
  });

  // The start-up checks run as root, which reaches everything; this one runs as nobody.
  it('warns, once switched, about the root nobody cannot use, and only that one', async () => {
    await server.waitForLine((line) => line.msg === 'worker ready');
    const warnings = server.lines.filter((line) => line.msg.startsWith('supervisor.user cannot use'));
    expect(warnings.map((line) => line.path)).toEqual([locked.path]);
    expect(warnings[0]?.msg).toContain('user locked');
  });

  // vsftpd's login fails (500 OOPS) where the session could not enter its root; this one used to
  // answer 230, then 550 to every command.
  it('refuses the login of a user whose root nobody cannot enter, with 530', async () => {
    const client = await FtpClient.connect(server.port('ftp'));
    try {
      expectCode(await client.command('USER locked'), 331);
      const refused = await client.command(`PASS ${PASSWORD}`);
      expect([refused.code, refused.text]).toEqual([530, 'Login failed: the home directory is not available.']);
    } finally {
      client.close();
    }
  });

  it('the worker runs as nobody, with no supplementary groups', async () => {
    const ready = await server.waitForLine((line) => line.msg === 'worker running as an unprivileged user');
    expect(ready).toMatchObject({ uid: NOBODY, gid: NOBODY });
    const workerPid = server.lines.find((line) => line.msg === 'worker ready')?.workerPid as number;
    const status = readFileSync(`/proc/${workerPid}/status`, 'utf8');
    expect(status).toMatch(new RegExp(`^Uid:\\t${NOBODY}\\t${NOBODY}\\t${NOBODY}\\t${NOBODY}$`, 'm'));
    expect(status).toMatch(new RegExp(`^Gid:\\t${NOBODY}\\t${NOBODY}\\t${NOBODY}\\t${NOBODY}$`, 'm'));
    expect(status).toMatch(new RegExp(`^Groups:\\t${NOBODY} ?$`, 'm'));
  });

  it('serves anonymous downloads, and an upload belongs to nobody', async () => {
    const anonymous = await FtpClient.connect(server.port('ftp'));
    await anonymous.login();
    expect((await retrieve(anonymous, 'readme.txt')).data.toString()).toBe('for everyone\r\n'); // TYPE A
    anonymous.close();
    const alice = await FtpClient.connect(server.port('ftp'));
    await alice.login('alice', PASSWORD);
    expectCode((await store(alice, 'STOR mine.txt', 'uploaded\n')).final, 226);
    alice.close();
    expect(statSync(join(home.path, 'mine.txt')).uid).toBe(NOBODY);
  });

  it('STOR does not replace a file the worker may not write, though it may write the directory', async () => {
    // The upload is renamed over the target, which asks only the directory; vsftpd's O_TRUNC open
    // asks the file too. Root's file, 0644: nobody may not write it.
    const path = join(home.path, 'roots.txt');
    writeFileSync(path, 'root wrote this\n', { mode: 0o644 });
    const alice = await FtpClient.connect(server.port('ftp'));
    await alice.login('alice', PASSWORD);
    expectCode(await alice.command('TYPE I'), 200);
    expectCode((await store(alice, 'STOR roots.txt', 'replaced\n')).final, 550);
    alice.close();
    expect(readFileSync(path, 'utf8')).toBe('root wrote this\n');
    expect(statSync(path).uid).toBe(0);
  });

  // RFC 3659 7.5.5: the perm fact says what to expect; alice may write everywhere by her account,
  // but the worker (nobody) may not write root's 0644 file: no a, no w. Her home is 0777, so the
  // name can still be removed or renamed (d, f).
  it('MLST offers only what the permission bits let the worker do too', async () => {
    writeFileSync(join(home.path, 'roots-perm.txt'), 'root wrote this\n', { mode: 0o644 });
    const alice = await FtpClient.connect(server.port('ftp'));
    await alice.login('alice', PASSWORD);
    try {
      const reply = await alice.command('MLST roots-perm.txt');
      expect(reply.code).toBe(250);
      expect(reply.lines[1]).toMatch(/(^|;)perm=dfr;/);
      expectCode((await store(alice, 'STOR own-perm.txt', 'mine\n')).final, 226);
      expect((await alice.command('MLST own-perm.txt')).lines[1]).toMatch(/(^|;)perm=adfrw;/);
    } finally {
      alice.close();
    }
  });
});
