/**
 * `classicd hash-password`: the built CLI prints a hash that verifyPassword accepts, from an
 * argument or from standard input, and nothing but the hash on stdout.
 */
import { execFile } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { isPasswordHash, verifyPassword } from '../../services/ftp/auth/password-hash.js';
import { CLI } from '../helpers/classicd.js';

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function classicd(args: readonly string[], stdin?: string | Buffer): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = execFile(process.execPath, [CLI, ...args], { timeout: 20_000 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') reject(new Error(`classicd did not run: ${error.message}`));
      else resolve({ code: child.exitCode, stdout, stderr });
    });
    child.stdin?.on('error', () => {}); // EPIPE if classicd exits before reading: not the test's concern
    if (stdin === undefined) child.stdin?.end();
    else child.stdin?.end(stdin);
  });
}

async function hashFrom(run: Run): Promise<string> {
  expect(run.code, run.stderr).toBe(0);
  expect(run.stdout.endsWith('\n')).toBe(true);
  const hash = run.stdout.trimEnd();
  expect(hash.split('\n')).toHaveLength(1);
  expect(isPasswordHash(hash)).toBe(true);
  return hash;
}

describe('classicd hash-password', () => {
  it('hashes its argument', async () => {
    const hash = await hashFrom(await classicd(['hash-password', 'correct horse']));
    expect(await verifyPassword('correct horse', hash)).toBe(true);
    expect(await verifyPassword('correct horse ', hash)).toBe(false);
  });

  it('salts: the same password twice gives two hashes', async () => {
    const [a, b] = await Promise.all([classicd(['hash-password', 'pw']), classicd(['hash-password', 'pw'])]);
    expect(await hashFrom(a)).not.toBe(await hashFrom(b));
  });

  it('reads the first line of standard input when no argument is given', async () => {
    const hash = await hashFrom(await classicd(['hash-password'], 'from stdin\r\nsecond line\n'));
    expect(await verifyPassword('from stdin', hash)).toBe(true);
  });

  it('takes standard input without a final newline, and keeps spaces and non-ASCII', async () => {
    const hash = await hashFrom(await classicd(['hash-password'], ' pässwörd '));
    expect(await verifyPassword(' pässwörd ', hash)).toBe(true);
  });

  // PASS from a Latin-1 client arrives as those bytes (shared/text/raw-bytes.ts), and is hashed so.
  it('hashes a Latin-1 password on standard input as its bytes, never as U+FFFD', async () => {
    const hash = await hashFrom(await classicd(['hash-password'], Buffer.from('caf\xe9\n', 'latin1')));
    expect(await verifyPassword('caf\uDCE9', hash)).toBe(true);
    expect(await verifyPassword('caf\uDCE8', hash)).toBe(false);
    expect(await verifyPassword('caf\uFFFD', hash)).toBe(false);
    expect(await verifyPassword('café', hash)).toBe(false);
  });

  it('takes a password that starts with a dash after --', async () => {
    const hash = await hashFrom(await classicd(['hash-password', '--', '-dash']));
    expect(await verifyPassword('-dash', hash)).toBe(true);
  });

  it('refuses an empty password and extra arguments (exit 2, nothing on stdout)', async () => {
    for (const run of [
      await classicd(['hash-password'], ''),
      await classicd(['hash-password'], '\n'),
      await classicd(['hash-password', 'a', 'b']),
    ]) {
      expect(run.code).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr).toMatch(/classicd: /);
    }
  });

  it('is in --help', async () => {
    const run = await classicd(['--help']);
    expect(run.stdout).toMatch(/classicd hash-password \[PASSWORD\]/);
  });
});
