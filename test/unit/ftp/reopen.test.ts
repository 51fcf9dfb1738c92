import {
  chownSync,
  existsSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import type { FtpConfig } from '../../../services/ftp/config.js';
import { prepareFtpReopen } from '../../../services/ftp/reopen.js';

const dir = mkdtempSync(join(tmpdir(), 'classicd-ftp-reopen-unit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const NOBODY = { uid: 65534, gid: 65534 };
const silent = pino({ level: 'silent' });
const configWith = (xferlog: string): FtpConfig => ({ xferlog, tls: { enabled: false } }) as unknown as FtpConfig;

// The primary prepares the xferlog with its own rights (root): were the log directory writable by
// the workers' user, a link put in the log's place must not get another file handed over.
describe('prepareFtpReopen: the xferlog the primary hands to the workers', () => {
  it('creates it and, when they switch users, gives it to them', async () => {
    const path = join(dir, 'fresh', 'xferlog');
    await prepareFtpReopen(configWith(path), process.getuid?.() === 0 ? NOBODY : undefined, silent);
    expect(statSync(path).isFile()).toBe(true);
    if (process.getuid?.() === 0) expect(statSync(path).uid).toBe(NOBODY.uid);
  });

  it.each(['symlink', 'hard link'])(
    'refuses a %s in its place, and leaves the file it leads to alone',
    async (kind) => {
      const target = join(dir, `precious-${kind.replace(' ', '-')}`);
      writeFileSync(target, 'root only\n', { mode: 0o600 });
      const owner = statSync(target).uid;
      const path = join(dir, `xferlog-${kind.replace(' ', '-')}`);
      if (kind === 'symlink') symlinkSync(target, path);
      else linkSync(target, path);
      const lines: string[] = [];
      const log = pino({ level: 'error' }, { write: (line: string) => lines.push(line) });
      await prepareFtpReopen(configWith(path), NOBODY, log);
      expect(statSync(target).uid).toBe(owner);
      expect(lines.join('')).toContain('xferlog: could not prepare it for the workers');
    },
  );
});

describe('prepareFtpReopen: the two halves', () => {
  it('still reads the certificate when the xferlog cannot be handed over', async () => {
    const target = join(dir, 'other-file');
    writeFileSync(target, '');
    const path = join(dir, 'xferlog-linked');
    symlinkSync(target, path);
    const config = {
      xferlog: path,
      tls: { enabled: true, cert: '', key: '', selfSignedDir: join(dir, 'tls'), requireSessionReuse: true },
    } as unknown as FtpConfig;
    const prepared = await prepareFtpReopen(config, NOBODY, silent);
    expect(prepared.tls?.credentials.key).toContain('PRIVATE KEY');
  });
});

describe.skipIf(process.getuid?.() !== 0)('prepareFtpReopen: directories the workers could swap', () => {
  it('creates nothing under a log directory whose parent the workers own', async () => {
    const parent = join(dir, 'workers-own-this');
    mkdirSync(join(parent, 'log'), { recursive: true });
    chownSync(parent, NOBODY.uid, NOBODY.gid);
    const lines: string[] = [];
    const log = pino({ level: 'error' }, { write: (line: string) => lines.push(line) });
    await prepareFtpReopen(configWith(join(parent, 'log', 'xferlog')), NOBODY, log);
    expect(existsSync(join(parent, 'log', 'xferlog'))).toBe(false);
    expect(lines.join('')).toContain('can be replaced by supervisor.user');
  });
});
