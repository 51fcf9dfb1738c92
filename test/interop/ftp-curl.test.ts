/**
 * curl (Debian's 7.88) against the real server: passive with EPSV (its default) and PASV, active
 * with EPRT and PORT, name listings, resume, uploads by a local user, explicit FTPS (`--ssl-reqd`,
 * which sends AUTH SSL and reuses the control TLS session on the data channel) and implicit FTPS.
 * Every file is compared byte for byte with what is on disk.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runClient, sha, startInteropServer, type ClientRun, type InteropServer } from '../helpers/ftp-interop.js';
import type { LogLine } from '../helpers/classicd.js';
import { eventually } from '../integration/ftp/data-fixture.js';

let ftp: InteropServer;

beforeAll(async () => {
  ftp = await startInteropServer({ tls: { implicit: true } });
});

afterAll(async () => {
  await ftp?.stop();
});

/** curl, quiet but with errors, bounded: it gives up on its own well before the runner kills it. */
function curl(...args: string[]): Promise<ClientRun> {
  return runClient('curl', ['-sS', '--max-time', '25', ...args], { timeoutMs: 30_000 });
}

function expectOk(run: ClientRun): void {
  expect(run.code, `${run.summary}\n--- server trace ---\n${ftp.trace()}`).toBe(0);
}

/** The verbs the server has seen, in order, for checking which path a client took. */
function commandsSeen(): string[] {
  return ftp.commands().map((command) => command.split(' ')[0] as string);
}

async function download(args: string[], path: string): Promise<Buffer> {
  const out = join(ftp.scratch('curl'), `download-${Math.random().toString(36).slice(2)}`);
  const run = await curl(...args, '-o', out, ftp.url(path));
  expectOk(run);
  return readFileSync(out);
}

describe('curl: downloads', () => {
  const big = (): Buffer => ftp.tree.get('big.bin') as Buffer;

  it('fetches a text file to standard output (EPSV, its default)', async () => {
    const before = commandsSeen().length;
    const run = await curl(ftp.url('readme.txt'));
    expectOk(run);
    expect(run.stdout.equals(ftp.tree.get('readme.txt') as Buffer)).toBe(true);
    expect(commandsSeen().slice(before)).toEqual(expect.arrayContaining(['EPSV', 'TYPE', 'RETR']));
  });

  it('fetches a 3 MB binary byte for byte with EPSV', async () => {
    expect(sha(await download([], 'big.bin'))).toBe(sha(big()));
  });

  it('fetches it with PASV (--disable-epsv); the trace shows who connected to which data port', async () => {
    const before = commandsSeen().length;
    const linesBefore = ftp.server.lines.length;
    expect(sha(await download(['--disable-epsv'], 'big.bin'))).toBe(sha(big()));
    const seen = commandsSeen().slice(before);
    expect(seen).toContain('PASV');
    expect(seen).not.toContain('EPSV');
    // Log lines are written in batches: waited for, not raced.
    const accepted = (): LogLine | undefined =>
      ftp.server.lines.slice(linesBefore).find((line) => line.msg === 'data connection accepted');
    await eventually(() => accepted() !== undefined);
    expect(accepted()).toMatchObject({
      peer: expect.stringMatching(/^127\.0\.0\.1:\d+$/),
      dataPort: expect.any(Number),
    });
  });

  it('fetches it actively with EPRT (-P 127.0.0.1); the trace shows the connection made', async () => {
    const before = commandsSeen().length;
    const linesBefore = ftp.server.lines.length;
    expect(sha(await download(['-P', '127.0.0.1'], 'big.bin'))).toBe(sha(big()));
    expect(commandsSeen().slice(before)).toContain('EPRT');
    const made = (): LogLine | undefined =>
      ftp.server.lines.slice(linesBefore).find((line) => line.msg === 'data connection made');
    await eventually(() => made() !== undefined);
    expect(made()).toMatchObject({ target: expect.stringMatching(/^127\.0\.0\.1:\d+$/) });
  });

  it('fetches it actively with PORT (-P 127.0.0.1 --disable-eprt)', async () => {
    const before = commandsSeen().length;
    expect(sha(await download(['-P', '127.0.0.1', '--disable-eprt'], 'big.bin'))).toBe(sha(big()));
    const seen = commandsSeen().slice(before);
    expect(seen).toContain('PORT');
    expect(seen).not.toContain('EPRT');
  });

  it('fetches through a directory with spaces and a file with a UTF-8 name', async () => {
    const spaced = await curl(ftp.url('dir with spaces/file with spaces.txt'));
    expectOk(spaced);
    expect(spaced.stdout.toString()).toBe(ftp.tree.get('dir with spaces/file with spaces.txt')?.toString());
    const utf8 = await curl(ftp.url('ünïcødé-名前.txt'));
    expectOk(utf8);
    expect(utf8.stdout.equals(ftp.tree.get('ünïcødé-名前.txt') as Buffer)).toBe(true);
  });

  it('fetches three levels down (a CWD per segment)', async () => {
    const run = await curl(ftp.url('nested/level1/level2/deep.txt'));
    expectOk(run);
    expect(run.stdout.toString()).toBe('three levels down\n');
  });

  it('resumes a partial download with -C - (REST, then the rest of the file)', async () => {
    const out = join(ftp.scratch('curl-resume'), 'big.bin');
    writeFileSync(out, big().subarray(0, 1_000_000));
    const before = commandsSeen().length;
    const run = await curl('-C', '-', '-o', out, ftp.url('big.bin'));
    expectOk(run);
    expect(sha(readFileSync(out))).toBe(sha(big()));
    expect(commandsSeen().slice(before)).toContain('REST');
  });

  it('fetches a byte range with -r (REST, then closes the data connection early and sends ABOR)', async () => {
    const run = await curl('-r', '1000-1999', ftp.url('big.bin'));
    expectOk(run);
    expect(run.stdout.equals(big().subarray(1000, 2000))).toBe(true);
    const first = await curl('-r', '0-99', ftp.url('big.bin'));
    expectOk(first);
    expect(first.stdout.equals(big().subarray(0, 100))).toBe(true);
  });

  it('reports a missing file as an error (RETR 550: curl exit 78)', async () => {
    const run = await curl(ftp.url('no-such-file.txt'));
    expect(run.code, run.summary).toBe(78);
  });
});

