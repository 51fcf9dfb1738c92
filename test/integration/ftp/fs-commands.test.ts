/**
 * File commands over real sockets with the real server: MKD/RMD/DELE/RNFR/RNTO/SIZE/MDTM/MFMT and
 * CWD, for local users with and without permissions and for anonymous; paths that try to leave the
 * root (`..`, absolute paths, a symlink to /etc, NUL bytes).
 */
import { execFile, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { promisify } from 'node:util';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../../services/ftp/auth/password-hash.js';
import { startClassicd, testConfig, type RunningClassicd } from '../../helpers/classicd.js';
import { FtpClient, readAll } from '../../helpers/ftp.js';
import { anonymousConfig, FAST_FTP, listing, lsName, makeTree, OLD_MTIME } from './fs-fixture.js';

let server: RunningClassicd;
let tree: ReturnType<typeof makeTree>;
let home: string;

beforeAll(async () => {
  tree = makeTree();
  home = join(tree.base, 'alice');
  mkdirSync(join(home, 'docs'), { recursive: true });
  writeFileSync(join(home, 'docs', 'a.txt'), 'alpha\n');
  writeFileSync(join(home, 'target.txt'), 'keep me\n');
  symlinkSync('target.txt', join(home, 'link-to-file'));
  symlinkSync('docs', join(home, 'link-to-dir'));
  symlinkSync('/etc', join(home, 'etc'));
  const password = await hashPassword('secret');
  server = await startClassicd(
    testConfig({
      ftp: {
        ...FAST_FTP,
        anonymous: anonymousConfig(tree.anon),
        users: [
          { name: 'alice', password, root: home, permissions: ['read', 'write', 'delete', 'mkdir', 'rename'] },
          { name: 'bob', password, root: home, permissions: ['read'] },
        ],
      },
    }),
  );
});

afterAll(async () => {
  await server?.stop();
  tree?.cleanup();
});

async function login(user = 'anonymous', password = 'guest@example.org'): Promise<FtpClient> {
  const ftp = await FtpClient.connect(server.port('ftp'));
  await ftp.login(user, password);
  return ftp;
}

async function codes(ftp: FtpClient, commands: readonly string[]): Promise<number[]> {
  const out: number[] = [];
  for (const command of commands) out.push((await ftp.command(command)).code);
  return out;
}

describe('MKD and RMD', () => {
  it('creates a directory and answers 257 with its quoted path (RFC 959 appendix II)', async () => {
    const ftp = await login('alice', 'secret');
    try {
      expect((await ftp.expect('MKD made', 257)).text).toBe('"/made" created.');
      expect(statSync(join(home, 'made')).isDirectory()).toBe(true);
      expect((await ftp.command('MKD made')).code).toBe(550); // exists
      expect((await ftp.expect('XMKD /made/say "hi"', 257)).text).toBe('"/made/say ""hi""" created.');
      await ftp.expect('CWD made', 250);
      expect((await ftp.expect('MKD ../made2', 257)).text).toBe('"/made2" created.');
      expect((await ftp.command('MKD /no/such/parent')).code).toBe(550);
      expect((await ftp.command('MKD')).code).toBe(501);
      expect((await ftp.command('RMD /made')).code).toBe(550); // not empty
      expect((await ftp.command('RMD /made/say "hi"')).code).toBe(250);
      expect((await ftp.command('XRMD /made')).code).toBe(250);
      expect((await ftp.command('RMD /made2')).code).toBe(250);
      expect(existsSync(join(home, 'made'))).toBe(false);
      expect((await ftp.command('RMD /docs/a.txt')).code).toBe(550); // a file
      expect((await ftp.command('RMD /')).code).toBe(550);
    } finally {
      ftp.close();
    }
  });

  it('removes neither a symlink to a directory nor what it points at with RMD', async () => {
    const ftp = await login('alice', 'secret');
    try {
      expect((await ftp.command('RMD link-to-dir')).code).toBe(550);
      expect(lstatSync(join(home, 'link-to-dir')).isSymbolicLink()).toBe(true);
      expect(existsSync(join(home, 'docs', 'a.txt'))).toBe(true);
    } finally {
      ftp.close();
    }
  });
});

describe('DELE', () => {
  it('deletes a file, and a symlink itself rather than its target', async () => {
    writeFileSync(join(home, 'doomed.txt'), 'x');
    symlinkSync('target.txt', join(home, 'doomed-link'));
    const ftp = await login('alice', 'secret');
    try {
      expect((await ftp.command('DELE doomed.txt')).code).toBe(250);
      expect(existsSync(join(home, 'doomed.txt'))).toBe(false);
      expect((await ftp.command('DELE doomed-link')).code).toBe(250);
      expect(existsSync(join(home, 'doomed-link'))).toBe(false);
      expect(readFileSync(join(home, 'target.txt'), 'utf8')).toBe('keep me\n');
      expect((await ftp.command('DELE doomed.txt')).code).toBe(550);
      expect((await ftp.command('DELE docs')).code).toBe(550); // a directory
      expect((await ftp.command('DELE')).code).toBe(501);
    } finally {
      ftp.close();
    }
  });

  // Tests run as root, whom no permission bits stop; an immutable file (chattr +i) stops root too.
  it.skipIf(!canMakeImmutable())(
    'a refusal by the file system is 550 and logged with its code for the admin; a missing file is not',
    async () => {
      const path = join(home, 'immutable.txt');
      writeFileSync(path, 'x');
      execFileSync('chattr', ['+i', path]);
      const ftp = await login('alice', 'secret');
      try {
        expect((await ftp.command('DELE immutable.txt')).code).toBe(550);
        const line = await server.waitForLine((l) => l.msg === 'refused by the file system');
        expect(line).toMatchObject({ cmd: 'DELE', arg: 'immutable.txt', code: 'EPERM', reply: 550 });
        expect((await ftp.command('DELE no-such-file.txt')).code).toBe(550);
        await ftp.quit();
        expect(server.lines.filter((l) => l.msg === 'refused by the file system')).toHaveLength(1);
      } finally {
        ftp.close();
        execFileSync('chattr', ['-i', path]);
      }
    },
  );
});

/** Whether this file system lets root make a file immutable (ext4 and xfs do; overlayfs may not). */
function canMakeImmutable(): boolean {
  const probe = join(mkdtempSync(join(tmpdir(), 'classicd-chattr-')), 'probe');
  writeFileSync(probe, '');
  try {
    execFileSync('chattr', ['+i', probe], { stdio: 'ignore' });
    execFileSync('chattr', ['-i', probe], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  } finally {
    rmSync(dirname(probe), { recursive: true, force: true });
  }
}

describe('RNFR and RNTO', () => {
  it('renames, and keeps RNFR only for the very next command', async () => {
    writeFileSync(join(home, 'before.txt'), 'content');
    const ftp = await login('alice', 'secret');
    try {
      expect((await ftp.command('RNTO nowhere')).code).toBe(503);
      expect((await ftp.command('RNFR before.txt')).code).toBe(350);
      expect((await ftp.command('RNTO docs/after.txt')).code).toBe(250);
      expect(readFileSync(join(home, 'docs', 'after.txt'), 'utf8')).toBe('content');
      expect((await ftp.command('RNTO again.txt')).code).toBe(503); // consumed
      expect((await ftp.command('RNFR docs/after.txt')).code).toBe(350);
      expect((await ftp.command('NOOP')).code).toBe(200);
      expect((await ftp.command('RNTO again.txt')).code).toBe(503); // forgotten after NOOP
      expect((await ftp.command('RNFR missing.txt')).code).toBe(550);
      expect((await ftp.command('RNTO x')).code).toBe(503);
      expect((await ftp.command('RNFR /')).code).toBe(550);
    } finally {
      ftp.close();
    }
  });

  it('renames a symlink itself, and refuses a target outside the root', async () => {
    symlinkSync('target.txt', join(home, 'old-link'));
    const ftp = await login('alice', 'secret');
    try {
      expect(await codes(ftp, ['RNFR old-link', 'RNTO new-link'])).toEqual([350, 250]);
      expect(lstatSync(join(home, 'new-link')).isSymbolicLink()).toBe(true);
      expect(readFileSync(join(home, 'target.txt'), 'utf8')).toBe('keep me\n');
      expect(await codes(ftp, ['RNFR new-link', 'RNTO /etc/evil'])).toEqual([350, 550]);
      expect(await codes(ftp, ['RNFR new-link', 'RNTO ../../../escaped'])).toEqual([350, 250]);
      expect(lstatSync(join(home, 'escaped')).isSymbolicLink()).toBe(true); // `..` stayed in the root
      expect(await codes(ftp, ['RNFR docs', 'RNTO docs/inside'])).toEqual([350, 550]); // into itself
      // A directory onto a file: rename(2) says ENOTDIR, which is not "No such file".
      expect(await codes(ftp, ['RNFR docs'])).toEqual([350]);
      const onto = await ftp.command('RNTO target.txt');
      expect([onto.code, onto.text]).toEqual([550, 'A file has that name: a directory cannot replace it.']);
      expect(readFileSync(join(home, 'target.txt'), 'utf8')).toBe('keep me\n');
    } finally {
      ftp.close();
    }
  });
});

describe('SIZE, MDTM and MFMT', () => {
  it('gives the octets a RETR would send in the current TYPE (RFC 3659 4), and 550 for a directory', async () => {
    writeFileSync(join(home, 'lines.txt'), 'one\ntwo\r\nthree\n\n'); // 3 LFs without CR, 1 with
    const ftp = await login('alice', 'secret');
    try {
      // TYPE A (the default): a CR added before each LF that has none, as RETR sends it.
      expect((await ftp.expect('SIZE docs/a.txt', 213)).text).toBe('7');
      expect((await ftp.expect('SIZE lines.txt', 213)).text).toBe('19');
      const data = await ftp.pasv();
      await ftp.expect('RETR lines.txt', 150);
      expect((await readAll(data)).length).toBe(19);
      expect((await ftp.reply()).code).toBe(226);
      await ftp.expect('TYPE I', 200);
      expect((await ftp.expect('SIZE lines.txt', 213)).text).toBe('16');
      expect((await ftp.expect('SIZE /docs/a.txt', 213)).text).toBe('6');
      expect((await ftp.expect('SIZE link-to-file', 213)).text).toBe('8');
      expect((await ftp.command('SIZE docs')).code).toBe(550);
      expect((await ftp.command('SIZE nope')).code).toBe(550);
    } finally {
      ftp.close();
    }
  });

  it('counts TYPE A sizes up to 64 MiB and refuses them above, with 550 (RFC 3659 4.2)', async () => {
    // Sparse files of NUL bytes: no LF, so the TYPE A size is the size on disk.
    const limit = 64 * 1024 * 1024;
    writeFileSync(join(home, 'at-limit.bin'), '');
    truncateSync(join(home, 'at-limit.bin'), limit);
    writeFileSync(join(home, 'over-limit.bin'), '');
    truncateSync(join(home, 'over-limit.bin'), limit + 1);
    const ftp = await login('alice', 'secret');
    try {
      expect((await ftp.expect('SIZE at-limit.bin', 213)).text).toBe(String(limit));
      const refused = await ftp.command('SIZE over-limit.bin');
      expect(refused.code).toBe(550);
      expect(refused.text).toContain('64 MiB');
      await ftp.expect('TYPE I', 200);
      expect((await ftp.expect('SIZE over-limit.bin', 213)).text).toBe(String(limit + 1));
    } finally {
      ftp.close();
      rmSync(join(home, 'at-limit.bin'), { force: true });
      rmSync(join(home, 'over-limit.bin'), { force: true });
    }
  });

  it('sets and reads modification times in UTC', async () => {
    const ftp = await login('alice', 'secret');
    try {
      expect((await ftp.expect('MFMT 20200102030405 docs/a.txt', 213)).text).toBe('Modify=20200102030405; docs/a.txt');
      expect(statSync(join(home, 'docs', 'a.txt')).mtime.toISOString()).toBe(OLD_MTIME.toISOString());
      expect((await ftp.expect('MDTM docs/a.txt', 213)).text).toBe('20200102030405');
      expect((await ftp.expect('MFMT 20211231235959.250 docs/a.txt', 213)).text).toBe(
        'Modify=20211231235959.250; docs/a.txt',
      );
      // Milliseconds that a double of seconds cannot hold exactly are stored as the reply says.
      for (const fraction of ['123', '001']) {
        await ftp.expect(`MFMT 20200102030405.${fraction} docs/a.txt`, 213);
        const facts = (await ftp.expect('MLST docs/a.txt', 250)).lines[1];
        expect(facts).toContain(`modify=20200102030405.${fraction};`);
      }
      expect(
        await codes(ftp, ['MFMT 20201301000000 docs/a.txt', 'MFMT yesterday docs/a.txt', 'MFMT 20200101000000']),
      ).toEqual([501, 501, 501]);
      expect((await ftp.command('MFMT 20200101000000 missing.txt')).code).toBe(550);
      expect((await ftp.command('MDTM missing.txt')).code).toBe(550);
    } finally {
      ftp.close();
    }
  });
});

describe('SITE', () => {
  it('CHMOD sets permission bits for a user who may write, and never set-ID bits', async () => {
    const ftp = await login('alice', 'secret');
    try {
      expect((await ftp.expect('SITE CHMOD 640 docs/a.txt', 200)).text).toBe('SITE CHMOD command ok.');
      expect(statSync(join(home, 'docs', 'a.txt')).mode & 0o7777).toBe(0o640);
      expect((await ftp.expect('site chmod 0755 docs', 200)).code).toBe(200);
      expect(statSync(join(home, 'docs')).mode & 0o7777).toBe(0o755);
      expect(
        await codes(ftp, [
          'SITE CHMOD 4755 docs/a.txt', // set-user-ID
          'SITE CHMOD 644 missing.txt',
          'SITE CHMOD 644 etc/passwd', // through a symlink out of the root
          'SITE CHMOD 9 docs/a.txt',
          'SITE CHMOD docs/a.txt',
          'SITE CHMOD',
          'SITE FROB',
        ]),
      ).toEqual([550, 550, 550, 501, 501, 501, 500]);
      expect(statSync(join(home, 'docs', 'a.txt')).mode & 0o7777).toBe(0o640);
      const help = await ftp.expect('SITE HELP', 214);
      expect(help.lines).toEqual(['214-SITE commands recognized:', ' CHMOD', ' HELP', '214 End.']);
    } finally {
      ftp.close();
    }
  });

  it('CHMOD, MFMT and RETR reach a FIFO without waiting on it, and CHMOD and MFMT the root itself', async () => {
    // Opening a FIFO to read waits for a writer: a worker's file-system thread would hang.
    execFileSync('mkfifo', [join(home, 'pipe')]);
    const ftp = await login('alice', 'secret');
    try {
      await ftp.expect('SITE CHMOD 600 pipe', 200);
      expect(statSync(join(home, 'pipe')).mode & 0o7777).toBe(0o600);
      await ftp.expect('MFMT 20200102030405 pipe', 213);
      expect(statSync(join(home, 'pipe')).mtime.toISOString()).toBe(OLD_MTIME.toISOString());
      // RETR refuses it before its 150, without opening it: no wait for a writer, and a writer
      // waiting for a reader is not woken (it would write into a pipe the server then closes).
      const writer = spawn('sh', ['-c', `echo from-the-writer > '${join(home, 'pipe')}'`], { stdio: 'ignore' });
      const writerExit = once(writer, 'exit');
      const data = await ftp.pasv();
      expect((await ftp.command('RETR pipe')).code).toBe(550);
      data.destroy();
      // Still waiting for its reader: this one gets its line.
      const { stdout } = await promisify(execFile)('cat', [join(home, 'pipe')], { timeout: 10_000 });
      expect(stdout).toBe('from-the-writer\n');
      await writerExit;
      const rootMode = statSync(home).mode & 0o7777;
      await ftp.expect(`SITE CHMOD ${rootMode.toString(8)} /`, 200);
      await ftp.expect('MFMT 20200102030405 /', 213);
    } finally {
      ftp.close();
      rmSync(join(home, 'pipe'), { force: true });
    }
  });

  it('CHMOD is refused to a read-only user and to anonymous, even in the drop box', async () => {
    const bob = await login('bob', 'secret');
    const anonymous = await login();
    try {
      expect((await bob.command('SITE CHMOD 600 target.txt')).code).toBe(550);
      expect((await anonymous.command('SITE CHMOD 600 /pub/readme.txt')).code).toBe(550);
      expect((await anonymous.command('SITE CHMOD 666 /incoming/existing.bin')).code).toBe(550);
      expect(statSync(join(home, 'target.txt')).mode & 0o7777).not.toBe(0o600);
    } finally {
      bob.close();
      anonymous.close();
    }
  });
});

describe('a user without write, delete, mkdir or rename', () => {
  it('is refused every change with 550, and nothing changes', async () => {
    const ftp = await login('bob', 'secret');
    try {
      expect(
        await codes(ftp, [
          'MKD bobdir',
          'RMD docs',
          'DELE target.txt',
          'RNFR target.txt',
          'MFMT 20200101000000 target.txt',
        ]),
      ).toEqual([550, 550, 550, 550, 550]);
      expect((await ftp.expect('SIZE target.txt', 213)).text).toBe('9'); // TYPE A: "keep me\r\n"
      expect(existsSync(join(home, 'bobdir'))).toBe(false);
      expect(existsSync(join(home, 'target.txt'))).toBe(true);
      const mlst = await ftp.expect('MLST target.txt', 250);
      expect(mlst.lines[1]).toContain('perm=r;');
    } finally {
      ftp.close();
    }
  });

  it('sees numeric owners in LIST and full perm facts for a user with every permission', async () => {
    const bob = await login('bob', 'secret');
    const alice = await login('alice', 'secret');
    try {
      const { lines } = await listing(bob, 'LIST /docs');
      const uid = String(process.getuid?.() ?? 0);
      expect(lines.find((line) => lsName(line) === 'a.txt')).toMatch(new RegExp(`^-rw\\S+ +1 ${uid} +\\d+ +6 `));
      expect((await alice.expect('MLST /docs/a.txt', 250)).lines[1]).toContain('perm=adfrw;');
      expect((await alice.expect('MLST /docs', 250)).lines[1]).toContain('perm=cdeflmp;');
    } finally {
      bob.close();
      alice.close();
    }
  });
});

describe('anonymous', () => {
  it('is read-only outside the drop box', async () => {
    const ftp = await login();
    try {
      expect(
        await codes(ftp, [
          'MKD /pub/new',
          'RMD /docs',
          'DELE /pub/readme.txt',
          'RNFR /pub/readme.txt',
          'MFMT 20200101000000 /pub/readme.txt',
          'MKD /incoming/sub',
          'DELE /incoming/existing.bin',
          'RNFR /incoming/existing.bin',
          'SIZE /incoming/existing.bin',
          'MDTM /incoming/existing.bin',
        ]),
      ).toEqual([550, 550, 550, 550, 550, 550, 550, 550, 550, 550]);
      expect(existsSync(join(tree.anon, 'incoming', 'existing.bin'))).toBe(true);
    } finally {
      ftp.close();
    }
  });

  it('may enter the drop box but not what a deny glob covers', async () => {
    const ftp = await login();
    try {
      expect(await codes(ftp, ['CWD /incoming', 'CDUP', 'CWD pub/private', 'CWD /pub/to-private', 'PWD'])).toEqual([
        250, 200, 550, 550, 257,
      ]);
      expect((await ftp.expect('PWD', 257)).text).toBe('"/" is the current directory.');
      expect(
        await codes(ftp, ['SIZE /pub/server.key', 'MDTM /pub/server.key', 'SIZE /pub/to-private/plan.txt']),
      ).toEqual([550, 550, 550]);
      // Hidden is not denied: a hidden name can still be used.
      expect((await ftp.expect('SIZE /pub/notes.bak', 213)).text).toBe('0');
    } finally {
      ftp.close();
    }
  });
});

// POSIX pathname resolution: a trailing slash names a directory; `file/` is ENOTDIR (vsftpd: 550).
describe('a trailing slash', () => {
  it('names a directory: on a file it is 550 for SIZE, MDTM, MLST and RETR; on a directory it works', async () => {
    const ftp = await login('alice', 'secret');
    try {
      expect(await codes(ftp, ['SIZE docs/a.txt/', 'MDTM docs/a.txt/', 'MLST docs/a.txt/'])).toEqual([550, 550, 550]);
      const data = await ftp.epsv();
      expect((await ftp.command('RETR docs/a.txt/')).code).toBe(550);
      data.destroy();
      expect(await codes(ftp, ['MLST docs/', 'CWD docs/', 'CWD /', 'SIZE docs/a.txt'])).toEqual([250, 250, 250, 213]);
      // Names for DELE and RNFR, and a new upload's name (553, RFC 959 4.2.1), the same way.
      expect(
        await codes(ftp, ['DELE docs/a.txt/', 'RNFR docs/a.txt/', 'STOR made/', 'APPE made/', 'STOU made/']),
      ).toEqual([550, 550, 553, 553, 553]);
      expect(await codes(ftp, ['RNFR docs/a.txt', 'RNTO made/'])).toEqual([350, 550]); // a file to `made/`
      expect(readFileSync(join(home, 'docs', 'a.txt'), 'utf8')).toBe('alpha\n');
      expect(existsSync(join(home, 'made'))).toBe(false);
      expect(await codes(ftp, ['MKD made/', 'RMD made/'])).toEqual([257, 250]);
    } finally {
      ftp.close();
    }
  });
});

describe('paths that try to leave the root', () => {
  it('keeps `..` and absolute paths inside the root', async () => {
    const ftp = await login();
    try {
      expect(await codes(ftp, ['CWD ../../../..', 'CWD /../..', 'CDUP'])).toEqual([250, 250, 200]);
      expect((await ftp.expect('PWD', 257)).text).toBe('"/" is the current directory.');
      expect(await codes(ftp, ['SIZE ../../../../etc/passwd', 'SIZE /etc/passwd', 'MDTM /../etc/hostname'])).toEqual([
        550, 550, 550,
      ]);
      expect((await ftp.expect('SIZE ../pub/../pub/readme.txt', 213)).text).toBe('7'); // TYPE A: CRLF
    } finally {
      ftp.close();
    }
  });

  it('refuses CWD, SIZE, MDTM, MLST, LIST and RETR through a symlink to /etc with 550 (STAT 450)', async () => {
    for (const [user, prefix] of [
      ['anonymous', '/pub/etc'],
      ['alice', '/etc'],
    ] as const) {
      const ftp = await login(user, user === 'alice' ? 'secret' : 'guest@example.org');
      try {
        expect(
          await codes(ftp, [
            `CWD ${prefix}`,
            `CWD ${prefix}/..`, // lexically the link's parent: allowed, and never /etc/..
            `SIZE ${prefix}/passwd`,
            `MDTM ${prefix}/passwd`,
            `MLST ${prefix}/passwd`,
            `STAT ${prefix}`, // RFC 959 5.4: STAT's refusal is 450
          ]),
          user,
        ).toEqual([550, 250, 550, 550, 550, 450]);
        expect((await listing(ftp, `LIST ${prefix}`)).reply.code, user).toBe(550);
        const data = await ftp.epsv();
        const received = readAll(data);
        expect((await ftp.command(`RETR ${prefix}/passwd`)).code, user).toBe(550);
        data.destroy();
        expect((await received).length).toBe(0);
      } finally {
        ftp.close();
      }
    }
  });

  it('refuses a NUL byte, or a CR inside the line, in a path with 501 (RFC 959 5.3.2)', async () => {
    const ftp = await login('alice', 'secret');
    try {
      expect(
        await codes(ftp, ['SIZE docs\0/a.txt', 'MKD x\0y', 'DELE a\0', 'CWD docs\0', 'RNFR target.txt\0']),
      ).toEqual([501, 501, 501, 501, 501]);
      expect(existsSync(join(home, 'x'))).toBe(false);
      expect(await codes(ftp, ['MKD cr\rx', 'DELE cr\ry', 'CWD docs\r/x'])).toEqual([501, 501, 501]);
      expect(readdirSync(home).some((name) => name.includes('\r'))).toBe(false);
    } finally {
      ftp.close();
    }
  });

  it('carries on after all of that', async () => {
    const ftp = await login();
    try {
      expect((await ftp.expect('SIZE /pub/readme.txt', 213)).text).toBe('7'); // TYPE A: CRLF
    } finally {
      ftp.close();
    }
  });
});
