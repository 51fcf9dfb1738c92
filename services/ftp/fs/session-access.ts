/**
 * The access policy as command handlers use it: the session's account and the worker's compiled
 * rules, applied to a path that went through SessionFileSystem.resolve/resolveEntry.
 *
 *   const target = await session.fs.resolve(argument);
 *   authorizeFor(session, target, 'read');
 */
import type { Account } from '../auth/accounts.js';
import { notLoggedIn } from '../errors.js';
import type { FtpSession } from '../session.js';
import {
  authorizePath,
  isPathAllowed,
  isPathHidden,
  type AccessRules,
  type FileAction,
  type PolicyPath,
} from './access-policy.js';

export interface SessionAccess {
  readonly account: Account;
  readonly rules: AccessRules;
}

/** The logged-in account and the rules; 530 if nobody is logged in (handlers behind `login` are). */
export function accessOf(session: FtpSession): SessionAccess {
  const { account } = session;
  if (!account) throw notLoggedIn();
  return { account, rules: session.shared.accessRules };
}

/**
 * Throws 550 unless the session may do `action` on `path` (by name and by where it leads); a
 * refusal is logged (FtpSession.logPolicyRefusal).
 */
export function authorizeFor(session: FtpSession, path: PolicyPath, action: FileAction): void {
  const { account, rules } = accessOf(session);
  try {
    authorizePath(account, rules, path, action);
  } catch (error) {
    session.logPolicyRefusal({ path: path.virtual, action });
    throw error;
  }
}

export function mayDo(session: FtpSession, path: PolicyPath, action: FileAction): boolean {
  const { account, rules } = accessOf(session);
  return isPathAllowed(account, rules, path, action);
}

export function isHiddenFor(session: FtpSession, path: PolicyPath): boolean {
  const { account, rules } = accessOf(session);
  return isPathHidden(account, rules, path);
}
