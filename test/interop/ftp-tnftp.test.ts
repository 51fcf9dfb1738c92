/**
 * tnftp (Debian's `ftp`, 20210827) in script mode (`-n -i -v`, commands on standard input) against
 * the real server: SYST and FEAT after login, EPSV by default, `mlsd` (RFC 3659), `passive off`
 * (EPRT, then PORT with `epsv4 off`), uploads and file commands as a local user, and mget's NLST.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  sha,
  startInteropServer,
  type ClientRun,
  runScriptedFtp,
  scriptedOutput,
  type InteropServer,
} from '../helpers/ftp-interop.js';

let ftp: InteropServer;

beforeAll(async () => {
  ftp = await startInteropServer();
});

afterAll(async () => {
  await ftp?.stop();
});

const tnftp = (local: string, lines: readonly string[], options: { user?: boolean } = {}): Promise<ClientRun> =>
  runScriptedFtp('tnftp', ftp, local, lines, options);
const expectOk = (run: ClientRun): string => scriptedOutput(run, ftp);

/** The verbs the server has seen, in order, for checking which path a client took. */
function sessionCommands(): string[] {
  return ftp.commands().map((command) => command.split(' ')[0] as string);
}

describe('tnftp', () => {
  it('lists the root with mlsd: one fact line per entry, names with spaces and UTF-8 intact', async () => {
    const text = expectOk(await tnftp(ftp.scratch('tnftp-mlsd'), ['mlsd', 'mlsd nested/level1']));
    const facts = new Map<string, string>();
    for (const line of text.split('\n')) {
      const match = /^(\S+;) (.+)$/.exec(line);
      if (match) facts.set(match[2] as string, match[1] as string);
    }
    expect(facts.get('big.bin')).toMatch(/(^|;)type=file;/);
    expect(facts.get('big.bin')).toMatch(/(^|;)size=3150049;/);
    expect(facts.get('big.bin')).toMatch(/(^|;)modify=\d{14}(\.\d+)?;/);
    expect(facts.get('dir with spaces')).toMatch(/(^|;)type=dir;/);
    expect(facts.get('ünïcødé-名前.txt')).toMatch(/size=36;/);
    expect(facts.get('level2')).toMatch(/type=dir;/);
    expect(facts.get('sibling.txt')).toMatch(/size=14;/);
  });

  it('gets a 3 MB binary with EPSV (its default), with EPRT (passive off) and with PORT (epsv4 off)', async () => {
    const local = ftp.scratch('tnftp-get');
    const before = sessionCommands().length;
    expectOk(
      await tnftp(local, [
        'binary',
        'get big.bin epsv.bin',
        'passive off',
        'get big.bin eprt.bin',
        'epsv4 off',
        'get big.bin port.bin',
      ]),
    );
    const expected = sha(ftp.tree.get('big.bin') as Buffer);
    for (const name of ['epsv.bin', 'eprt.bin', 'port.bin'])
      expect(sha(readFileSync(join(local, name)))).toBe(expected);
    const seen = sessionCommands().slice(before);
    expect(seen).toEqual(expect.arrayContaining(['SYST', 'FEAT', 'EPSV', 'EPRT', 'PORT']));
    expect(seen).not.toContain('PASV');
  });

  it('gets through quoted names with spaces and a UTF-8 name', async () => {
    const local = ftp.scratch('tnftp-names');
    expectOk(
      await tnftp(local, [
        'binary',
        'cd "dir with spaces"',
        'get "file with spaces.txt"',
        'cd /',
        'get ünïcødé-名前.txt',
      ]),
    );
    expect(readFileSync(join(local, 'file with spaces.txt'), 'utf8')).toBe('spaces in the path\n');
    expect(readFileSync(join(local, 'ünïcødé-名前.txt'))).toEqual(ftp.tree.get('ünïcødé-名前.txt'));
  });

  // STAT with a path writes its listing itself; the protocol trace must still show the reply.
  it('rstatus of a directory: the listing on the control connection, and the reply in the trace', async () => {
    const text = expectOk(await tnftp(ftp.scratch('tnftp-rstatus'), ['rstatus nested/level1']));
    expect(text).toMatch(/sibling\.txt/);
    // Log lines are written in batches: waited for, not raced.
    await ftp.server.waitForLine(
      (line) =>
        line.msg === 'ftp reply' &&
        /^212-Status of \/nested\/level1:\r\n\[\d+ listing lines\]\r\n212 End of status\.$/.test(String(line.reply)),
    );
  });

  it('fetches several files with mget (NLST to expand the pattern)', async () => {
    const local = ftp.scratch('tnftp-mget');
    expectOk(await tnftp(local, ['binary', 'cd nested/level1', 'mget *.txt']));
    expect(readFileSync(join(local, 'sibling.txt'), 'utf8')).toBe('beside level2\n');
  });

  it('as a local user: mkdir, put, rename, size, delete, rmdir', async () => {
    const local = ftp.scratch('tnftp-user');
    const content = Buffer.concat([(ftp.tree.get('big.bin') as Buffer).subarray(0, 777_777), Buffer.from('\r\n')]);
    writeFileSync(join(local, 'up.bin'), content);
    writeFileSync(join(local, 'gone.txt'), 'to be deleted\n');
    const text = expectOk(
      await tnftp(
        local,
        [
          'binary',
          'mkdir "new dir"',
          'cd "new dir"',
          'put up.bin',
          'rename up.bin renamed.bin',
          'size renamed.bin',
          'put gone.txt',
          'delete gone.txt',
          'mkdir empty',
          'rmdir empty',
        ],
        { user: true },
      ),
    );
    expect(text).toMatch(/^renamed\.bin\t777779$/m); // tnftp prints the SIZE reply this way
    expect(sha(readFileSync(join(ftp.userRoot, 'new dir', 'renamed.bin')))).toBe(sha(content));
    expect(() => readFileSync(join(ftp.userRoot, 'new dir', 'gone.txt'))).toThrow();
    expect(() => readFileSync(join(ftp.userRoot, 'new dir', 'up.bin'))).toThrow();
  });

  // `mdelete d` sends `NLST d`, then DELE for each line. With bare names in the listing, it
  // deleted the working directory's files of the same names and left d's alone.
  it('as a local user: mdelete of a directory deletes the files in it, not their namesakes beside it', async () => {
    const local = ftp.scratch('tnftp-mdelete');
    const base = join(ftp.userRoot, 'mdel');
    mkdirSync(join(base, 'd'), { recursive: true });
    for (const name of ['x.c', 'y.c']) {
      writeFileSync(join(base, name), 'keep\n');
      writeFileSync(join(base, 'd', name), 'delete\n');
    }
    expectOk(await tnftp(local, ['cd mdel', 'mdelete d'], { user: true }));
    expect(readdirSync(join(base, 'd'))).toEqual([]);
    expect(readdirSync(base).sort()).toEqual(['d', 'x.c', 'y.c']);
  });
});
