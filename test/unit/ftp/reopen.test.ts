import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import type { FtpConfig } from '../../../services/ftp/config.js';
import { prepareFtpReopen } from '../../../services/ftp/reopen.js';

const dir = mkdtempSync(join(tmpdir(), 'classicd-ftp-reopen-unit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const silent = pino({ level: 'silent' });

// The primary reads the key with its own rights, for workers that may no longer read it.
describe('prepareFtpReopen', () => {
  it('reads the key and certificate for the workers', async () => {
    const config = {
      xferlog: '',
      tls: { enabled: true, cert: '', key: '', selfSignedDir: join(dir, 'tls'), requireSessionReuse: true },
    } as unknown as FtpConfig;
    const prepared = await prepareFtpReopen(config, silent);
    expect(prepared.tls?.credentials.key).toContain('PRIVATE KEY');
  });

  it('logs a certificate it cannot read, and gives the workers nothing new', async () => {
    const missing = join(dir, 'missing.pem');
    const config = {
      xferlog: '',
      tls: { enabled: true, cert: missing, key: missing, selfSignedDir: join(dir, 'tls'), requireSessionReuse: true },
    } as unknown as FtpConfig;
    const lines: string[] = [];
    const log = pino({ level: 'error' }, { write: (line: string) => lines.push(line) });
    expect(await prepareFtpReopen(config, log)).toEqual({});
    expect(lines.join('')).toContain('could not read the key and certificate');
  });
});
