/**
 * SIGHUP for FTP, in two halves (ServiceDefinition.prepareReopen, ServiceRuntime.reopen).
 *
 * In the primary, which keeps the user classicd started as: the xferlog is made to exist and to
 * belong to the workers' user (supervisor.user), whatever owner logrotate's `create` gave the new
 * file, so that they can open it again; and the key and certificate are read, since a key only
 * root may read (Let's Encrypt's privkey.pem) is out of the workers' reach once they have switched.
 *
 * In each worker: the xferlog reopened at its path, and the TLS contexts made anew from what the
 * primary read. Both are tried, and every failure is reported.
 */
import { constants } from 'node:fs';
import { lstat, mkdir, open } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Logger } from 'pino';
import type { Identity } from '../../shared/supervisor/privileges.js';
import type { FtpConfig } from './config.js';
import { nearestExisting } from './fs/nearest-existing.js';
import type { FtpShared } from './runtime.js';
import { loadCredentials, type LoadedCredentials } from './tls/ftp-tls.js';

/** What the primary read for the workers. */
export interface FtpReopen {
  readonly tls?: LoadedCredentials;
}

/**
 * Each half on its own: a log file that cannot be handed over must not keep a renewed
 * certificate from being taken up, nor the other way round. What failed is logged here; the
 * workers then reopen that half as best they can themselves.
 */
export async function prepareFtpReopen(
  config: FtpConfig,
  workers: Identity | undefined,
  log: Logger,
): Promise<FtpReopen> {
  const [logFile, tls] = await Promise.allSettled([
    config.xferlog ? prepareLogFile(resolve(config.xferlog), workers) : undefined,
    config.tls.enabled ? loadCredentials(config.tls, log) : undefined,
  ]);
  if (logFile.status === 'rejected')
    log.error({ err: logFile.reason as unknown }, 'xferlog: could not prepare it for the workers');
  if (tls.status === 'rejected')
    log.error({ err: tls.reason as unknown }, 'ftp tls: could not read the key and certificate');
  return tls.status === 'fulfilled' && tls.value ? { tls: tls.value } : {};
}

/**
 * The file exists, mode 0640 if new, and belongs to `workers` when they switch users. Done by the
 * primary with its rights, so it must not be led elsewhere: were the log directory writable by the
 * workers' user, a compromised worker could put a symlink or a hard link to /etc/shadow in the
 * xferlog's place for root to hand over. So the file is opened without following a symlink (and
 * without waiting on a FIFO), and changed through its descriptor only if it is a plain file with
 * one link.
 */
async function prepareLogFile(path: string, workers: Identity | undefined): Promise<void> {
  // Checked before anything is made: mkdir would follow a swapped link too.
  if (workers) await refuseDirectoriesWorkersControl(dirname(path), workers);
  await mkdir(dirname(path), { recursive: true });
  const flags =
    constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK;
  const handle = await open(path, flags, 0o640);
  try {
    const info = await handle.stat();
    if (!info.isFile() || info.nlink !== 1) {
      throw new Error(`xferlog ${path}: not a plain file with one link; not handing it to supervisor.user`);
    }
    if (workers) await handle.chown(workers.uid, workers.gid);
  } finally {
    await handle.close();
  }
}

export async function reopenFtp(shared: FtpShared, prepared: FtpReopen | undefined): Promise<void> {
  const results = await Promise.allSettled([shared.xferlog.reopen(), shared.tls?.reload(prepared?.tls)]);
  const failures = results.flatMap((result) => (result.status === 'rejected' ? [result.reason as unknown] : []));
  if (failures.length === 1) throw failures[0];
  if (failures.length > 1) {
    throw new AggregateError(failures, failures.map((failure) => (failure as Error).message).join('; '));
  }
}

/**
 * The file's own name is checked when it is opened; the directories above it are checked here.
 * Were one of them replaceable by the workers' user (writable by it, and not a sticky directory
 * holding an entry of someone else's), a compromised worker could swap the log directory for a
 * link to another, and have root create a file of theirs there, as sshd's StrictModes guards
 * against. The log directory itself may be the workers' (only the file's name is used in it).
 */
async function refuseDirectoriesWorkersControl(logDirectory: string, workers: Identity): Promise<void> {
  // From the deepest directory that exists: the rest, root makes.
  let child = await nearestExisting(logDirectory);
  for (let parent = dirname(child); ; child = parent, parent = dirname(parent)) {
    const [parentInfo, childInfo] = await Promise.all([lstat(parent), lstat(child)]);
    const writable =
      (parentInfo.uid === workers.uid && (parentInfo.mode & 0o200) !== 0) ||
      (parentInfo.gid === workers.gid && (parentInfo.mode & 0o020) !== 0) ||
      (parentInfo.mode & 0o002) !== 0;
    // In a sticky directory (/tmp) only an entry's owner, or the directory's, may rename it.
    const sticky = (parentInfo.mode & 0o1000) !== 0;
    const replaceable = writable && (!sticky || childInfo.uid === workers.uid || parentInfo.uid === workers.uid);
    if (replaceable) {
      throw new Error(
        `xferlog: ${child} can be replaced by supervisor.user (through ${parent}); not creating files there as root`,
      );
    }
    if (parent === dirname(parent)) return;
  }
}
