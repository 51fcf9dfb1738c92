/**
 * lftp (Debian's 4.9) against the real server: `mirror` of the anonymous tree (FEAT before USER,
 * MLSD when advertised), `mirror -R` into a local user's root (lftp turns on AUTH TLS by itself
 * for a password login, so this runs over FTPS with session reuse required), `pget -n 4` (four
 * ranged RETRs at once), ABOR when a download's reader goes away, and `ftp:ssl-force` with a
 * self-signed certificate.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  digest,
  PASSWORD,
  readTree,
  runClient,
  sha,
  startInteropServer,
  USER,
  writeTree,
  type ClientRun,
  type InteropServer,
} from '../helpers/ftp-interop.js';

let ftp: InteropServer;

beforeAll(async () => {
  ftp = await startInteropServer();
});

afterAll(async () => {
  await ftp?.stop();
});

/** Fail fast: one retry, a 10 s timeout, no waiting between reconnects; TLS without verification. */
const PREAMBLE = [
  'set net:max-retries 1',
  'set net:timeout 10',
  'set net:reconnect-interval-base 1',
  'set cmd:fail-exit yes',
  'set ssl:verify-certificate no',
  'set xfer:clobber yes',
];

function lftp(commands: readonly string[], options: { user?: boolean; cwd?: string } = {}): Promise<ClientRun> {
  const login = options.user ? `open -u ${USER},'${PASSWORD}' ` : 'open ';
  const script = [...PREAMBLE, `${login}ftp://127.0.0.1:${ftp.port}`, ...commands].join('; ');
  return runClient('lftp', ['-c', script], { cwd: options.cwd, timeoutMs: 60_000 });
}

function expectOk(run: ClientRun): void {
  expect(run.code, `${run.summary}\n--- server trace ---\n${ftp.trace()}`).toBe(0);
}

const commandCount = (): number => ftp.commands().length;
const commandsSince = (count: number): string[] => ftp.commands().slice(count);

