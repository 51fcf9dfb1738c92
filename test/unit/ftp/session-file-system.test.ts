import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FtpError } from '../../../services/ftp/errors.js';
import { SessionFileSystem } from '../../../services/ftp/fs/session-file-system.js';

/**
 * root/
 *   pub/file.txt
 *   pub/inner -> ../docs        (a symlink inside the root)
 *   docs/guide.txt
 *   etc -> /etc                 (a symlink out of the root)
 *   up -> ..                    (one level above the root)
 *   dangling -> nowhere
 *   loop -> loop
 * outside/secret.txt            (beside the root)
 */
let base: string;
let root: string;

beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), 'classicd-sfs-'));
  root = join(base, 'root');
  mkdirSync(join(root, 'pub'), { recursive: true });
  mkdirSync(join(root, 'docs'));
  mkdirSync(join(base, 'outside'));
  writeFileSync(join(root, 'pub', 'file.txt'), 'hello\n');
  writeFileSync(join(root, 'docs', 'guide.txt'), 'guide\n');
  writeFileSync(join(base, 'outside', 'secret.txt'), 'secret\n');
  symlinkSync('../docs', join(root, 'pub', 'inner'));
  symlinkSync('/etc', join(root, 'etc'));
  symlinkSync('..', join(root, 'up'));
  symlinkSync('nowhere', join(root, 'dangling'));
  symlinkSync('loop', join(root, 'loop'));
});

afterAll(() => rmSync(base, { recursive: true, force: true }));

async function replyCode(promise: Promise<unknown>): Promise<number> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof FtpError) return error.replyCode;
    throw error;
  }
  return 0;
}

describe('SessionFileSystem.resolve', () => {
  it('maps virtual paths under the root', async () => {
    const fs = await SessionFileSystem.open(root);
    const file = await fs.resolve('/pub/file.txt');
    expect(file).toEqual({
      virtual: '/pub/file.txt',
      canonical: '/pub/file.txt',
      real: join(fs.rootReal, 'pub', 'file.txt'),
      exists: true,
    });
    expect((await fs.resolve('')).virtual).toBe('/');
  });

  it('keeps `..` and absolute paths inside the root', async () => {
    const fs = await SessionFileSystem.open(root);
    const climbed = await fs.resolve('../../../pub/file.txt');
    expect(climbed.real).toBe(join(fs.rootReal, 'pub', 'file.txt'));
    expect(await replyCode(fs.resolve('/../../outside/secret.txt'))).toBe(550); // no /outside in the root
    expect(await replyCode(fs.resolve('/etc/passwd'))).toBe(550); // the root's `etc` link leads out
  });

  it('follows a symlink that stays inside the root, and says where it leads', async () => {
    const fs = await SessionFileSystem.open(root);
    const through = await fs.resolve('/pub/inner/guide.txt');
    expect(through).toMatchObject({ virtual: '/pub/inner/guide.txt', canonical: '/docs/guide.txt', exists: true });
  });

  it.each([['/etc'], ['/etc/passwd'], ['/etc/new-file'], ['/up'], ['/up/outside/secret.txt'], ['/dangling']])(
    'refuses %s with 550 (a symlink out of the root, or one that could be created through)',
    async (path) => {
      const fs = await SessionFileSystem.open(root);
      expect(await replyCode(fs.resolve(path))).toBe(550);
    },
  );

  it('answers 550 for a symlink loop', async () => {
    const fs = await SessionFileSystem.open(root);
    expect(await replyCode(fs.resolve('/loop/x'))).toBe(550);
  });

  it('answers 501 for a NUL byte', async () => {
    const fs = await SessionFileSystem.open(root);
    expect(await replyCode(fs.resolve('pub\0/file.txt'))).toBe(501);
    expect(await replyCode(fs.resolveEntry('x\0'))).toBe(501);
  });

  it('resolves a new name under an existing directory, and refuses one under a missing one', async () => {
    const fs = await SessionFileSystem.open(root);
    expect(await fs.resolve('/pub/new.txt')).toMatchObject({
      virtual: '/pub/new.txt',
      canonical: '/pub/new.txt',
      exists: false,
    });
    expect(await fs.resolve('/pub/inner/new.txt')).toMatchObject({ canonical: '/docs/new.txt', exists: false });
    expect(await replyCode(fs.resolve('/missing/new.txt'))).toBe(550);
    expect(await replyCode(fs.resolve('/pub/file.txt/x'))).toBe(550);
  });
});

