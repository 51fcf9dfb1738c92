/**
 * Who may log in, and as what: anonymous (RFC 1635) and the local users from config.
 */
import { resolve } from 'node:path';
import type { FtpConfig, Permission } from '../config.js';
import { verifyPassword } from './password-hash.js';

export interface Account {
  readonly name: string;
  readonly anonymous: boolean;
  /** The real directory that is `/` for this account. */
  readonly root: string;
  readonly permissions: ReadonlySet<Permission>;
  readonly maxRateBytesPerSecond: number;
  /** File mode bits cleared on uploads. */
  readonly umask: number;
  /** Anonymous write-only upload directory (virtual path), if uploads are on. */
  readonly uploadDir: string | undefined;
  readonly tlsRequired: boolean;
}

export type UserLookup =
  | { readonly kind: 'anonymous' }
  | { readonly kind: 'local'; readonly tlsRequired: boolean }
  /**
   * tlsRequired, for a name that is no account: whether USER in clear text is refused for it, as it
   * would be for an account's (tls.requireForLocalUsers), so that the answer tells nothing.
   */
  | { readonly kind: 'unknown'; readonly tlsRequired: boolean };

/** A hash of a random password, checked for unknown users so they take as long as real ones. */
const DECOY_HASH = '$scrypt$N=16384,r=8,p=1$c2FsdHNhbHRzYWx0c2FsdA==$3q2+7w3q2+7w3q2+7w3q2+7w3q2+7w3q2+7w3q2+7w8=';

/**
 * The accounts, each built once from the config and shared by every session logged in as it (a
 * worker may hold thousands of idle anonymous sessions: one Account, not one each).
 */
export class AccountDirectory {
  private readonly anonymousAccount: Account | undefined;
  private readonly localAccounts: ReadonlyMap<string, Account>;

  constructor(private readonly config: FtpConfig) {
    const { anonymous } = config;
    this.anonymousAccount = anonymous.enabled
      ? Object.freeze({
          name: 'ftp',
          anonymous: true,
          root: resolve(anonymous.root),
          // Anonymous is read-only; the upload box grants write there only (checked by the file layer).
          permissions: new Set<Permission>(['read']),
          maxRateBytesPerSecond: anonymous.maxRateBytesPerSecond,
          umask: parseInt(anonymous.upload.umask, 8),
          uploadDir: anonymous.upload.enabled ? '/' + anonymous.upload.dir.replace(/^\/+|\/+$/g, '') : undefined,
          tlsRequired: false,
        })
      : undefined;
    this.localAccounts = new Map(
      config.users.map((user) => [
        user.name,
        Object.freeze({
          name: user.name,
          anonymous: false,
          root: resolve(user.root),
          permissions: new Set(user.permissions),
          maxRateBytesPerSecond: user.maxRateBytesPerSecond,
          umask: parseInt(user.umask, 8),
          uploadDir: undefined,
          tlsRequired: user.tlsRequired || config.tls.requireForLocalUsers,
        }),
      ]),
    );
  }

  lookup(name: string): UserLookup {
    const { anonymous } = this.config;
    if (anonymous.enabled && anonymous.userNames.some((n) => n.toLowerCase() === name.toLowerCase())) {
      return { kind: 'anonymous' };
    }
    const account = this.localAccounts.get(name);
    return account
      ? { kind: 'local', tlsRequired: account.tlsRequired }
      : { kind: 'unknown', tlsRequired: this.config.tls.requireForLocalUsers };
  }

  /** The account if the password is right; anonymous takes any password (traditionally an e-mail). */
  async authenticate(name: string, password: string): Promise<Account | undefined> {
    if (this.lookup(name).kind === 'anonymous') return this.anonymousAccount;
    const user = this.config.users.find((u) => u.name === name);
    const ok = await verifyPassword(password, user?.password ?? DECOY_HASH);
    if (!user || !ok) return undefined;
    return this.localAccounts.get(user.name);
  }
}
