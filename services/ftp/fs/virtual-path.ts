/**
 * Client-visible paths. Pure: no file system involved.
 *
 * A session sees its root as `/`, as if chroot()ed: `..` at the root stays at the root, absolute
 * paths start at the root, and the result is always a normalized absolute POSIX path. Keeping this
 * separate from the real path means no client text is ever joined onto a real path unnormalized.
 */
import { posix } from 'node:path';

/**
 * Matches what no pathname may hold: NUL (no Unix name can), and CR or LF (RFC 959 5.3.2: a
 * <pathname> is <char>s, "any of the 128 ASCII characters except <CR> and <LF>"; a name made with
 * one could be named in no reply or listing line).
 */
const FORBIDDEN_IN_PATH = /[\0\r\n]/;

/** Resolves `argument` against the virtual working directory `cwd`. Undefined for NUL, CR or LF. */
export function resolveVirtual(cwd: string, argument: string): string | undefined {
  if (FORBIDDEN_IN_PATH.test(argument)) return undefined;
  const joined = argument.startsWith('/') ? argument : `${cwd}/${argument}`;
  const segments: string[] = [];
  for (const segment of joined.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  return '/' + segments.join('/');
}

/** The parent of a virtual path; the root is its own parent. */
export function virtualParent(path: string): string {
  return posix.dirname(path);
}

export function virtualBaseName(path: string): string {
  return posix.basename(path);
}

/** True when `path` is `dir` or lies below it. */
export function isWithinVirtual(path: string, dir: string): boolean {
  if (dir === '/') return true;
  return path === dir || path.startsWith(dir + '/');
}
