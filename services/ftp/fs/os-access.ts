/**
 * What the operating system's permission bits let the worker do with an entry, from facts a
 * listing has already read (stat's mode, uid and gid): the MLSx `perm` fact (perm-facts.ts) offers
 * only what both the account's permissions and these allow, as pure-ftpd asks access(2). Pure but
 * for `workerCredentials`; no system call per entry. Not seen here: ACLs, immutable flags, a
 * read-only mount (RFC 3659 7.5.5 lets perm be a hint).
 */

/** The parts of a stat that decide access. */
export interface ModeOwner {
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
}

/** Whom the kernel checks: the worker's effective uid and its groups. */
export interface Credentials {
  readonly uid: number;
  readonly groups: ReadonlySet<number>;
}

/** The worker as it runs now (after any switch to supervisor.user). */
export function workerCredentials(): Credentials {
  const uid = process.geteuid?.() ?? -1;
  const groups = new Set<number>(process.getgroups?.() ?? []);
  const gid = process.getegid?.();
  if (gid !== undefined) groups.add(gid);
  return { uid, groups };
}

const BITS = { r: 0o4, w: 0o2, x: 0o1 } as const;
const STICKY = 0o1000;

/** POSIX's check: the owner's bits, else the group's, else the others' (root passes r and w, and x on directories). */
export function osPermits(entry: ModeOwner, who: Credentials, want: 'r' | 'w' | 'x'): boolean {
  if (who.uid === 0) return want !== 'x' || (entry.mode & 0o111) !== 0 || isDirectoryMode(entry.mode);
  const bit = BITS[want];
  if (entry.uid === who.uid) return ((entry.mode >> 6) & bit) !== 0;
  if (who.groups.has(entry.gid)) return ((entry.mode >> 3) & bit) !== 0;
  return (entry.mode & bit) !== 0;
}

/**
 * Whether an entry owned by `entryUid` may be removed from `dir` or renamed in it: write and search
 * permission on the directory, and in a sticky one (/tmp) only the entry's owner, the directory's,
 * or root.
 */
export function mayChangeEntry(dir: ModeOwner, entryUid: number, who: Credentials): boolean {
  if (!osPermits(dir, who, 'w') || !osPermits(dir, who, 'x')) return false;
  if ((dir.mode & STICKY) === 0 || who.uid === 0) return true;
  return entryUid === who.uid || dir.uid === who.uid;
}

function isDirectoryMode(mode: number): boolean {
  return (mode & 0o170000) === 0o040000;
}
