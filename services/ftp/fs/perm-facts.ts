/**
 * The MLSx `perm` fact (RFC 3659 section 7.5.5): which commands the client may expect to work on an
 * entry, from the account's permissions and the access policy. Pure.
 *
 * Files:        a APPE, d DELE, f RNFR, r RETR, w STOR over it.
 * Directories:  c STOR/STOU of a new file in it, d RMD, e CWD, f RNFR, l LIST/NLST/MLSD,
 *               m MKD in it, p DELE/RMD of its entries (purge).
 * Other entries (symlinks, devices): d and f, which act on the entry itself.
 *
 * So anonymous, read-only, sees `r` on files and `el` on directories; the anonymous drop box is
 * `ce` (enter and store, nothing else). Where the listing has the entry's and its directory's
 * stats (`os`), a letter is offered only if the permission bits let the worker do it too
 * (os-access.ts): a local user with every permission sees `r` on a file of root's, mode 0644,
 * that a worker running as nobody could not change. Still a hint, not a promise (7.5.5): ACLs, an
 * immutable flag or a read-only mount can refuse what the bits allow.
 */
import type { Account } from '../auth/accounts.js';
import { isPathAllowed, type AccessRules, type FileAction, type PolicyPath } from './access-policy.js';
import type { EntryType } from './entry-info.js';
import { mayChangeEntry, osPermits, type Credentials, type ModeOwner } from './os-access.js';

/**
 * A stand-in for "a new entry in this directory" when asking the policy about c, m and p. A NUL
 * byte cannot be in a real name, so no glob written for real names singles it out, while `*` and
 * directory-wide rules (deny `private`, the drop box) still apply to it.
 */
const ANY_CHILD = '\0';

/** The permission bits behind an entry, where the listing has read them. */
export interface OsFacts {
  readonly who: Credentials;
  /** The entry whose facts are shown (for a followed link, the file it leads to). */
  readonly entry: ModeOwner;
  /** The directory holding the name: DELE, RMD and RNFR change it. Unknown: not checked. */
  readonly parent?: ModeOwner | undefined;
  /** Who owns the name itself (the link, for a followed one): a sticky directory asks. */
  readonly nameOwner?: number | undefined;
}

export function permFact(
  account: Account,
  rules: AccessRules,
  path: PolicyPath,
  type: EntryType,
  os?: OsFacts,
): string {
  // The root can be neither removed nor renamed, whatever the account may do elsewhere.
  const isRoot = path.virtual === '/';
  const can = (action: FileAction): boolean =>
    !(isRoot && (action === 'rmdir' || action === 'rename')) && isPathAllowed(account, rules, path, action);
  const child: PolicyPath = { virtual: childOf(path.virtual), canonical: childOf(path.canonical) };
  const canInside = (action: FileAction): boolean => isPathAllowed(account, rules, child, action);
  // What the bits allow; true where they were not read.
  const bits = (...wanted: readonly ('r' | 'w' | 'x')[]): boolean =>
    !os || wanted.every((want) => osPermits(os.entry, os.who, want));
  const nameChangeable = !os?.parent || mayChangeEntry(os.parent, os.nameOwner ?? os.entry.uid, os.who);
  let letters = '';
  if (type === 'file') {
    if (can('overwrite') && bits('w')) letters += 'a';
    if (can('delete') && nameChangeable) letters += 'd';
    if (can('rename') && nameChangeable) letters += 'f';
    if (can('read') && bits('r')) letters += 'r';
    if (can('overwrite') && bits('w')) letters += 'w';
  } else if (type === 'dir') {
    if (canInside('create') && bits('w', 'x')) letters += 'c';
    if (can('rmdir') && nameChangeable) letters += 'd';
    if (can('enter') && bits('x')) letters += 'e';
    if (can('rename') && nameChangeable) letters += 'f';
    if (can('list') && bits('r', 'x')) letters += 'l';
    if (canInside('mkdir') && bits('w', 'x')) letters += 'm';
    if (canInside('delete') && bits('w', 'x')) letters += 'p';
  } else {
    if (can('delete') && nameChangeable) letters += 'd';
    if (can('rename') && nameChangeable) letters += 'f';
  }
  return letters;
}

function childOf(dir: string): string {
  return dir === '/' ? `/${ANY_CHILD}` : `${dir}/${ANY_CHILD}`;
}
