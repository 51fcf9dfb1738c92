/**
 * GNU inetutils ftp (Debian's `inetutils-ftp`) in script mode against the real server: SYST before
 * USER, active PORT by default, `passive` for PASV, and ASCII transfers (RFC 959 3.1.1.1: the
 * server sends CRLF line ends, the client turns them back into LF; uploads the other way round).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../integration/ftp/data-fixture.js';
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

const inetutils = (local: string, lines: readonly string[], options: { user?: boolean } = {}): Promise<ClientRun> =>
  runScriptedFtp('inetutils-ftp', ftp, local, lines, options);
const expectOk = (run: ClientRun): string => scriptedOutput(run, ftp);

const commandCount = (): number => ftp.commands().length;
const commandsSince = (count: number): string[] => ftp.commands().slice(count);

describe('inetutils-ftp', () => {
  it('sends SYST before USER and gets a 3 MB binary over active PORT (its default)', async () => {
    const local = ftp.scratch('inetutils-port');
    const before = commandCount();
    expectOk(await inetutils(local, ['binary', 'get big.bin']));
    expect(sha(readFileSync(join(local, 'big.bin')))).toBe(sha(ftp.tree.get('big.bin') as Buffer));
    const seen = commandsSince(before);
    expect(seen[0]).toBe('SYST');
    expect(seen.some((command) => command.startsWith('PORT '))).toBe(true);
    expect(seen).not.toContain('PASV');
  });

  it('gets the same file over PASV after `passive`', async () => {
    const local = ftp.scratch('inetutils-pasv');
    const before = commandCount();
    expectOk(await inetutils(local, ['passive', 'binary', 'get big.bin']));
    expect(sha(readFileSync(join(local, 'big.bin')))).toBe(sha(ftp.tree.get('big.bin') as Buffer));
    expect(commandsSince(before)).toContain('PASV');
  });

  it('gets a text file in ASCII mode: CRLF on the wire, LF again on disk', async () => {
    const local = ftp.scratch('inetutils-ascii');
    const before = commandCount();
    expectOk(await inetutils(local, ['ascii', 'get readme.txt', 'cd "dir with spaces"', 'get "file with spaces.txt"']));
    expect(readFileSync(join(local, 'readme.txt'))).toEqual(ftp.tree.get('readme.txt'));
    expect(readFileSync(join(local, 'file with spaces.txt'), 'utf8')).toBe('spaces in the path\n');
    expect(commandsSince(before)).toContain('TYPE A');
    // The transfer log says which type moved the file: `a` for ASCII (xferlog(5)).
    // Written by the primary a few milliseconds after the transfer: waited for, not raced.
    await eventually(() => / \/readme\.txt a _ o a /.test(readFileSync(join(ftp.dir, 'xferlog'), 'utf8')));
  });

  it('uploads a text file in ASCII mode as a local user: stored with LF line ends', async () => {
    const local = ftp.scratch('inetutils-ascii-up');
    writeFileSync(join(local, 'notes.txt'), 'line one\nline two\n\nlast\n');
    expectOk(
      await inetutils(local, ['ascii', 'put notes.txt', 'binary', 'put notes.txt notes-binary.txt'], { user: true }),
    );
    expect(readFileSync(join(ftp.userRoot, 'notes.txt'), 'utf8')).toBe('line one\nline two\n\nlast\n');
    expect(readFileSync(join(ftp.userRoot, 'notes-binary.txt'), 'utf8')).toBe('line one\nline two\n\nlast\n');
  });

  it('lists with ls (LIST) and nlist (NLST) over PORT', async () => {
    const local = ftp.scratch('inetutils-ls');
    const text = expectOk(await inetutils(local, ['ls nested/level1', 'nlist']));
    expect(text).toMatch(/^d[rwx-]{9} .* level2\r?$/m);
    expect(text).toMatch(/^-[rwx-]{9} .* 14 \w{3} [ \d]\d [ \d]\d:\d\d sibling\.txt\r?$/m);
    expect(text).toMatch(/^ünïcødé-名前\.txt\r?$/m);
    expect(text).toMatch(/^dir with spaces\r?$/m);
  });
});