describe('curl: listings', () => {
  it('lists names with -l (NLST)', async () => {
    const run = await curl('-l', ftp.url(''));
    expectOk(run);
    const names = run.stdout.toString('utf8').split(/\r?\n/).filter(Boolean).sort();
    expect(names).toEqual(['big.bin', 'dir with spaces', 'nested', 'readme.txt', 'ünïcødé-名前.txt']);
  });

  it('lists a directory with spaces in long form (LIST)', async () => {
    const run = await curl(ftp.url('dir with spaces/'));
    expectOk(run);
    const lines = run.stdout.toString('utf8').split(/\r?\n/).filter(Boolean);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^-[rwx-]{9}\s+\d+\s+\S+\s+\S+\s+19\s+\w{3}\s+\d+\s+[\d:]+\s+file with spaces\.txt$/);
  });

  it('lists a nested directory by name', async () => {
    const run = await curl('-l', ftp.url('nested/level1/'));
    expectOk(run);
    expect(run.stdout.toString().split(/\r?\n/).filter(Boolean).sort()).toEqual(['level2', 'sibling.txt']);
  });
});

describe('curl: uploads by a local user (-T)', () => {
  it('uploads a binary byte for byte, and overwrites it', async () => {
    const source = join(ftp.scratch('curl-upload'), 'upload.bin');
    const content = Buffer.concat([ftp.tree.get('big.bin') as Buffer, Buffer.from('\r\n tail')]);
    writeFileSync(source, content);
    expectOk(await curl('-T', source, ftp.url('upload.bin', { user: true })));
    expect(sha(readFileSync(join(ftp.userRoot, 'upload.bin')))).toBe(sha(content));
    writeFileSync(source, 'smaller now\n');
    expectOk(await curl('-T', source, ftp.url('upload.bin', { user: true })));
    expect(readFileSync(join(ftp.userRoot, 'upload.bin'), 'utf8')).toBe('smaller now\n');
  });

  // %E9 in a URL is the byte 0xE9 (RFC 3986 2.1): how curl names a Latin-1 file.
  it('lists, fetches and uploads names whose bytes are Latin-1 (%E9 in the URL)', async () => {
    const dir = join(ftp.userRoot, 'latin1-curl');
    mkdirSync(dir);
    writeFileSync(Buffer.from(join(dir, 'caf\xe9.txt'), 'latin1'), 'Latin-1 name\n');
    const base = ftp.url('latin1-curl', { user: true });
    const listed = await curl('-l', `${base}/`);
    expectOk(listed);
    expect(listed.stdout.toString('latin1').split(/\r?\n/).filter(Boolean)).toEqual(['caf\xe9.txt']);
    const fetched = await curl(`${base}/caf%E9.txt`);
    expectOk(fetched);
    expect(fetched.stdout.toString()).toBe('Latin-1 name\n');
    const source = join(ftp.scratch('curl-upload'), 'latin1.txt');
    writeFileSync(source, 'uploaded\n');
    expectOk(await curl('-T', source, `${base}/up%E9%FF.txt`));
    expect(readFileSync(Buffer.from(join(dir, 'up\xe9\xff.txt'), 'latin1'), 'utf8')).toBe('uploaded\n');
  });

  it('creates missing directories on the way with --ftp-create-dirs (MKD)', async () => {
    const source = join(ftp.scratch('curl-upload'), 'deep.txt');
    writeFileSync(source, 'made on the way\n');
    expectOk(await curl('--ftp-create-dirs', '-T', source, ftp.url('new dir/ünï/deep.txt', { user: true })));
    expect(readFileSync(join(ftp.userRoot, 'new dir', 'ünï', 'deep.txt'), 'utf8')).toBe('made on the way\n');
  });

  it('appends with --append (APPE)', async () => {
    const source = join(ftp.scratch('curl-upload'), 'part.txt');
    writeFileSync(source, 'one\n');
    expectOk(await curl('-T', source, ftp.url('log.txt', { user: true })));
    writeFileSync(source, 'two\n');
    expectOk(await curl('--append', '-T', source, ftp.url('log.txt', { user: true })));
    expect(readFileSync(join(ftp.userRoot, 'log.txt'), 'utf8')).toBe('one\ntwo\n');
  });

  it('is refused for anonymous on the read-only tree (STOR 550: curl exit 25), and nothing is written', async () => {
    const source = join(ftp.scratch('curl-upload'), 'anon.txt');
    writeFileSync(source, 'should not land\n');
    const run = await curl('-T', source, ftp.url('anon.txt'));
    expect(run.code, run.summary).toBe(25);
    expect(() => readFileSync(join(ftp.anonRoot, 'anon.txt'))).toThrow();
  });
});

