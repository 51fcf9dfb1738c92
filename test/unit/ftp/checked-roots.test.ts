import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CheckedRoots } from '../../../services/ftp/fs/checked-roots.js';

describe('CheckedRoots', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  const tempDir = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'classicd-roots-'));
    dirs.push(dir);
    return dir;
  };

  it('answers the real path, through symlinks, and shares one check within the TTL', async () => {
    let now = 0;
    const roots = new CheckedRoots(1000, () => now);
    const base = tempDir();
    mkdirSync(join(base, 'real'));
    symlinkSync(join(base, 'real'), join(base, 'link'));
    const first = roots.realRoot(join(base, 'link'));
    expect(roots.realRoot(join(base, 'link'))).toBe(first);
    expect(await first).toBe(realpathSync(join(base, 'real')));
    now = 999;
    expect(roots.realRoot(join(base, 'link'))).toBe(first);
    now = 1000;
    expect(roots.realRoot(join(base, 'link'))).not.toBe(first); // checked again
  });

  it('does not keep a failure: a root that appears is usable at once', async () => {
    const roots = new CheckedRoots(60_000, () => 0);
    const root = join(tempDir(), 'later');
    await expect(roots.realRoot(root)).rejects.toMatchObject({ code: 'ENOENT' });
    mkdirSync(root);
    expect(await roots.realRoot(root)).toBe(realpathSync(root));
  });

  it('refuses a root that is not a directory', async () => {
    const file = join(tempDir(), 'file');
    writeFileSync(file, 'x');
    await expect(new CheckedRoots().realRoot(file)).rejects.toThrow(/not a directory/);
  });
});
