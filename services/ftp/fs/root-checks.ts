/**
 * Start-up warnings about the roots sessions will log in to. A local user's root that is missing
 * or not a directory. And the anonymous area: the mistakes vsftpd refuses to start with
 * ("refusing to run with writable root inside chroot()") or that only show up as failed logins:
 * - the anonymous root does not exist (every anonymous login would fail) or is not a directory;
 * - the root is world-writable (anyone with a shell account could plant files for the world);
 * - uploads are on but the upload directory is missing (every STOR would fail), is a symlink (the
 *   policy would refuse uploads through it), or is not a directory.
 * Warnings, not errors: the rest of the server is still useful, and the admin may be about to
 * create the directory.
 */
import { constants } from 'node:fs';
import { access, lstat, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Logger } from 'pino';
import type { FtpConfig } from '../config.js';
import { osPath } from './os-path.js';

export interface RootProblem {
  readonly problem: string;
  readonly path: string;
}

export async function checkAnonymousRoot(anonymous: FtpConfig['anonymous']): Promise<RootProblem[]> {
  if (!anonymous.enabled) return [];
  const problems: RootProblem[] = [];
  const root = resolve(anonymous.root);
  const rootInfo = await stat(osPath(root)).catch(() => undefined);
  if (!rootInfo) {
    problems.push({ problem: 'the anonymous root does not exist: anonymous logins will fail', path: root });
    return problems;
  }
  if (!rootInfo.isDirectory()) {
    problems.push({ problem: 'the anonymous root is not a directory: anonymous logins will fail', path: root });
    return problems;
  }
  if ((rootInfo.mode & 0o002) !== 0) {
    problems.push({
      problem: 'the anonymous root is world-writable: anyone on this host can publish there',
      path: root,
    });
  }
  if (anonymous.upload.enabled) {
    const dir = resolve(root, anonymous.upload.dir.replace(/^\/+/, ''));
    const dirInfo = await stat(osPath(dir)).catch(() => undefined);
    const isLink = (await lstat(osPath(dir)).catch(() => undefined))?.isSymbolicLink() ?? false;
    if (!dirInfo) problems.push({ problem: 'uploads are enabled but the upload directory does not exist', path: dir });
    else if (isLink)
      // The policy judges a path by its name and by where it leads (access-policy.ts); through a
      // link, the second is not the drop box, and every upload would be refused.
      problems.push({
        problem: 'the upload directory is a symlink: uploads will be refused; name the real directory in upload.dir',
        path: dir,
      });
    else if (!dirInfo.isDirectory())
      problems.push({ problem: 'uploads are enabled but the upload path is not a directory', path: dir });
  }
  return problems;
}

export async function warnAboutAnonymousRoot(anonymous: FtpConfig['anonymous'], log: Logger): Promise<void> {
  for (const { problem, path } of await checkAnonymousRoot(anonymous)) log.warn({ path }, problem);
}

/** A local user whose root is missing, or not a directory, could never log in. */
export async function checkUserRoots(users: FtpConfig['users']): Promise<RootProblem[]> {
  const problems: RootProblem[] = [];
  for (const user of users) {
    const root = resolve(user.root);
    const info = await stat(osPath(root)).catch(() => undefined);
    if (!info?.isDirectory()) {
      problems.push({ problem: `the root of user ${user.name} is not a directory: its logins will fail`, path: root });
    }
  }
  return problems;
}

export async function warnAboutUserRoots(users: FtpConfig['users'], log: Logger): Promise<void> {
  for (const { problem, path } of await checkUserRoots(users)) log.warn({ path }, problem);
}

/**
 * After the worker switched to supervisor.user: each root it must reach, checked with that user's
 * rights (the checks above ran as root, which reaches everything). `access` asks the kernel, so
 * ACLs and group memberships count as they will at login.
 */
export async function checkRootsAsWorkerUser(config: FtpConfig): Promise<RootProblem[]> {
  const wanted: { path: string; mode: number; what: string }[] = [];
  if (config.anonymous.enabled) {
    const root = resolve(config.anonymous.root);
    wanted.push({ path: root, mode: constants.R_OK | constants.X_OK, what: 'the anonymous root' });
    if (config.anonymous.upload.enabled) {
      const dir = resolve(root, config.anonymous.upload.dir.replace(/^\/+/, ''));
      wanted.push({ path: dir, mode: constants.W_OK | constants.X_OK, what: 'the upload directory' });
    }
  }
  // Only entering and reading a user's root: a root that is not writable itself, with writable
  // directories below it, is a common layout (vsftpd's chroot rule asks for it).
  for (const user of config.users) {
    wanted.push({
      path: resolve(user.root),
      mode: constants.R_OK | constants.X_OK,
      what: `the root of user ${user.name}`,
    });
  }
  const problems: RootProblem[] = [];
  for (const { path, mode, what } of wanted) {
    const code = await access(osPath(path), mode).then(
      () => undefined,
      (error: NodeJS.ErrnoException) => error.code ?? 'error',
    );
    // A missing path was warned about at start, as root; only what the switch changed is said here.
    if (code === undefined || code === 'ENOENT' || code === 'ENOTDIR') continue;
    problems.push({ problem: `supervisor.user cannot use ${what}: its logins or uploads will fail`, path });
  }
  return problems;
}