describe('curl: FTPS', () => {
  it('fetches over explicit FTPS (--ssl-reqd: AUTH SSL, PROT P, TLS session reused on the data channel)', async () => {
    const before = commandsSeen().length;
    const run = await curl('--ssl-reqd', '-k', ftp.url('big.bin'));
    expectOk(run);
    expect(sha(run.stdout)).toBe(sha(ftp.tree.get('big.bin') as Buffer));
    expect(commandsSeen().slice(before)).toEqual(expect.arrayContaining(['AUTH', 'PBSZ', 'PROT', 'RETR']));
  });

  it('lists and uploads as the local user over explicit FTPS', async () => {
    const source = join(ftp.scratch('curl-ftps'), 'secret.bin');
    const content = (ftp.tree.get('big.bin') as Buffer).subarray(0, 500_000);
    writeFileSync(source, content);
    expectOk(await curl('--ssl-reqd', '-k', '-T', source, ftp.url('secret.bin', { user: true })));
    expect(sha(readFileSync(join(ftp.userRoot, 'secret.bin')))).toBe(sha(content));
    const listing = await curl('--ssl-reqd', '-k', '-l', ftp.url('', { user: true }));
    expectOk(listing);
    expect(listing.stdout.toString().split(/\r?\n/)).toContain('secret.bin');
  });

  // OpenSSL clients use a TLS 1.3 ticket once (RFC 8446 C.4): each data connection must be given a
  // new one to resume with, or every second transfer of a session is refused (522).
  it('fetches three files in one session over explicit FTPS (TLS 1.3, a new ticket on each resumption)', async () => {
    const readme = ftp.tree.get('readme.txt') as Buffer;
    const url = ftp.url('readme.txt');
    const before = commandsSeen().length;
    const run = await curl('--ssl-reqd', '-k', '--tlsv1.3', url, url, url);
    expectOk(run);
    expect(run.stdout.equals(Buffer.concat([readme, readme, readme]))).toBe(true);
    const verbs = commandsSeen().slice(before);
    expect(verbs.filter((verb) => verb === 'AUTH')).toHaveLength(1); // one control connection
    expect(verbs.filter((verb) => verb === 'RETR')).toHaveLength(3);
  });

  // curl's OpenSSL backend sets SSL_OP_NO_TICKET, so under TLS 1.2 it resumes by session id only
  // (tls-handshake.ts keeps a session cache per secure context for that).
  it('fetches over explicit FTPS limited to TLS 1.2 (session-ID resumption)', async () => {
    const run = await curl('--ssl-reqd', '-k', '--tls-max', '1.2', ftp.url('readme.txt'));
    expectOk(run);
    expect(run.stdout.equals(ftp.tree.get('readme.txt') as Buffer)).toBe(true);
  });

  it('fetches over implicit FTPS (ftps://)', async () => {
    const run = await curl('-k', ftp.url('big.bin', { scheme: 'ftps' }));
    expectOk(run);
    expect(sha(run.stdout)).toBe(sha(ftp.tree.get('big.bin') as Buffer));
    const listing = await curl('-k', '-l', ftp.url('nested/', { scheme: 'ftps' }));
    expectOk(listing);
    expect(listing.stdout.toString().trim()).toBe('level1');
  });
});
