/**
 * Python's ftplib (test/interop/ftplib-client.py) against the real server: MLSD, retrbinary with
 * `rest` (REST STREAM), retrlines (TYPE A), storbinary, and FTP_TLS: a subclass that resumes the
 * control connection's TLS session on the data channel works with session reuse required, the
 * stock class gets 522 there, and works against a server with tls.requireSessionReuse off. ftplib
 * starts the data TLS handshake only after reading the 150 reply.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  PASSWORD,
  runClient,
  sha,
  startInteropServer,
  USER,
  type ClientRun,
  type InteropServer,
} from '../helpers/ftp-interop.js';

const HUGE_BYTES = 64 * 1024 * 1024;
const SCRIPT = fileURLToPath(new URL('./ftplib-client.py', import.meta.url));

let strict: InteropServer;
let relaxed: InteropServer;

beforeAll(async () => {
  [strict, relaxed] = await Promise.all([
    startInteropServer(),
    startInteropServer({
      tls: { requireSessionReuse: false },
      // huge.bin: more than loopback socket buffers hold, so abort() finds the RETR still running
      // (a 3 MiB file fits in them whole and is sent before the client asks).
      prepareAnonymous: (root) => writeFileSync(join(root, 'huge.bin'), Buffer.alloc(HUGE_BYTES)),
    }),
  ]);
});

afterAll(async () => {
  await Promise.all([strict?.stop(), relaxed?.stop()]);
});

interface Result {
  readonly run: ClientRun;
  readonly json: Record<string, unknown>;
}

async function ftplib(
  server: InteropServer,
  args: readonly string[],
  options: { user?: boolean; tls12?: boolean; latin1?: boolean } = {},
): Promise<Result> {
  const env = {
    ...(options.user ? { USER_NAME: USER, USER_PASSWORD: PASSWORD } : {}),
    ...(options.tls12 ? { TLS_MAX: '1.2' } : {}),
    ...(options.latin1 ? { FTP_ENCODING: 'latin-1' } : {}),
  };
  const run = await runClient('python3', [SCRIPT, String(server.port), ...args], { env, timeoutMs: 30_000 });
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(run.stdout.toString('utf8')) as Record<string, unknown>;
  } catch {
    // a crash: the exit status and the summary tell
  }
  return { run, json };
}

function expectOk(server: InteropServer, result: Result): Record<string, unknown> {
  expect(result.run.code, `${result.run.summary}\n--- server trace ---\n${server.trace()}`).toBe(0);
  expect(result.json.quit).toMatch(/^221/);
  return result.json;
}

describe('ftplib', () => {
  it('lists with mlsd: every entry with type, size and modify facts', async () => {
    const json = expectOk(strict, await ftplib(strict, ['mlsd', '/']));
    const entries = new Map(
      (json.entries as { name: string; facts: Record<string, string> }[]).map((entry) => [entry.name, entry.facts]),
    );
    expect([...entries.keys()].filter((name) => name !== '.' && name !== '..').sort()).toEqual([
      'big.bin',
      'dir with spaces',
      'nested',
      'readme.txt',
      'ünïcødé-名前.txt',
    ]);
    expect(entries.get('big.bin')).toMatchObject({ type: 'file', size: '3150049' });
    expect(entries.get('big.bin')?.modify).toMatch(/^\d{14}(\.\d+)?$/);
    expect(entries.get('nested')).toMatchObject({ type: 'dir' });
    const spaced = expectOk(strict, await ftplib(strict, ['mlsd', '/dir with spaces']));
    expect(spaced.entries).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'file with spaces.txt' })]));
  });

  it('resumes a download with retrbinary(rest=...) byte for byte', async () => {
    const out = join(strict.scratch('python-rest'), 'big.bin');
    const big = strict.tree.get('big.bin') as Buffer;
    writeFileSync(out, big.subarray(0, 1_234_567));
    const json = expectOk(strict, await ftplib(strict, ['retr', '/big.bin', out, '1234567']));
    expect(json.bytes).toBe(big.length);
    expect(sha(readFileSync(out))).toBe(sha(big));
    expect(
      strict.server.lines.some((line) => line.msg === 'ftp command' && line.cmd === 'REST' && line.arg === '1234567'),
    ).toBe(true);
  });

  it('reads text lines with retrlines (TYPE A)', async () => {
    const json = expectOk(strict, await ftplib(strict, ['retrlines', '/readme.txt']));
    expect(json.lines).toEqual(['Welcome to the classicd interop tree.', 'Second line.']);
  });

  it('aborts a download with abort() (ABOR sent with MSG_OOB), then downloads again', async () => {
    const json = expectOk(relaxed, await ftplib(relaxed, ['abort', '/huge.bin']));
    expect(json).toMatchObject({ firstBytes: expect.any(Number) as number, bytes: HUGE_BYTES });
    expect(json.abort).toMatch(/^426 /);
    expect(json.after).toMatch(/^226 /);
  });

  it('uploads with storbinary as a local user, a UTF-8 name included', async () => {
    const local = join(strict.scratch('python-stor'), 'up.bin');
    const content = (strict.tree.get('big.bin') as Buffer).subarray(100, 2_000_100);
    writeFileSync(local, content);
    expectOk(strict, await ftplib(strict, ['stor', local, '/ünï up.bin'], { user: true }));
    expect(sha(readFileSync(join(strict.userRoot, 'ünï up.bin')))).toBe(sha(content));
  });
});

// A Latin-1 client (ftplib's encoding='latin-1') and Latin-1 names on disk: the names listed,
// fetched, stored and renamed by their bytes, as vsftpd allows (services/ftp/README.md, RFC 2640).
describe('ftplib with encoding latin-1', () => {
  it('lists, fetches, stores and renames names whose bytes are Latin-1', async () => {
    // In a directory of their own: ftplib in UTF-8, in the other tests, cannot read such names.
    const dir = join(strict.userRoot, 'latin1');
    mkdirSync(dir);
    const onDisk = (name: string): Buffer => Buffer.from(join(dir, name), 'latin1');
    writeFileSync(onDisk('caf\xe9.txt'), 'Latin-1 name\n');
    const listed = expectOk(strict, await ftplib(strict, ['nlst', '/latin1'], { user: true, latin1: true }));
    expect(listed.names).toEqual(['/latin1/café.txt']); // ftplib decodes the byte 0xE9 as é

    const out = join(strict.scratch('python-latin1'), 'got.txt');
    expectOk(strict, await ftplib(strict, ['retr', '/latin1/café.txt', out], { user: true, latin1: true }));
    expect(readFileSync(out, 'utf8')).toBe('Latin-1 name\n');

    const local = join(strict.scratch('python-latin1'), 'up.bin');
    writeFileSync(local, 'uploaded\n');
    expectOk(strict, await ftplib(strict, ['stor', local, '/latin1/déjà.bin'], { user: true, latin1: true }));
    expect(readFileSync(onDisk('d\xe9j\xe0.bin'), 'utf8')).toBe('uploaded\n');
    // ÿ is 0xFF, Telnet's IAC: ftplib sends it alone.
    expectOk(
      strict,
      await ftplib(strict, ['rename', '/latin1/déjà.bin', '/latin1/ÿ.bin'], { user: true, latin1: true }),
    );
    expect(readFileSync(onDisk('\xff.bin'), 'utf8')).toBe('uploaded\n');
  });
});

describe('ftplib FTP_TLS, session reuse required (the default)', () => {
  it('gets a 3 MB binary with the session-reusing subclass, and the data session is resumed', async () => {
    const out = join(strict.scratch('python-tls'), 'big.bin');
    const json = expectOk(strict, await ftplib(strict, ['tls-retr', 'reuse', '/big.bin', out]));
    expect(json.sessionReused).toBe(true);
    expect(sha(readFileSync(out))).toBe(sha(strict.tree.get('big.bin') as Buffer));
  });

  it('resumes under TLS 1.2 too (a session ticket)', async () => {
    const out = join(strict.scratch('python-tls12'), 'big.bin');
    const json = expectOk(strict, await ftplib(strict, ['tls-retr', 'reuse', '/big.bin', out], { tls12: true }));
    expect(json).toMatchObject({ sessionReused: true, tlsVersion: 'TLSv1.2' });
    expect(sha(readFileSync(out))).toBe(sha(strict.tree.get('big.bin') as Buffer));
  });

  it('uploads and lists over PROT P as a local user with the subclass', async () => {
    const local = join(strict.scratch('python-tls-stor'), 'secret.bin');
    const content = (strict.tree.get('big.bin') as Buffer).subarray(0, 1_500_000);
    writeFileSync(local, content);
    expectOk(strict, await ftplib(strict, ['tls-stor', 'reuse', local, '/secret.bin'], { user: true }));
    expect(sha(readFileSync(join(strict.userRoot, 'secret.bin')))).toBe(sha(content));
    const listing = expectOk(strict, await ftplib(strict, ['tls-mlsd', 'reuse', '/'], { user: true }));
    expect(listing.entries).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'secret.bin' })]));
  });

  it('ends the TLS control connection with close_notify after QUIT, not a bare FIN', async () => {
    const json = expectOk(strict, await ftplib(strict, ['tls-quit', 'reuse']));
    expect(json).toEqual({ quit: '221 Goodbye.', closeNotify: true });
  });

  it('refuses the stock FTP_TLS, which starts a fresh TLS session on the data channel: 522', async () => {
    const out = join(strict.scratch('python-tls-stock'), 'readme.txt');
    const { run, json } = await ftplib(strict, ['tls-retr', 'stock', '/readme.txt', out]);
    expect(run.code, run.summary).toBe(3);
    expect(json.error).toMatch(/^522 /);
  });
});

describe('ftplib FTP_TLS with tls.requireSessionReuse off', () => {
  it('gets and puts with the stock FTP_TLS', async () => {
    const out = join(relaxed.scratch('python-stock'), 'big.bin');
    expectOk(relaxed, await ftplib(relaxed, ['tls-retr', 'stock', '/big.bin', out]));
    expect(sha(readFileSync(out))).toBe(sha(relaxed.tree.get('big.bin') as Buffer));
    const local = join(relaxed.scratch('python-stock-up'), 'up.txt');
    writeFileSync(local, 'stock ftplib upload\n');
    expectOk(relaxed, await ftplib(relaxed, ['tls-stor', 'stock', local, '/up.txt'], { user: true }));
    expect(readFileSync(join(relaxed.userRoot, 'up.txt'), 'utf8')).toBe('stock ftplib upload\n');
  });

  it('still lets the subclass resume its session', async () => {
    const out = join(relaxed.scratch('python-reuse'), 'readme.txt');
    const json = expectOk(relaxed, await ftplib(relaxed, ['tls-retr', 'reuse', '/readme.txt', out]));
    expect(json.sessionReused).toBe(true);
    expect(readFileSync(out)).toEqual(relaxed.tree.get('readme.txt'));
  });
});
