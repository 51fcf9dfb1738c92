/**
 * Login roots, checked (realpath, is a directory, may be searched) at most once a second per
 * worker instead of on every login. Each check is three thread-pool round trips, which were most
 * of a login's latency;
 * roots come from the config, so the map is as small as the user list. A failed check is not
 * kept: the next login tries again, so a root that comes back is usable at once.
 */
import { performance } from 'node:perf_hooks';
import { realRoot } from './session-file-system.js';

/** How long a successful check stands. A root replaced meanwhile fails its first command instead. */
const CHECK_TTL_MS = 1000;

export class CheckedRoots {
  private readonly checks = new Map<string, { readonly at: number; readonly real: Promise<string> }>();

  constructor(
    private readonly ttlMs = CHECK_TTL_MS,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** The root's real path; concurrent logins share one check. */
  realRoot(root: string): Promise<string> {
    const check = this.checks.get(root);
    if (check && this.now() - check.at < this.ttlMs) return check.real;
    const real = realRoot(root);
    this.checks.set(root, { at: this.now(), real });
    real.catch(() => {
      if (this.checks.get(root)?.real === real) this.checks.delete(root);
    });
    return real;
  }
}
