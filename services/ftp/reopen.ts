/**
 * SIGHUP for FTP, in two halves (ServiceDefinition.prepareReopen, ServiceRuntime.reopen).
 *
 * In the primary, which keeps the user classicd started as: the key and certificate are read,
 * since a key only root may read (Let's Encrypt's privkey.pem) is out of the workers' reach once
 * they have switched to supervisor.user. (The primary reopens the xferlog itself: it alone writes
 * it, shared/supervisor/primary-logs.ts.)
 *
 * In each worker: the TLS contexts made anew from what the primary read.
 */
import type { Logger } from 'pino';
import type { FtpConfig } from './config.js';
import type { FtpShared } from './runtime.js';
import { loadCredentials, type LoadedCredentials } from './tls/ftp-tls.js';

/** What the primary read for the workers. */
export interface FtpReopen {
  readonly tls?: LoadedCredentials;
}

/** A certificate that cannot be read is logged here; the workers then keep the one they have. */
export async function prepareFtpReopen(config: FtpConfig, log: Logger): Promise<FtpReopen> {
  if (!config.tls.enabled) return {};
  try {
    return { tls: await loadCredentials(config.tls, log) };
  } catch (error) {
    log.error({ err: error }, 'ftp tls: could not read the key and certificate');
    return {};
  }
}

export async function reopenFtp(shared: FtpShared, prepared: FtpReopen | undefined): Promise<void> {
  await shared.tls?.reload(prepared?.tls);
}
