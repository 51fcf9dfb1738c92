/**
 * What an account may do where. Pure: decides on virtual paths and the account, no file system.
 *
 * Local users get the permissions their config lists. Anonymous is read-only, with vsftpd's
 * drop-box rules when uploads are on: inside the upload directory anonymous may store new files and
 * nothing else: it cannot list it, read back, overwrite, append to, rename or delete what is there.
 * `deny` globs make paths unreadable and unlistable for anonymous; `hide` globs only leave them out
 * of listings.
 */
import type { Account } from '../auth/accounts.js';
import { FtpError } from '../errors.js';
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
  /** Compiled `deny` globs (anonymous only). */
  readonly deny: readonly RegExp[];
  /** Compiled `hide` globs (anonymous only). */
  readonly hide: readonly RegExp[];
}

/** Throws 550 unless `account` may do `action` on `virtualPath`. */
export function authorize(account: Account, rules: AccessRules, virtualPath: string, action: FileAction): void {
  if (!isAllowed(account, rules, virtualPath, action)) {
    throw new FtpError(550, 'Permission denied.');
  }
}

export function isAllowed(account: Account, rules: AccessRules, virtualPath: string, action: FileAction): boolean {
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

/** Whether a listing should leave this path out. */
export function isHidden(account: Account, rules: AccessRules, virtualPath: string): boolean {
  return (
    account.anonymous &&
    (rules.hide.some((glob) => glob.test(virtualPath)) || rules.deny.some((glob) => glob.test(virtualPath)))
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
