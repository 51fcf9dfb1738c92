import { describe, expect, it } from 'vitest';
import type { Account } from '../../../services/ftp/auth/accounts.js';
import type { Permission } from '../../../services/ftp/config.js';
import { buildAccessRules } from '../../../services/ftp/fs/access-policy.js';
import { mayChangeEntry, osPermits, type Credentials } from '../../../services/ftp/fs/os-access.js';
import { permFact } from '../../../services/ftp/fs/perm-facts.js';

const NOBODY: Credentials = { uid: 65534, groups: new Set([65534]) };
const ROOT: Credentials = { uid: 0, groups: new Set([0]) };
const FILE = 0o100000;
const DIR = 0o040000;

describe('osPermits: the owner, group and others bits, as the kernel reads them', () => {
  it.each([
    ['owner bits for the owner', { mode: FILE | 0o446, uid: 65534, gid: 0 }, 'w', false],
    ['owner bits for the owner (read)', { mode: FILE | 0o404, uid: 65534, gid: 0 }, 'r', true],
    ['group bits for a member', { mode: FILE | 0o060, uid: 0, gid: 65534 }, 'w', true],
    ["others' bits for everyone else", { mode: FILE | 0o644, uid: 0, gid: 0 }, 'w', false],
    ["others' bits for everyone else (read)", { mode: FILE | 0o644, uid: 0, gid: 0 }, 'r', true],
    ['the owner is not given the others bits', { mode: FILE | 0o007, uid: 65534, gid: 0 }, 'r', false],
  ] as const)('%s', (_name, entry, want, expected) => {
    expect(osPermits(entry, NOBODY, want)).toBe(expected);
  });

  it('root reads and writes anything, and searches any directory', () => {
    expect(osPermits({ mode: FILE, uid: 1, gid: 1 }, ROOT, 'w')).toBe(true);
    expect(osPermits({ mode: DIR, uid: 1, gid: 1 }, ROOT, 'x')).toBe(true);
  });

  it('a sticky directory lets only the entry owner, the directory owner or root remove an entry', () => {
    const tmp = { mode: DIR | 0o1777, uid: 0, gid: 0 };
    expect(mayChangeEntry(tmp, 1000, NOBODY)).toBe(false);
    expect(mayChangeEntry(tmp, 65534, NOBODY)).toBe(true);
    expect(mayChangeEntry(tmp, 1000, ROOT)).toBe(true);
    expect(mayChangeEntry({ mode: DIR | 0o755, uid: 0, gid: 0 }, 65534, NOBODY)).toBe(false);
  });
});

describe('permFact with the permission bits (RFC 3659 7.5.5)', () => {
  const alice: Account = {
    name: 'alice',
    anonymous: false,
    root: '/srv/alice',
    permissions: new Set<Permission>(['read', 'write', 'delete', 'mkdir', 'rename']),
    maxRateBytesPerSecond: 0,
    umask: 0o022,
    uploadDir: undefined,
    tlsRequired: false,
  };
  const rules = buildAccessRules({ hide: [], deny: [] });
  const path = { virtual: '/f.txt', canonical: '/f.txt' };

  it('offers only what both the account and the bits allow', () => {
    const rootsFile = { mode: FILE | 0o644, uid: 0, gid: 0 };
    expect(permFact(alice, rules, path, 'file')).toBe('adfrw'); // no bits read: the policy alone
    const lockedDir = { mode: DIR | 0o755, uid: 0, gid: 0 };
    expect(permFact(alice, rules, path, 'file', { who: NOBODY, entry: rootsFile, parent: lockedDir })).toBe('r');
    const openDir = { mode: DIR | 0o777, uid: 0, gid: 0 };
    expect(permFact(alice, rules, path, 'file', { who: NOBODY, entry: rootsFile, parent: openDir })).toBe('dfr');
    expect(permFact(alice, rules, path, 'file', { who: ROOT, entry: rootsFile, parent: lockedDir })).toBe('adfrw');
  });

  it('a directory the worker cannot write or search offers neither c, m, p nor e', () => {
    const dirPath = { virtual: '/d', canonical: '/d' };
    const readOnly = { mode: DIR | 0o555, uid: 0, gid: 0 };
    expect(permFact(alice, rules, dirPath, 'dir', { who: NOBODY, entry: readOnly })).toBe('defl');
    const noSearch = { mode: DIR | 0o700, uid: 0, gid: 0 };
    expect(permFact(alice, rules, dirPath, 'dir', { who: NOBODY, entry: noSearch })).toBe('df');
  });
});
