/**
 * Dropping root in the workers (vsftpd's nopriv_user): they serve every session, so they should
 * not run as root. The primary, which binds the listeners (ports below 1024 need root or
 * CAP_NET_BIND_SERVICE) and forks workers, keeps its user; a worker drops to `supervisor.user`
 * once its services have read what may need root (keys, the xferlog), before it takes a session.
 * Workers' listening sockets are bound by the primary (Node's cluster module), passive FTP ports
 * lie above 1024, so nothing a worker does afterwards needs root.
 *
 * Names are looked up in /etc/passwd and /etc/group, as the rest of the system does for local
 * accounts; a numeric uid or gid is taken as it is.
 */
import { readFileSync } from 'node:fs';

export interface Identity {
  readonly uid: number;
  readonly gid: number;
}

/**
 * Becomes `user` (and `group`, or the user's primary group), with no supplementary groups.
 * Undefined when `user` is empty. Throws, naming the config key, when the user or group does not
 * exist or the process may not change to them.
 */
export function dropPrivileges(user: string, group: string): Identity | undefined {
  const identity = resolveIdentity(user, group);
  if (!identity) return undefined;
  const { uid, gid } = identity;
  try {
    if (process.getuid?.() !== uid || process.getgid?.() !== gid) {
      // Groups first: once the uid is no longer root, they can no longer be changed.
      process.setgroups?.([gid]);
      process.setgid?.(gid);
      process.setuid?.(uid);
    }
  } catch (error) {
    throw new Error(
      `supervisor.user ${user}: cannot switch to uid ${uid}, gid ${gid} (${(error as NodeJS.ErrnoException).code ?? String(error)}); start classicd as root, or leave supervisor.user empty`,
    );
  }
  return identity;
}

/**
 * Whether the workers would serve sessions as root: started as root with no `supervisor.user`, or
 * with one that is root. Every path check of every service then runs with root's rights behind
 * it; vsftpd never serves a session so (its nopriv_user and ftp_username). Throws as resolveIdentity.
 */
export function workersWouldRunAsRoot(user: string, group: string): boolean {
  if (process.getuid?.() !== 0) return false;
  return (resolveIdentity(user, group)?.uid ?? 0) === 0;
}

/** The warning for it, the same at start and in check-config. */
export const WORKERS_AS_ROOT_WARNING =
  "workers serve every session as root: set supervisor.user to an unprivileged user (e.g. nobody), as vsftpd's nopriv_user";

/** The uid and gid `user` and `group` name (undefined for no user), without switching to them. */
export function resolveIdentity(user: string, group: string): Identity | undefined {
  if (!user) return undefined;
  const account = findUser(user);
  const gid = group ? findGroup(group) : account.gid;
  if (gid === undefined) throw new Error(`supervisor.user ${user}: no primary group known; set supervisor.group`);
  return { uid: account.uid, gid };
}

function findUser(user: string): { uid: number; gid: number | undefined } {
  const entry = findEntry('/etc/passwd', user);
  if (entry) return { uid: Number(entry[2]), gid: Number(entry[3]) };
  if (/^\d+$/.test(user)) return { uid: Number(user), gid: undefined };
  throw new Error(`supervisor.user: no user ${user} in /etc/passwd`);
}

function findGroup(group: string): number {
  const entry = findEntry('/etc/group', group);
  if (entry) return Number(entry[2]);
  if (/^\d+$/.test(group)) return Number(group);
  throw new Error(`supervisor.group: no group ${group} in /etc/group`);
}

/**
 * The colon-separated entry whose name is `key`, or for a number, whose id is: the third field in
 * both /etc/passwd (the uid) and /etc/group (the gid).
 */
function findEntry(file: string, key: string): string[] | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const entries = text.split('\n').map((line) => line.split(':'));
  const numeric = /^\d+$/.test(key);
  return (
    entries.find((fields) => fields[0] === key) ?? (numeric ? entries.find((fields) => fields[2] === key) : undefined)
  );
}
