/**
 * The security cases through a real client (curl), beside the integration tests that check
 * the same rules over raw sockets: a symlink out of the root, `..` past the root, and an active
 * data connection aimed at an address other than the client's own (no FTP bounce, RFC 2577).
 */
import { symlinkSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runClient, startInteropServer, type ClientRun, type InteropServer } from '../helpers/ftp-interop.js';

let ftp: InteropServer;

beforeAll(async () => {
  ftp = await startInteropServer({
    prepareAnonymous(root) {
      symlinkSync('/etc', `${root}/link`);
      symlinkSync('/etc/passwd', `${root}/passwd-link`);
      symlinkSync('nested/level1', `${root}/inside-link`);
    },
  });
});

afterAll(async () => {
  await ftp?.stop();
});

function curl(...args: string[]): Promise<ClientRun> {
  return runClient('curl', ['-sS', '--max-time', '15', ...args], { timeoutMs: 20_000 });
}

/** curl failed, and nothing of /etc/passwd reached it. */
function expectRefused(run: ClientRun): void {
  expect(run.code, `${run.summary}\n--- server trace ---\n${ftp.trace()}`).not.toBe(0);
  expect(run.stdout.toString()).not.toMatch(/root:/);
}

describe('paths out of the root, through curl', () => {
  it('refuses a file through a symlink to /etc (curl ftp://.../link/passwd fails)', async () => {
    expectRefused(await curl(ftp.url('link/passwd')));
  });

  it('refuses a symlink to a file out of the root', async () => {
    expectRefused(await curl(ftp.url('passwd-link')));
  });

  it('refuses to list through the symlink to /etc', async () => {
    expectRefused(await curl('-l', ftp.url('link/')));
    expectRefused(await curl(ftp.url('link/')));
  });

  it('keeps `..` inside the root: /../../etc/passwd is not /etc/passwd', async () => {
    expectRefused(await curl('--path-as-is', ftp.url('../../../etc/passwd')));
    // A single RETR with the whole path (no CWD per segment) must not escape either.
    expectRefused(await curl('--path-as-is', '--ftp-method', 'nocwd', ftp.url('../../../etc/passwd')));
    expectRefused(await curl('--path-as-is', '--ftp-method', 'singlecwd', ftp.url('%2F..%2F..%2Fetc/passwd')));
  });

  it('still follows a symlink that stays inside the root', async () => {
    const run = await curl(ftp.url('inside-link/sibling.txt'));
    expect(run.code, run.summary).toBe(0);
    expect(run.stdout.toString()).toBe('beside level2\n');
  });
});

describe('no FTP bounce, through curl', () => {
  // curl -P 127.0.0.2 listens on 127.0.0.2 and names it in PORT/EPRT while its control connection
  // comes from 127.0.0.1: the server must refuse to connect there (curl exits 30, "PORT failed").
  it('refuses PORT to an address that is not the client (--disable-eprt)', async () => {
    const run = await curl('-P', '127.0.0.2', '--disable-eprt', ftp.url('readme.txt'));
    expect(run.code, `${run.summary}\n${ftp.trace()}`).toBe(30);
    expect(run.stdout.length).toBe(0);
  });

  it('refuses EPRT to an address that is not the client', async () => {
    const run = await curl('-P', '127.0.0.2', ftp.url('readme.txt'));
    expect(run.code, `${run.summary}\n${ftp.trace()}`).toBe(30);
    expect(run.stdout.length).toBe(0);
  });
});
