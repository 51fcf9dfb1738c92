/**
 * Globs: the config's `hide` and `deny` patterns, matched against virtual paths (`/pub/readme.txt`,
 * always absolute and normalized, see virtual-path.ts), and a client's LIST/NLST name pattern
 * (`*.txt`). Pure.
 *
 * Matched by the classic wildcard walk, not by regular expressions: a client chooses the LIST
 * pattern, and `?*?*?*?*?*?*?*?*?*?*Z` compiled to a backtracking RegExp took 21 s against ten
 * names, with the worker's every other session waiting (each `?*` tripled it). The walk remembers
 * only the last `*` and retries from there, which is enough because a `*` can absorb whatever an
 * earlier one would have: at most (pattern length x text length) steps. Names are walked by code
 * point and paths by component, with `**` as the star of components.
 *
 * The rule, as a sysadmin coming from vsftpd's deny_file/hide_file expects it:
 * - A pattern WITHOUT `/` names a file name: it matches the last component at any depth.
 *   `*.iso` matches `/a.iso` and `/pub/b/c.iso`; `.*` matches every dot file.
 * - A pattern WITH `/` names a path from the root (a leading `/` is optional): `pub/private` is
 *   `/pub/private` and nothing else. `**` as a whole component stands for any number of
 *   components, none included: `pub/**` is `/pub` and all below it, and `**` followed by `/.git`
 *   is `/.git` and `/x/y/.git` (the config example `**` + `/.*` hides every dot file and dot
 *   directory, at any depth).
 * - `*` is any run of characters within one component, `?` one character, `[abc]`, `[a-z]`,
 *   `[!a-z]` (or `[^a-z]`) one character of (not of) a set; `\` makes the next character literal.
 *   None of them ever matches `/`. Unlike a shell, `*` and `?` match a leading dot too: a deny
 *   pattern such as `*.key` must not let `.secret.key` through.
 * - Matching is case-sensitive, like the file system below it.
 * - `subtree`: the pattern also matches everything below a matching directory. Deny rules are
 *   compiled so (denying `private` must deny `private/plans.txt`); hide rules are not (a hidden
 *   directory is left out of its parent's listing, and is still reachable by name, as in vsftpd).
 * A malformed bracket (`[abc`, `[z-a]`) is taken literally rather than failing the start.
 */

export interface GlobOptions {
  /** Also match every path below a matching one. */
  readonly subtree: boolean;
}

/** A compiled glob: `test` is the only question asked of it. */
export interface Glob {
  test(text: string): boolean;
}

/** Compiles one config glob, tested against a whole virtual path. */
export function compileGlob(pattern: string, options: GlobOptions): Glob {
  const bareName = !pattern.includes('/');
  const components: PathToken[] = bareName
    ? [ANY_COMPONENTS, compileName(pattern)] // the last component, at any depth
    : pattern
        .split('/')
        .filter((component) => component !== '') // a leading, trailing or doubled slash
        .map((component) => (component === '**' ? ANY_COMPONENTS : compileName(component)));
  // Everything below a match: the pattern followed by `/**`.
  if (options.subtree) components.push(ANY_COMPONENTS);
  return {
    test: (path) =>
      wildcardMatch(components, pathComponents(path, bareName), ANY_COMPONENTS, (token, component) =>
        (token as NameGlob).test(component),
      ),
  };
}

export function compileGlobs(patterns: readonly string[], options: GlobOptions): Glob[] {
  return patterns.map((pattern) => compileGlob(pattern, options));
}

/** A glob for one file name (LIST/NLST `*.txt`): `*`, `?` and classes, anchored at both ends. */
export function compileNameGlob(pattern: string): Glob {
  return compileName(pattern);
}

