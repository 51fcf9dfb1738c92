/**
 * curl against the real server listening on ::1 (RFC 2428): passive with EPSV (curl's only choice
 * over IPv6), active with EPRT |2|, and an upload. Every file is compared byte for byte.
 *
 * Skipped, with the reason in its name, on a machine where nothing can listen on ::1.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canListenOn } from '../helpers/ftp.js';
import { runClient, sha, startInteropServer, type ClientRun, type InteropServer } from '../helpers/ftp-interop.js';

const IPV6 = await canListenOn('::1');

describe.skipIf(!IPV6)(`curl over IPv6${IPV6 ? '' : ' (skipped: cannot listen on ::1)'}`, () => {
  let ftp: InteropServer;

  beforeAll(async () => {
    ftp = await startInteropServer({ host: '::1', tls: { enabled: false } });
  });

  afterAll(async () => {
    await ftp?.stop();
  });

  /** curl with URL globbing off (`-g`), so `[::1]` is an address; bounded, as in ftp-curl.test.ts. */
  function curl(...args: string[]): Promise<ClientRun> {
    return runClient('curl', ['-sS', '-g', '--max-time', '25', ...args], { timeoutMs: 30_000 });
  }

  function expectOk(run: ClientRun): void {
    expect(run.code, `${run.summary}\n--- server trace ---\n${ftp.trace()}`).toBe(0);
  }

  /** The commands the server saw from `before` on, verb and argument. */
  function commandsSince(before: number): string[] {
    return ftp.commands().slice(before);
  }

  it('fetches a 3 MB binary with EPSV from ftp://[::1]:PORT/', async () => {
    const before = ftp.commands().length;
    const out = join(ftp.scratch('curl6'), 'epsv.bin');
    expect(ftp.url('big.bin')).toMatch(/^ftp:\/\/\[::1\]:\d+\/big\.bin$/);
    expectOk(await curl('-o', out, ftp.url('big.bin')));
    expect(sha(readFileSync(out))).toBe(sha(ftp.tree.get('big.bin') as Buffer));
    const seen = commandsSince(before);
    expect(seen).toContain('EPSV');
    expect(seen).not.toContain('PASV');
  });

  it('fetches it actively with EPRT |2| (-P -, the control connection address)', async () => {
    const before = ftp.commands().length;
    const out = join(ftp.scratch('curl6'), 'eprt.bin');
    expectOk(await curl('-P', '-', '-o', out, ftp.url('big.bin')));
    expect(sha(readFileSync(out))).toBe(sha(ftp.tree.get('big.bin') as Buffer));
    expect(commandsSince(before).some((command) => command.startsWith('EPRT |2|::1|'))).toBe(true);
  });

  it('uploads a file as the local user with EPSV', async () => {
    const source = join(ftp.anonRoot, 'big.bin');
    expectOk(await curl('-T', source, ftp.url('uploaded.bin', { user: true })));
    expect(sha(readFileSync(join(ftp.userRoot, 'uploaded.bin')))).toBe(sha(ftp.tree.get('big.bin') as Buffer));
  });
});