describe('lftp', () => {
  it('mirrors the anonymous tree byte for byte (mirror)', async () => {
    const local = ftp.scratch('lftp-mirror');
    const before = commandCount();
    expectOk(await lftp([`mirror / ${JSON.stringify(local)}`], { cwd: local }));
    expect(digest(readTree(local))).toEqual(digest(ftp.tree));
    const seen = commandsSince(before);
    expect(seen[0]).toBe('FEAT'); // before USER, as the field notes say
    expect(seen.some((command) => command.startsWith('MLSD'))).toBe(true);
  });

  it('mirrors a local tree up into a local user root (mirror -R, over AUTH TLS it starts by itself)', async () => {
    const local = ftp.scratch('lftp-upload');
    const tree = new Map(ftp.tree);
    tree.set('extra/empty-ish.txt', Buffer.from(''));
    writeTree(local, tree);
    mkdirSync(join(ftp.userRoot, 'up'), { recursive: true });
    const before = commandCount();
    expectOk(await lftp([`mirror -R ${JSON.stringify(local)} /up`], { user: true, cwd: local }));
    expect(digest(readTree(join(ftp.userRoot, 'up')))).toEqual(digest(tree));
    const seen = commandsSince(before);
    expect(seen).toContain('AUTH TLS');
    expect(seen).toContain('PROT P');
  });

  it('mirrors again without changes, and then only what changed (mirror -R, second run)', async () => {
    const local = ftp.scratch('lftp-upload-2');
    writeTree(
      local,
      new Map([
        ['a.txt', Buffer.from('first\n')],
        ['b/c.txt', Buffer.from('c\n')],
      ]),
    );
    expectOk(await lftp([`mirror -R ${JSON.stringify(local)} /again`], { user: true }));
    writeFileSync(join(local, 'a.txt'), 'second, longer\n');
    expectOk(await lftp([`mirror -R ${JSON.stringify(local)} /again`], { user: true }));
    expect(readFileSync(join(ftp.userRoot, 'again', 'a.txt'), 'utf8')).toBe('second, longer\n');
    expect(readFileSync(join(ftp.userRoot, 'again', 'b', 'c.txt'), 'utf8')).toBe('c\n');
  });

  it('fetches a file in four parallel pieces (pget -n 4)', async () => {
    // A rate limit per session keeps one connection from fetching the whole file before lftp has
    // opened the other three, which on a fast machine it otherwise does.
    const slow = await startInteropServer({ anonymousMaxRate: 1024 * 1024 });
    try {
      const local = slow.scratch('lftp-pget');
      const run = await runClient(
        'lftp',
        [
          '-c',
          [
            ...PREAMBLE,
            'set pget:min-chunk-size 64k',
            `open ${slow.url()}`,
            `lcd ${JSON.stringify(local)}`,
            'pget -n 4 /big.bin',
          ].join('; '),
        ],
        { cwd: local, timeoutMs: 60_000 },
      );
      expect(run.code, `${run.summary}\n--- server trace ---\n${slow.trace()}`).toBe(0);
      expect(sha(readFileSync(join(local, 'big.bin')))).toBe(sha(slow.tree.get('big.bin') as Buffer));
      const rests = slow.commands().filter((command) => command.startsWith('REST '));
      expect(rests.length).toBeGreaterThanOrEqual(3);
    } finally {
      await slow.stop();
    }
  });

  it('aborts a download when its reader goes away (ABOR after IAC IP IAC, the DM sent urgent)', async () => {
    // Rate-limited, so the transfer is still running when `head` has had its bytes and exits.
    const slow = await startInteropServer({ anonymousMaxRate: 1024 * 1024 });
    try {
      const script = [
        ...PREAMBLE,
        'set ftp:ssl-allow no',
        `open ${slow.url()}`,
        'cat /big.bin | head -c 1000 > /dev/null',
        'cls -1 /nested',
      ].join('; ');
      const run = await runClient('lftp', ['-c', script], { timeoutMs: 60_000 });
      const trace = `${run.summary}\n--- server trace ---\n${slow.trace()}`;
      expect(run.code, trace).toBe(0);
      expect(run.stdout.toString(), trace).toContain('level1/');
      // lftp's Telnet Synch leaves IAC IP IAC before ABOR in the stream: it must still be ABOR.
      expect(slow.commands(), trace).toContain('ABOR');
      expect(
        slow.server.lines.filter((line) => line.msg === 'unknown command'),
        trace,
      ).toEqual([]);
    } finally {
      await slow.stop();
    }
  });

  it('fetches files and a listing as a local user with ftp:ssl-force on a self-signed certificate', async () => {
    const local = ftp.scratch('lftp-ssl');
    writeTree(ftp.userRoot, ftp.tree);
    const before = commandCount();
    const run = await lftp(
      [
        'set ftp:ssl-force true',
        'set ftp:ssl-protect-data true',
        `lcd ${JSON.stringify(local)}`,
        'get "/dir with spaces/file with spaces.txt"',
        'get /big.bin',
        'cls -1 /nested/level1',
      ],
      { user: true, cwd: local },
    );
    expectOk(run);
    expect(run.stdout.toString().split('\n').filter(Boolean).sort()).toEqual([
      '/nested/level1/level2/',
      '/nested/level1/sibling.txt',
    ]);
    expect(readFileSync(join(local, 'file with spaces.txt'), 'utf8')).toBe('spaces in the path\n');
    expect(sha(readFileSync(join(local, 'big.bin')))).toBe(sha(ftp.tree.get('big.bin') as Buffer));
    expect(commandsSince(before)).toEqual(expect.arrayContaining(['AUTH TLS', 'PBSZ 0', 'PROT P']));
  });

  it('fetches anonymously over TLS too when asked (ftp:ssl-allow-anonymous, ftp:ssl-force)', async () => {
    const local = ftp.scratch('lftp-ssl-anon');
    const before = commandCount();
    const run = await lftp(
      [
        'set ftp:ssl-allow-anonymous true',
        'set ftp:ssl-force true',
        'set ftp:ssl-protect-data true',
        `lcd ${JSON.stringify(local)}`,
        'get /ünïcødé-名前.txt',
      ],
      { cwd: local },
    );
    expectOk(run);
    expect(readFileSync(join(local, 'ünïcødé-名前.txt'))).toEqual(ftp.tree.get('ünïcødé-名前.txt'));
    expect(commandsSince(before)).toEqual(expect.arrayContaining(['AUTH TLS', 'PROT P']));
  });

  it('lists with `ls -la PATH` (LIST -la /path, which it sends as typed) and `cls -l` over LIST', async () => {
    const before = commandCount();
    const run = await lftp(['ls -la /nested/level1', 'set ftp:use-mlsd no', 'cls -l "/dir with spaces"']);
    expectOk(run);
    const text = run.stdout.toString('utf8');
    expect(text).toMatch(/^d[rwx-]{9} .* level2$/m);
    expect(text).toMatch(/^-[rwx-]{9} .* 14 \w{3} [ \d]\d [ \d]\d:\d\d sibling\.txt$/m);
    expect(text).toMatch(/^-[rwx-]{9} .* 19 \w{3} [ \d]\d [ \d]\d:\d\d \/dir with spaces\/file with spaces\.txt$/m);
    expect(commandsSince(before)).toContain('LIST -la /nested/level1');
  });

  it('refuses a wrong password with a clean failure, not a hang', async () => {
    const script = [
      ...PREAMBLE,
      'set ftp:ssl-allow no',
      `open -u ${USER},wrong ftp://127.0.0.1:${ftp.port}`,
      'ls',
    ].join('; ');
    const run = await runClient('lftp', ['-c', script], { timeoutMs: 60_000 });
    expect(run.code, run.summary).not.toBe(0);
    expect(run.stderr).toMatch(/Login failed|530/);
  });
});
