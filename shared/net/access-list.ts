/**
 * allow/deny lists (xinetd's only_from / no_access), parsed once. Deny wins over allow; an empty
 * allow list allows everyone not denied.
 */
import { canonicalAddress, matchesAny, parseCidr, type Cidr } from './cidr.js';

export type AccessRefusal = 'deny' | 'not-allowed';

export class AccessList {
  private readonly allow: readonly Cidr[];
  private readonly deny: readonly Cidr[];

  /** The texts must already be valid CIDR blocks (the config schema checks them). */
  constructor(lists: { readonly allow: readonly string[]; readonly deny: readonly string[] }) {
    this.allow = lists.allow.map((text) => parseCidr(text) as Cidr);
    this.deny = lists.deny.map((text) => parseCidr(text) as Cidr);
  }

  /** Undefined when the address may connect, else why not. */
  check(address: string): AccessRefusal | undefined {
    // The common case, no lists at all, costs nothing per connection.
    if (this.deny.length === 0 && this.allow.length === 0) return undefined;
    const client = canonicalAddress(address);
    if (matchesAny(client, this.deny)) return 'deny';
    if (this.allow.length > 0 && !matchesAny(client, this.allow)) return 'not-allowed';
    return undefined;
  }
}
