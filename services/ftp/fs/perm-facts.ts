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
 * `ce` (enter and store, nothing else). It is the server's answer from policy, not a promise: the
 * operating system's own permission bits can still refuse (7.5.5 allows that).
 */
import type { Account } from '../auth/accounts.js';
import { isPathAllowed, type AccessRules, type FileAction, type PolicyPath } from './access-policy.js';
import type { EntryType } from './entry-info.js';

/**
 * A stand-in for "a new entry in this directory" when asking the policy about c, m and p. A NUL
 * byte cannot be in a real name, so no glob written for real names singles it out, while `*` and
 * directory-wide rules (deny `private`, the drop box) still apply to it.
 */
const ANY_CHILD = '\0';

export function permFact(account: Account, rules: AccessRules, path: PolicyPath, type: EntryType): string {
  // The root can be neither removed nor renamed, whatever the account may do elsewhere.
  const isRoot = path.virtual === '/';
  const can = (action: FileAction): boolean =>
    !(isRoot && (action === 'rmdir' || action === 'rename')) && isPathAllowed(account, rules, path, action);
  const child: PolicyPath = { virtual: childOf(path.virtual), canonical: childOf(path.canonical) };
  const canInside = (action: FileAction): boolean => isPathAllowed(account, rules, child, action);
  let letters = '';
  if (type === 'file') {
    if (can('overwrite')) letters += 'a';
    if (can('delete')) letters += 'd';
    if (can('rename')) letters += 'f';
    if (can('read')) letters += 'r';
    if (can('overwrite')) letters += 'w';
  } else if (type === 'dir') {
    if (canInside('create')) letters += 'c';
    if (can('rmdir')) letters += 'd';
    if (can('enter')) letters += 'e';
    if (can('rename')) letters += 'f';
    if (can('list')) letters += 'l';
    if (canInside('mkdir')) letters += 'm';
    if (canInside('delete')) letters += 'p';
  } else {
    if (can('delete')) letters += 'd';
    if (can('rename')) letters += 'f';
  }
  return letters;
}

function childOf(dir: string): string {
  return dir === '/' ? `/${ANY_CHILD}` : `${dir}/${ANY_CHILD}`;
}
