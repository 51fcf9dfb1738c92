/**
 * What all FTP sessions in one worker share: the config, the accounts, the passive port pool, the
 * TLS context and the transfer log. Made once when the worker starts.
 */
import type { Logger } from 'pino';
import { nativeAddonProblem } from '../../shared/native/addon.js';
import type { WorkerHost } from '../../shared/service.js';
import { AccountDirectory } from './auth/accounts.js';
import type { FtpConfig } from './config.js';
import { buildAccessRules, type AccessRules } from './fs/access-policy.js';
import { PassivePortPool } from './data/passive-ports.js';
import { CheckedRoots } from './fs/checked-roots.js';
import { DirectoryMessageCache } from './fs/directory-message.js';
import { loadFtpTls, type FtpTls } from './tls/ftp-tls.js';
import { XFERLOG, XferLog } from './xferlog.js';

export interface FtpShared {
  readonly config: FtpConfig;
  readonly accounts: AccountDirectory;
  /** The anonymous hide/deny globs, compiled once (fs/globs.ts). */
  readonly accessRules: AccessRules;
  readonly passivePorts: PassivePortPool;
  /** Undefined when TLS is off. */
  readonly tls: FtpTls | undefined;
  readonly xferlog: XferLog;
  /** Login roots, checked at most once a second. */
  readonly roots: CheckedRoots;
  /** Directory messages' text, read at most once a second per directory. */
  readonly directoryMessages: DirectoryMessageCache;
  /** The banner's lines, for the 220 greeting (a banner of several lines is a multi-line 220). */
  readonly greeting: readonly string[];
}

export async function createFtpShared(config: FtpConfig, log: Logger, host: WorkerHost): Promise<FtpShared> {
  const nativeProblem = nativeAddonProblem();
  if (config.nativeTransfers && nativeProblem) {
    log.warn({ reason: nativeProblem }, 'native transfers unavailable: file data goes through streams (slower)');
  }
  return {
    config,
    accounts: new AccountDirectory(config),
    accessRules: buildAccessRules(config.anonymous),
    passivePorts: new PassivePortPool(config.passive.ports),
    tls: config.tls.enabled ? await loadFtpTls(config.tls, log) : undefined,
    xferlog: new XferLog(config.xferlog ? (line) => host.appendToLog(XFERLOG, line) : undefined),
    roots: new CheckedRoots(),
    directoryMessages: new DirectoryMessageCache(),
    greeting: bannerLines(config.banner),
  };
}

/** `banner` as reply lines: one per line of it, a final line break ignored. */
function bannerLines(banner: string): readonly string[] {
  const lines = banner.split(/\r?\n/);
  while (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}
