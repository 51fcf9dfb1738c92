import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkAnonymousRoot, checkUserRoots } from '../../../services/ftp/fs/root-checks.js';

let base: string;

beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), 'classicd-rootcheck-'));
  for (const name of ['good', 'writable', 'linked', 'file-upload']) mkdirSync(join(base, name));
  mkdirSync(join(base, 'good', 'incoming'));
  mkdirSync(join(base, 'writable', 'incoming'));
  chmodSync(join(base, 'writable'), 0o777);
  mkdirSync(join(base, 'linked', 'real-incoming'));
  symlinkSync('real-incoming', join(base, 'linked', 'incoming'));
  writeFileSync(join(base, 'file-upload', 'incoming'), '');
  writeFileSync(join(base, 'plain-file'), '');
});

afterAll(() => rmSync(base, { recursive: true, force: true }));

function anonymous(root: string, uploads = true, enabled = true) {
  return {
    enabled,
    userNames: ['anonymous'],
    root: join(base, root),
    upload: { enabled: uploads, dir: 'incoming', umask: '077' },
    hide: [],
    deny: [],
    maxRateBytesPerSecond: 0,
  };
}

describe('anonymous root sanity', () => {
  it.each([
    ['good', true, true, []],
    ['good', false, true, []],
    ['missing', true, false, []], // anonymous off: nothing to check
    ['missing', true, true, [/root does not exist/]],
    ['plain-file', true, true, [/root is not a directory/]],
    ['writable', true, true, [/world-writable/]],
    ['linked', true, true, [/upload directory is a symlink/]],
    ['file-upload', true, true, [/upload path is not a directory/]],
    ['file-upload', false, true, []],
    ['linked/real-incoming', true, true, [/upload directory does not exist/]],
  ] as const)('%s (uploads %s, enabled %s)', async (root, uploads, enabled, expected) => {
    const problems = await checkAnonymousRoot(anonymous(root, uploads, enabled));
    expect(problems).toHaveLength(expected.length);
    expected.forEach((pattern, i) => expect(problems[i]?.problem).toMatch(pattern));
  });
});

describe('checkUserRoots', () => {
  it('names each user whose root is missing or not a directory', async () => {
    const user = (name: string, root: string) => ({
      name,
      password: '',
      root: join(base, root),
      permissions: [],
      tlsRequired: false,
      maxRateBytesPerSecond: 0,
      umask: '022',
    });
    const problems = await checkUserRoots([user('ok', 'good'), user('ghost', 'missing'), user('filed', 'plain-file')]);
    expect(problems.map((p) => p.path)).toEqual([join(base, 'missing'), join(base, 'plain-file')]);
    expect(problems[0]?.problem).toContain('user ghost');
  });
});