/** Whether a name holds glob characters, so LIST/NLST should expand it. */
export function hasGlobCharacters(name: string): boolean {
  return /[*?[]/.test(name);
}

/** `**` as a whole path component: any number of components, none included. */
const ANY_COMPONENTS = Symbol('**');
type PathToken = typeof ANY_COMPONENTS | NameGlob;

/** `*` within a name: any run of characters. */
const ANY_CHARACTERS = Symbol('*');
/** One character: `?` (any), a literal, or a bracket class; none ever matches `/`. */
type CharacterTest = (codePoint: number) => boolean;
type NameToken = typeof ANY_CHARACTERS | CharacterTest;

class NameGlob implements Glob {
  constructor(private readonly tokens: readonly NameToken[]) {}

  test(name: string): boolean {
    const codePoints = Array.from(name, (char) => char.codePointAt(0) as number);
    return wildcardMatch(this.tokens, codePoints, ANY_CHARACTERS, (token, codePoint) =>
      (token as CharacterTest)(codePoint),
    );
  }
}

/**
 * The components of a normalized virtual path: `/pub/a` has `pub` and `a`. The root has none, but
 * a bare-name pattern sees it as one empty name, the text after its last `/` (so `*` matches it).
 */
function pathComponents(path: string, bareName: boolean): string[] {
  if (path === '/') return bareName ? [''] : [];
  return path.split('/').slice(1);
}

/**
 * Whether `tokens` match all of `items`, where `star` matches any run of items and every other
 * token exactly one (`matchesOne`). On a mismatch the walk goes back to just after the last star
 * and lets that star take one more item; earlier stars never need to be revisited.
 */
function wildcardMatch<T, I>(
  tokens: readonly (T | symbol)[],
  items: readonly I[],
  star: symbol,
  matchesOne: (token: T, item: I) => boolean,
): boolean {
  let t = 0;
  let i = 0;
  let starAt = -1; // the last star's token index
  let starItem = 0; // the first item that star has not taken
  while (i < items.length) {
    const token = tokens[t];
    if (t < tokens.length && token === star) {
      starAt = t++;
      starItem = i;
    } else if (t < tokens.length && matchesOne(token as T, items[i] as I)) {
      t++;
      i++;
    } else if (starAt >= 0) {
      t = starAt + 1;
      i = ++starItem;
    } else {
      return false;
    }
  }
  while (t < tokens.length && tokens[t] === star) t++;
  return t === tokens.length;
}

const SLASH = 0x2f;

/** One path component's pattern: `*`, `?`, `[...]`, `\x`, literals; `**` inside it is `*`. */
function compileName(pattern: string): NameGlob {
  const chars = Array.from(pattern);
  const tokens: NameToken[] = [];
  for (let i = 0; i < chars.length; i++) {
    const char = chars[i] as string;
    if (char === '*') {
      while (chars[i + 1] === '*') i++;
      tokens.push(ANY_CHARACTERS);
    } else if (char === '?') {
      tokens.push((codePoint) => codePoint !== SLASH);
    } else if (char === '\\' && i + 1 < chars.length) {
      i++;
      tokens.push(literal(chars[i] as string));
    } else if (char === '[') {
      const parsed = bracketClass(chars, i);
      if (parsed) {
        tokens.push(parsed.test);
        i = parsed.end;
      } else {
        tokens.push(literal('['));
      }
    } else {
      tokens.push(literal(char));
    }
  }
  return new NameGlob(tokens);
}

function literal(char: string): CharacterTest {
  const expected = char.codePointAt(0) as number;
  return (codePoint) => codePoint === expected;
}

interface Range {
  readonly from: number;
  readonly to: number;
}

/**
 * `[...]` starting at `start`: its test and the index of its `]`; undefined if it is unterminated
 * or holds a reversed range (`[z-a]`), and is then taken literally.
 */
function bracketClass(chars: readonly string[], start: number): { test: CharacterTest; end: number } | undefined {
  let i = start + 1;
  let negated = false;
  if (chars[i] === '!' || chars[i] === '^') {
    negated = true;
    i++;
  }
  const members: string[] = [];
  const literalAt = new Set<number>(); // members that came escaped: never a range's `-`
  // A `]` first in the set is a member, as in POSIX brackets.
  if (chars[i] === ']') {
    members.push(']');
    i++;
  }
  for (; i < chars.length; i++) {
    const char = chars[i] as string;
    if (char === ']') {
      const ranges = rangesOf(members, literalAt);
      if (!ranges) return undefined;
      const inSet = (codePoint: number): boolean => ranges.some(({ from, to }) => codePoint >= from && codePoint <= to);
      return { test: (codePoint) => codePoint !== SLASH && inSet(codePoint) !== negated, end: i };
    }
    if (char === '\\' && i + 1 < chars.length) {
      i++;
      literalAt.add(members.length);
      members.push(chars[i] as string);
    } else {
      members.push(char);
    }
  }
  return undefined;
}

/** `a-z` becomes a range, a `-` first or last is itself; undefined for a reversed range. */
function rangesOf(members: readonly string[], literalAt: ReadonlySet<number>): Range[] | undefined {
  const ranges: Range[] = [];
  for (let m = 0; m < members.length; m++) {
    const from = (members[m] as string).codePointAt(0) as number;
    const isRange = members[m + 1] === '-' && !literalAt.has(m + 1) && m + 2 < members.length;
    if (!isRange) {
      ranges.push({ from, to: from });
      continue;
    }
    const to = (members[m + 2] as string).codePointAt(0) as number;
    if (to < from) return undefined;
    ranges.push({ from, to });
    m += 2;
  }
  return ranges;
}
