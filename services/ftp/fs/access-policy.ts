/**
 * What an account may do where. Pure: decides on virtual paths and the account, no file system.
 *
 * Local users get the permissions their config lists. Anonymous is read-only, with vsftpd's
 * drop-box rules when uploads are on: inside the upload directory anonymous may store new files and
 * nothing else: it cannot list it, read back, overwrite, append to, rename or delete what is there.
 * `deny` globs make paths (and everything below a denied directory) unreadable, unlistable and
 * unenterable for anonymous; `hide` globs only leave entries out of listings (globs.ts has the
 * pattern rules).
 *
 * Names of uploads in progress (`.classicd-upload-*`, upload-temp-name.ts) are refused to everyone.
 *
 * A path is judged twice when a symlink is involved: by the name the client used and by where it
 * really leads inside the root (`ResolvedPath.canonical`). Both must pass, so a link cannot carry
 * anonymous around a deny glob or into (or out of) the drop box.
 */
import type { Account } from '../auth/accounts.js';
import type { FtpConfig } from '../config.js';
import { FtpError } from '../errors.js';
import { compileGlobs, type Glob } from './globs.js';
import { namesUploadTemp } from './upload-temp-name.js';
import { isWithinVirtual } from './virtual-path.js';

export type FileAction =
  /** RETR, SIZE, MDTM */
  | 'read'
  /** LIST, NLST, MLSD, MLST, STAT path */
  | 'list'
  /** CWD, CDUP */
  | 'enter'
  /** STOR/STOU of a file that does not exist yet */
  | 'create'
  /** STOR over an existing file, APPE, REST+STOR, MFMT */
  | 'overwrite'
  | 'delete'
  | 'mkdir'
  | 'rmdir'
  | 'rename';

export interface AccessRules {
  /** Compiled `deny` globs (anonymous only); each also matches everything below a match. */
  readonly deny: readonly Glob[];
  /** Compiled `hide` globs (anonymous only); each matches the entry itself. */
  readonly hide: readonly Glob[];
}

/** The rules for a worker, compiled once from the anonymous config. */
export function buildAccessRules(anonymous: Pick<FtpConfig['anonymous'], 'hide' | 'deny'>): AccessRules {
  return Object.freeze({
    deny: Object.freeze(compileGlobs(anonymous.deny, { subtree: true })),
    hide: Object.freeze(compileGlobs(anonymous.hide, { subtree: false })),
  });
}

/** A resolved path as the policy sees it: what the client named, and where that leads. */
export interface PolicyPath {
  readonly virtual: string;
  /** The path after symlinks, as a virtual path inside the same root. */
  readonly canonical: string;
}

/** Throws 550 unless `action` is allowed on both the path the client named and where it leads. */
export function authorizePath(account: Account, rules: AccessRules, path: PolicyPath, action: FileAction): void {
  authorize(account, rules, path.virtual, action);
  if (path.canonical !== path.virtual) authorize(account, rules, path.canonical, action);
}

export function isPathAllowed(account: Account, rules: AccessRules, path: PolicyPath, action: FileAction): boolean {
  return (
    isAllowed(account, rules, path.virtual, action) &&
    (path.canonical === path.virtual || isAllowed(account, rules, path.canonical, action))
  );
}

/** Throws 550 unless `account` may do `action` on `virtualPath`. */
export function authorize(account: Account, rules: AccessRules, virtualPath: string, action: FileAction): void {
  if (!isAllowed(account, rules, virtualPath, action)) {
    throw new FtpError(550, 'Permission denied.');
  }
}

export function isAllowed(account: Account, rules: AccessRules, virtualPath: string, action: FileAction): boolean {
  if (namesUploadTemp(virtualPath)) return false; // the server's own, for no one to name
  if (!account.anonymous) {
    const needed = LOCAL_PERMISSION[action];
    return account.permissions.has(needed);
  }
  if (rules.deny.some((glob) => glob.test(virtualPath))) return false;
  const inUploadDir = account.uploadDir !== undefined && isWithinVirtual(virtualPath, account.uploadDir);
  if (inUploadDir) {
    // A drop box: go in and put things in; never look, take out, replace or remove.
    return virtualPath === account.uploadDir ? action === 'enter' : action === 'create';
  }
  return action === 'read' || action === 'list' || action === 'enter';
}

/** Whether a listing should leave this path out: hidden, or denied (no point showing it). */
export function isHidden(account: Account, rules: AccessRules, virtualPath: string): boolean {
  return (
    account.anonymous &&
    (rules.hide.some((glob) => glob.test(virtualPath)) || rules.deny.some((glob) => glob.test(virtualPath)))
  );
}

export function isPathHidden(account: Account, rules: AccessRules, path: PolicyPath): boolean {
  return (
    isHidden(account, rules, path.virtual) ||
    (path.canonical !== path.virtual && isHidden(account, rules, path.canonical))
  );
}

const LOCAL_PERMISSION = {
  read: 'read',
  list: 'read',
  enter: 'read',
  create: 'write',
  overwrite: 'write',
  delete: 'delete',
  mkdir: 'mkdir',
  rmdir: 'delete',
  rename: 'rename',
} as const;
