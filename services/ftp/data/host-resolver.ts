/**
 * Host names in `passive.address` and `passive.rules`, looked up for IPv4 (a 227 reply carries
 * nothing else), with the answers kept a while: a dynamic-DNS name is followed within
 * `RESOLVED_TTL_MS`, but not looked up on every PASV, each a thread-pool call to getaddrinfo and,
 * for a name that does not resolve, a warning per PASV (a busy site's log filled with them).
 * A failure is kept `FAILED_TTL_MS` and warned about at most once per `WARN_EVERY_MS` a name.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';

const RESOLVED_TTL_MS = 30_000;
const FAILED_TTL_MS = 5_000;
const WARN_EVERY_MS = 60_000;

/** An IPv4 address for `name`, or a rejection. */
export type Ipv4Lookup = (name: string) => Promise<string>;

interface Answer {
  readonly address: Promise<string | undefined>;
  readonly until: number;
}

export class HostResolver {
  private readonly answers = new Map<string, Answer>();
  private readonly warnedAt = new Map<string, number>();

  constructor(
    private readonly lookup: Ipv4Lookup = lookupIpv4,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** `name`'s IPv4 address, or undefined (warned about, at most once a minute) if it has none. */
  resolve(name: string, log: () => Logger): Promise<string | undefined> {
    const kept = this.answers.get(name);
    if (kept && this.now() < kept.until) return kept.address;
    const address = this.lookup(name).then(
      (found) => found,
      (error: unknown) => {
        this.answers.set(name, { address: Promise.resolve(undefined), until: this.now() + FAILED_TTL_MS });
        this.warn(name, error, log);
        return undefined;
      },
    );
    // Lookups already under way are shared; a success stands for RESOLVED_TTL_MS.
    this.answers.set(name, { address, until: this.now() + RESOLVED_TTL_MS });
    return address;
  }

  private warn(name: string, error: unknown, log: () => Logger): void {
    const last = this.warnedAt.get(name);
    if (last !== undefined && this.now() - last < WARN_EVERY_MS) return;
    this.warnedAt.set(name, this.now());
    log().warn(
      { err: error, address: name },
      'passive address cannot be resolved to IPv4; advertising the local one (said at most once a minute)',
    );
  }
}

async function lookupIpv4(name: string): Promise<string> {
  const found = await dnsLookup(name, { family: 4 });
  return found.address;
}
