import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkAnonymousRoot } from '../../../services/ftp/fs/anonymous-root-check.js';

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
