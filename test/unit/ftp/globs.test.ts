import { describe, expect, it } from 'vitest';
import { compileGlob, compileNameGlob, hasGlobCharacters } from '../../../services/ftp/fs/globs.js';

describe('hide/deny globs', () => {
  // [pattern, subtree, virtual path, matches]
  it.each([
    // A bare name: the last component at any depth.
    ['*.iso', false, '/a.iso', true],
    ['*.iso', false, '/pub/deep/b.iso', true],
    ['*.iso', false, '/pub/b.iso.txt', false],
    ['*.iso', false, '/iso', false],
    ['.*', false, '/.hidden', true],
    ['.*', false, '/pub/.git', true],
    ['.*', false, '/pub/visible', false],
    ['*.key', false, '/.secret.key', true], // `*` matches a leading dot, unlike a shell
    ['secret', false, '/pub/secret', true],
    ['secret', false, '/pub/secret/plans.txt', false], // hide: the entry only
    ['secret', true, '/pub/secret/plans.txt', true], // deny: everything below too
    ['secret', true, '/pub/secrets', false],
    ['secret', true, '/pub/topsecret', false],
    ['?.txt', false, '/a.txt', true],
    ['?.txt', false, '/ab.txt', false],
    ['?.txt', false, '/é.txt', true], // one character, not one byte
    ['[abc].txt', false, '/b.txt', true],
    ['[abc].txt', false, '/d.txt', false],
    ['[a-c]x', false, '/bx', true],
    ['[!a-c]x', false, '/bx', false],
    ['[!a-c]x', false, '/dx', true],
    ['[^a-c]x', false, '/dx', true],
    ['[]]x', false, '/]x', true],
    ['[abc', false, '/[abc', true], // unterminated: literal
    ['[z-a]', false, '/[z-a]', true], // invalid range: literal
    ['a\\*b', false, '/a*b', true],
    ['a\\*b', false, '/axb', false],
    ['a.b', false, '/axb', false], // `.` is literal
    ['(x)+', false, '/(x)+', true], // RegExp syntax is literal
    ['Readme', false, '/readme', false], // case-sensitive
    // With a slash: from the root.
    ['pub/private', false, '/pub/private', true],
    ['/pub/private', false, '/pub/private', true],
    ['pub/private', false, '/x/pub/private', false],
    ['pub/private', true, '/pub/private/a/b', true],
    ['pub/*.txt', false, '/pub/a.txt', true],
    ['pub/*.txt', false, '/pub/sub/a.txt', false],
    ['pub/**', false, '/pub', true],
    ['pub/**', false, '/pub/a/b/c', true],
    ['pub/**', false, '/public', false],
    ['**/.git', false, '/.git', true],
    ['**/.git', false, '/a/b/.git', true],
    ['**/.git', false, '/a/b/.github', false],
    ['**/.*', false, '/pub/.htaccess', true],
    ['**/.*', false, '/pub/file', false],
    ['a/**/z', false, '/a/z', true],
    ['a/**/z', false, '/a/b/c/z', true],
    ['a/**/z', false, '/a/b/c/zz', false],
    ['pub/', false, '/pub', true],
    ['**', false, '/anything/at/all', true],
    ['*', true, '/', true],
    // Since the wildcard walk: the root has no components for a pattern with a slash (the RegExp
    // took `/` for one empty component), a deny of `/` covers the whole tree, and a `-` first in a
    // negated bracket is a member (the RegExp made `[!-b]` a range from `/`).
    ['/*', false, '/', false],
    ['**/*', false, '/', false],
    ['/*', false, '/pub', true],
    ['/', true, '/pub/a', true],
    ['[!-b]x', false, '/ax', true],
    ['[!-b]x', false, '/-x', false],
  ])('%s (subtree %s) on %s: %s', (pattern, subtree, path, expected) => {
    expect(compileGlob(pattern, { subtree }).test(path)).toBe(expected);
  });

  it('never lets * or ? cross a slash', () => {
    expect(compileGlob('pub/a*z', { subtree: false }).test('/pub/a/z')).toBe(false);
    expect(compileGlob('pub/a?z', { subtree: false }).test('/pub/a/z')).toBe(false);
    expect(compileGlob('pub/a[!x]z', { subtree: false }).test('/pub/a/z')).toBe(false);
  });

  // A backtracking RegExp took time exponential in the stars here: 21 s for the name glob with ten
  // `?*` (a client's LIST argument), hours at twelve. The wildcard walk is linear in each star.
  it('matches pathological patterns without backtracking', () => {
    const path = '/' + Array.from({ length: 500 }, () => 'a').join('/') + '/b';
    expect(compileGlob('**/a/**/c', { subtree: true }).test(path)).toBe(false);
    expect(compileGlob('*a*a*a*a*c', { subtree: true }).test(path)).toBe(false);
    expect(compileGlob('**/**/**/**/**/**/**/**/c', { subtree: false }).test(path)).toBe(false);
    const name = 'a'.repeat(250);
    expect(compileNameGlob(`${'?*'.repeat(40)}Z`).test(name)).toBe(false);
    expect(compileNameGlob(`${'*a'.repeat(40)}*b`).test(name)).toBe(false);
    expect(compileNameGlob(`${'*a'.repeat(40)}*`).test(name)).toBe(true);
  });

  it.each([
    ['*.txt', 'a.txt', true],
    ['*.txt', 'a.txt.gz', false],
    ['file?', 'file1', true],
    ['[0-9]*', '7zip', true],
    ['[0-9]*', 'zip', false],
    ['*', '', true],
    ['?', '', false],
    ['a*b*c', 'abc', true],
    ['a*b*c', 'aXbYbZc', true],
    ['a*b*c', 'aXbYbZ', false],
    ['*ab', 'aab', true], // the star must give back what the literal needs
    ['[a\\-z]', '-', true], // an escaped `-` is a member, not a range
    ['[a\\-z]', 'm', false],
    ['[a-]', '-', true],
    ['[-a]', '-', true],
    ['[!]]', 'x', true],
    ['[!]]', ']', false],
    ['[α-ω]*', 'λx', true], // ranges by code point
    ['?', '😀', true], // one character, even outside the BMP
  ])('name glob %s on %s: %s', (pattern, name, expected) => {
    expect(compileNameGlob(pattern).test(name)).toBe(expected);
  });

  it.each([
    ['*.txt', true],
    ['file?', true],
    ['[ab]', true],
    ['plain.txt', false],
  ])('%s has glob characters: %s', (name, expected) => {
    expect(hasGlobCharacters(name)).toBe(expected);
  });
});
