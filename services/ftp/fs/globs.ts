/**
 * The config's `hide` and `deny` globs, compiled once to regular expressions over virtual paths
 * (`/pub/readme.txt`, always absolute and normalized, see virtual-path.ts). Pure.
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

/** Compiles one glob to a RegExp tested against a whole virtual path. */
export function compileGlob(pattern: string, options: GlobOptions): RegExp {
  const tail = options.subtree ? '(?:/.*)?$' : '$';
  if (!pattern.includes('/')) {
    // A bare name: the last component, at any depth (anything up to a `/`, then the name).
    return new RegExp(`^.*/${componentSource(pattern)}${tail}`, 'su');
  }
  let source = '';
  for (const component of pattern.split('/')) {
    if (component === '') continue; // a leading, trailing or doubled slash
    // `**` alone: zero or more whole components. Each repetition starts with `/` and cannot
    // contain one, so there is a single way to match and no catastrophic backtracking.
    source += component === '**' ? '(?:/[^/]*)*' : `/${componentSource(component)}`;
  }
  if (source === '') source = '/'; // the pattern `/` names the root
  return new RegExp(`^${source}${tail}`, 'su');
}

export function compileGlobs(patterns: readonly string[], options: GlobOptions): RegExp[] {
  return patterns.map((pattern) => compileGlob(pattern, options));
}

/**
 * A glob for one file name (LIST/NLST `*.txt`): `*`, `?` and classes, anchored at both ends.
 */
export function compileNameGlob(pattern: string): RegExp {
  return new RegExp(`^${componentSource(pattern)}$`, 'su');
}

/** Whether a name holds glob characters, so LIST/NLST should expand it. */
export function hasGlobCharacters(name: string): boolean {
  return /[*?[]/.test(name);
}

/** One path component's pattern as RegExp source: never matches `/`. */
function componentSource(pattern: string): string {
  const chars = [...pattern];
  let out = '';
  for (let i = 0; i < chars.length; i++) {
    const char = chars[i] as string;
    if (char === '*') {
      while (chars[i + 1] === '*') i++; // `**` inside a component is `*`
      out += '[^/]*';
    } else if (char === '?') {
      out += '[^/]';
    } else if (char === '\\' && i + 1 < chars.length) {
      i++;
      out += escapeLiteral(chars[i] as string);
    } else if (char === '[') {
      const parsed = bracketSource(chars, i);
      if (parsed) {
        out += parsed.source;
        i = parsed.end;
      } else {
        out += escapeLiteral('[');
      }
    } else {
      out += escapeLiteral(char);
    }
  }
  return out;
}

/** `[...]` starting at `start`: its RegExp source and the index of its `]`, or undefined. */
function bracketSource(chars: readonly string[], start: number): { source: string; end: number } | undefined {
  let i = start + 1;
  let negated = false;
  if (chars[i] === '!' || chars[i] === '^') {
    negated = true;
    i++;
  }
  let body = '';
  // A `]` first in the set is a member, as in POSIX brackets.
  if (chars[i] === ']') {
    body += '\\]';
    i++;
  }
  for (; i < chars.length; i++) {
    const char = chars[i] as string;
    if (char === ']') {
      const source = negated ? `[^/${body}]` : `(?!/)[${body}]`;
      try {
        new RegExp(source, 'u'); // `[z-a]` and the like: take the bracket literally instead
      } catch {
        return undefined;
      }
      return { source, end: i };
    }
    if (char === '\\' && i + 1 < chars.length) {
      i++;
      body += escapeClassMember(chars[i] as string);
    } else if (char === '-') {
      body += '-';
    } else {
      body += escapeClassMember(char);
    }
  }
  return undefined; // unterminated
}

function escapeLiteral(char: string): string {
  return /[\\^$.*+?()[\]{}|/]/.test(char) ? `\\${char}` : char;
}

function escapeClassMember(char: string): string {
  return /[\\\]^[-]/.test(char) ? `\\${char}` : char;
}
