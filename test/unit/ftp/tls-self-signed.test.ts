import { X509Certificate, createPrivateKey } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadFtpTls } from '../../../services/ftp/tls/ftp-tls.js';
import {
  CERT_FILE,
  KEY_FILE,
  loadOrCreateSelfSigned,
  SELF_SIGNED_SUBDIR,
} from '../../../services/ftp/tls/self-signed.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'classicd-tls-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('the self-signed certificate', () => {
  it('is made once, kept with a private key file, and reused', async () => {
    const made = await loadOrCreateSelfSigned(join(dir, 'var', 'tls'));
    expect(made.generated).toBe(true);
    const stored = join(dir, 'var', 'tls', SELF_SIGNED_SUBDIR);
    expect(statSync(join(stored, KEY_FILE)).mode & 0o777).toBe(0o600);
    const cert = new X509Certificate(readFileSync(join(stored, CERT_FILE)));
    expect(cert.checkPrivateKey(createPrivateKey(readFileSync(join(stored, KEY_FILE))))).toBe(true);
    expect(cert.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(cert.checkHost('localhost')).toBe('localhost');

    const again = await loadOrCreateSelfSigned(join(dir, 'var', 'tls'));
    expect(again.generated).toBe(false);
    expect(again.fingerprint256).toBe(made.fingerprint256);
  });

  it('gives every racing worker the same pair, and leaves no temporary files', async () => {
    const racers = await Promise.all(Array.from({ length: 4 }, () => loadOrCreateSelfSigned(dir)));
    expect(racers.filter((pair) => pair.generated)).toHaveLength(1);
    expect(new Set(racers.map((pair) => pair.fingerprint256)).size).toBe(1);
    expect(new Set(racers.map((pair) => pair.key)).size).toBe(1);
    expect(readdirSync(dir)).toEqual([SELF_SIGNED_SUBDIR]);
  });
});

describe('loadFtpTls', () => {
  const log = pino({ level: 'silent' });
  const config = (overrides: Record<string, unknown> = {}) => ({
    enabled: true,
    cert: '',
    key: '',
    selfSignedDir: dir,
    implicitPort: 0,
    requireSessionReuse: true,
    requireForLocalUsers: false,
    ...overrides,
  });

  it('loads configured PEM files', async () => {
    const pair = await loadOrCreateSelfSigned(dir);
    const tls = await loadFtpTls(config({ cert: join(pair.dir, CERT_FILE), key: join(pair.dir, KEY_FILE) }), log);
    expect(tls.selfSigned).toBe(false);
  });

  it('refuses a cert without a key, and unreadable files, with the key named', async () => {
    await expect(loadFtpTls(config({ cert: join(dir, 'c.pem') }), log)).rejects.toThrow(/both tls.cert and tls.key/);
    await expect(loadFtpTls(config({ cert: join(dir, 'c.pem'), key: join(dir, 'k.pem') }), log)).rejects.toThrow(
      /tls\.cert: cannot read .*ENOENT/,
    );
  });

  it('gives each control connection its own context only when session reuse is required', async () => {
    const strict = await loadFtpTls(config(), log);
    expect(strict.newControlContext()).not.toBe(strict.newControlContext());
    const relaxed = await loadFtpTls(config({ requireSessionReuse: false }), log);
    expect(relaxed.newControlContext()).toBe(relaxed.newControlContext());
  });
});
