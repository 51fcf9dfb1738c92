/**
 * wget (Debian's 1.21) against the real server: `wget -m` mirrors the anonymous tree. wget uses
 * PASV only, asks for `LIST -a`, parses the `ls -l` lines (so the listing format is what is under
 * test here), and leaves without QUIT, which the server must take as a normal end of session.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digest, readTree, runClient, startInteropServer, type InteropServer } from '../helpers/ftp-interop.js';

let ftp: InteropServer;

beforeAll(async () => {
  ftp = await startInteropServer();
});

afterAll(async () => {
  await ftp?.stop();
});

const isListing = (path: string): boolean => path === '.listing' || path.endsWith('/.listing');

function trace(): string {
  return `--- server trace ---\n${ftp.trace()}`;
}

describe('wget', () => {
  it('mirrors the anonymous tree byte for byte (wget -m)', async () => {
    const local = ftp.scratch('wget-mirror');
    const run = await runClient('wget', ['-m', '-nH', '-nv', '--tries=1', '--timeout=10', '-P', local, ftp.url('')], {
      cwd: local,
      timeoutMs: 60_000,
    });
    expect(run.code, `${run.summary}\n${trace()}`).toBe(0);
    // -m implies --no-remove-listing: each directory keeps the LIST output wget parsed.
    expect(digest(readTree(local, isListing))).toEqual(digest(ftp.tree));
    const listing = readTree(local).get('nested/level1/.listing')?.toString('utf8') ?? '';
    expect(listing).toMatch(/^d[rwx-]{9} .* level2\r?$/m);
    expect(listing).toMatch(/^-[rwx-]{9} .* 14 \w{3} [ \d]\d [ \d]\d:\d\d sibling\.txt\r?$/m);
    const commands = ftp.server.lines.filter((line) => line.msg === 'ftp command');
    expect(commands.map((line) => line.cmd)).toContain('PASV');
    expect(commands.filter((line) => line.cmd === 'LIST').map((line) => line.arg)).toContain('-a');
  });

  it('mirrors again without fetching unchanged files (timestamps from the listing)', async () => {
    const local = ftp.scratch('wget-mirror-twice');
    const args = ['-m', '-nH', '-nv', '--tries=1', '--timeout=10', '-P', local, ftp.url('')];
    const first = await runClient('wget', args, { cwd: local, timeoutMs: 60_000 });
    expect(first.code, first.summary).toBe(0);
    const retrievals = (): number =>
      ftp.server.lines.filter((line) => line.msg === 'ftp command' && line.cmd === 'RETR').length;
    const before = retrievals();
    const second = await runClient('wget', args, { cwd: local, timeoutMs: 60_000 });
    expect(second.code, second.summary).toBe(0);
    expect(retrievals() - before, `${second.summary}\n${trace()}`).toBe(0);
    expect(digest(readTree(local, isListing))).toEqual(digest(ftp.tree));
  });

  it('fetches one file over PASV and ends the session without QUIT, cleanly', async () => {
    const local = ftp.scratch('wget-one');
    const run = await runClient('wget', ['-nv', '--tries=1', '--timeout=10', '-P', local, ftp.url('big.bin')], {
      cwd: local,
      timeoutMs: 30_000,
    });
    expect(run.code, run.summary).toBe(0);
    expect(digest(readTree(local))).toEqual(digest(new Map([['big.bin', ftp.tree.get('big.bin') as Buffer]])));
    // The session ends on wget's close, logged as an ordinary end, with no error logged.
    await ftp.server.waitForLine((line) => line.msg === 'session end' || line.msg === 'session closed', 10_000);
    const errors = ftp.server.lines.filter((line) => line.level >= 50);
    expect(errors, trace()).toEqual([]);
  });
});