describe('SessionFileSystem.resolveEntry', () => {
  it('does not follow the last component', async () => {
    const fs = await SessionFileSystem.open(root);
    expect(await fs.resolveEntry('/etc')).toMatchObject({
      virtual: '/etc',
      canonical: '/etc',
      real: join(fs.rootReal, 'etc'),
      exists: true,
    });
    expect(await fs.resolveEntry('/dangling')).toMatchObject({ exists: true });
    expect(await fs.resolveEntry('/pub/inner')).toMatchObject({ canonical: '/pub/inner', exists: true });
  });

  it('follows the parents, inside the root only', async () => {
    const fs = await SessionFileSystem.open(root);
    expect(await fs.resolveEntry('/pub/inner/guide.txt')).toMatchObject({ canonical: '/docs/guide.txt' });
    expect(await replyCode(fs.resolveEntry('/etc/passwd'))).toBe(550);
    expect(await replyCode(fs.resolveEntry('/up/outside'))).toBe(550);
  });

  it('refuses the root itself', async () => {
    const fs = await SessionFileSystem.open(root);
    expect(await replyCode(fs.resolveEntry('/'))).toBe(550);
    expect(await replyCode(fs.resolveEntry('../..'))).toBe(550);
  });
});

describe('SessionFileSystem.isInside', () => {
  it('takes the root and what is below it, never a path with a `..` component, whatever its prefix', async () => {
    const fs = await SessionFileSystem.open(root);
    const real = fs.rootReal;
    expect(fs.isInside(real)).toBe(true);
    expect(fs.isInside(`${real}/a/..foo/b..`)).toBe(true); // dots in a name are no component
    expect(fs.isInside(`${real}-sibling`)).toBe(false);
    for (const outside of [`${real}/..`, `${real}/../x`, `${real}/a/../../x`]) expect(fs.isInside(outside)).toBe(false);
  });
});

describe('SessionFileSystem.changeDirectory', () => {
  it('changes only into directories inside the root', async () => {
    const fs = await SessionFileSystem.open(root);
    expect((await fs.changeDirectory('pub')).virtual).toBe('/pub');
    expect(fs.cwd).toBe('/pub');
    expect((await fs.changeDirectory('inner')).virtual).toBe('/pub/inner'); // the client's path, not the target's
    expect((await fs.resolve('guide.txt')).exists).toBe(true);
    expect((await fs.changeDirectory('../../..')).virtual).toBe('/');
    expect(await replyCode(fs.changeDirectory('/etc'))).toBe(550);
    expect(await replyCode(fs.changeDirectory('/pub/file.txt'))).toBe(550);
    expect(await replyCode(fs.changeDirectory('/nope'))).toBe(550);
    expect(fs.cwd).toBe('/');
  });

  it('asks the policy before it looks', async () => {
    const fs = await SessionFileSystem.open(root);
    const seen: string[] = [];
    const refuse = (target: { virtual: string; canonical: string }): void => {
      seen.push(`${target.virtual}=>${target.canonical}`);
      throw new FtpError(550, 'Permission denied.');
    };
    expect(await replyCode(fs.changeDirectory('/pub/inner', refuse))).toBe(550);
    expect(await replyCode(fs.changeDirectory('/nope', refuse))).toBe(550);
    expect(seen).toEqual(['/pub/inner=>/docs', '/nope=>/nope']);
    expect(fs.cwd).toBe('/');
  });
});
