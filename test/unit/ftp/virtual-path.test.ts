import { describe, expect, it } from 'vitest';
import {
  isWithinVirtual,
  resolveVirtual,
  virtualBaseName,
  virtualParent,
} from '../../../services/ftp/fs/virtual-path.js';

describe('virtual paths', () => {
  it.each([
    ['/', '', '/'],
    ['/', '.', '/'],
    ['/', 'pub', '/pub'],
    ['/pub', 'file.txt', '/pub/file.txt'],
    ['/pub', '/etc/passwd', '/etc/passwd'], // absolute: from the session root, not the host's
    ['/pub', '..', '/'],
    ['/pub', '../..', '/'], // `..` at the root stays at the root
    ['/', '../../../etc/passwd', '/etc/passwd'],
    ['/pub/a', '../../../../b', '/b'],
    ['/pub', './x/./y/../z', '/pub/x/z'],
    ['/pub', 'a//b///c/', '/pub/a/b/c'],
    ['/pub', '...', '/pub/...'], // three dots is a name
    ['/pub', '..hidden', '/pub/..hidden'],
    ['/pub', 'with space/ and more ', '/pub/with space/ and more '],
    ['/', 'ünïcödé/ファイル', '/ünïcödé/ファイル'],
    ['/', '\\..\\..\\etc', '/\\..\\..\\etc'], // backslashes are name characters on Unix
  ])('cwd %j + %j = %j', (cwd, argument, expected) => {
    expect(resolveVirtual(cwd, argument)).toBe(expected);
  });

  it.each([['a\0b'], ['\0'], ['/pub/x\0/../y'], ['cr\rx'], ['lf\nx'], ['\r']])(
    'refuses NUL, CR or LF in %j',
    (argument) => {
      expect(resolveVirtual('/', argument)).toBeUndefined();
    },
  );

  it('names parents and base names', () => {
    expect(virtualParent('/pub/a')).toBe('/pub');
    expect(virtualParent('/pub')).toBe('/');
    expect(virtualParent('/')).toBe('/');
    expect(virtualBaseName('/pub/a b')).toBe('a b');
  });

  it.each([
    ['/incoming', '/incoming', true],
    ['/incoming/x', '/incoming', true],
    ['/incomingx', '/incoming', false],
    ['/x', '/', true],
  ])('%s within %s: %s', (path, dir, expected) => {
    expect(isWithinVirtual(path, dir)).toBe(expected);
  });
});
