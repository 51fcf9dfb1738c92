import { describe, expect, it } from 'vitest';
import type { Account } from '../../../services/ftp/auth/accounts.js';
import type { Permission } from '../../../services/ftp/config.js';
import {
  authorize,
  authorizePath,
  buildAccessRules,
  isAllowed,
  isHidden,
  isPathAllowed,
  type FileAction,
} from '../../../services/ftp/fs/access-policy.js';
import { FtpError } from '../../../services/ftp/errors.js';

function account(overrides: Partial<Account> = {}): Account {
  return {
    name: 'ftp',
    anonymous: true,
    root: '/srv/ftp',
    permissions: new Set<Permission>(['read']),
    maxRateBytesPerSecond: 0,
    umask: 0o077,
    uploadDir: '/incoming',
    tlsRequired: false,
    ...overrides,
  };
}

const rules = buildAccessRules({ hide: ['.*', 'README.private'], deny: ['*.key', 'pub/private'] });
const noRules = buildAccessRules({ hide: [], deny: [] });
const ACTIONS: FileAction[] = ['read', 'list', 'enter', 'create', 'overwrite', 'delete', 'mkdir', 'rmdir', 'rename'];

describe('access policy: anonymous', () => {
  const anon = account();

  it.each([
    // Read-only outside the drop box.
    ['/pub/file.txt', 'read', true],
    ['/pub', 'list', true],
    ['/pub', 'enter', true],
    ['/pub/file.txt', 'create', false],
    ['/pub/file.txt', 'overwrite', false],
    ['/pub/file.txt', 'delete', false],
    ['/pub/new', 'mkdir', false],
    ['/pub', 'rmdir', false],
    ['/pub/file.txt', 'rename', false],
    // The drop box: enter it, store new files in it, nothing else.
    ['/incoming', 'enter', true],
    ['/incoming', 'list', false],
    ['/incoming', 'read', false],
    ['/incoming', 'create', false],
    ['/incoming/up.bin', 'create', true],
    ['/incoming/up.bin', 'read', false],
    ['/incoming/up.bin', 'list', false],
    ['/incoming/up.bin', 'overwrite', false],
    ['/incoming/up.bin', 'delete', false],
    ['/incoming/up.bin', 'rename', false],
    ['/incoming/sub', 'mkdir', false],
    ['/incoming/sub', 'enter', false],
    ['/incomingx/file', 'create', false], // a sibling with the same prefix is not the drop box
    // Deny globs: by name anywhere, and a whole subtree.
    ['/pub/server.key', 'read', false],
    ['/pub/server.key', 'list', false],
    ['/pub/private', 'enter', false],
    ['/pub/private/plan.txt', 'read', false],
    ['/pub/privateer', 'read', true],
    ['/incoming/stolen.key', 'create', false],
    // Hidden is not denied.
    ['/pub/.listing', 'read', true],
  ])('%s %s: %s', (path, action, expected) => {
    expect(isAllowed(anon, rules, path, action as FileAction)).toBe(expected);
  });

  it('has no drop box when uploads are off', () => {
    const readOnly = account({ uploadDir: undefined });
    expect(isAllowed(readOnly, noRules, '/incoming/up.bin', 'create')).toBe(false);
    expect(isAllowed(readOnly, noRules, '/incoming', 'list')).toBe(true);
  });

  it('hides hidden and denied entries, and only the entry itself for hide', () => {
    expect(isHidden(anon, rules, '/pub/.listing')).toBe(true);
    expect(isHidden(anon, rules, '/pub/README.private')).toBe(true);
    expect(isHidden(anon, rules, '/pub/.config/visible.txt')).toBe(false);
    expect(isHidden(anon, rules, '/pub/a.key')).toBe(true);
    expect(isHidden(anon, rules, '/pub/private/x')).toBe(true);
    expect(isHidden(anon, rules, '/pub/file.txt')).toBe(false);
  });

  it('judges a symlinked path by where it leads as well as by its name', () => {
    // /pub/link -> /pub/private: the name passes, the destination is denied.
    expect(
      isPathAllowed(anon, rules, { virtual: '/pub/link/plan.txt', canonical: '/pub/private/plan.txt' }, 'read'),
    ).toBe(false);
    // /pub/in -> /incoming: storing through the link is not storing in the drop box by name.
    expect(isPathAllowed(anon, rules, { virtual: '/pub/in/up.bin', canonical: '/incoming/up.bin' }, 'create')).toBe(
      false,
    );
    // /incoming/peek -> /incoming: reading the drop box through a link inside it.
    expect(isPathAllowed(anon, rules, { virtual: '/pub/peek/up.bin', canonical: '/incoming/up.bin' }, 'read')).toBe(
      false,
    );
    expect(() => authorizePath(anon, rules, { virtual: '/pub/ok', canonical: '/pub/private' }, 'enter')).toThrowError(
      FtpError,
    );
    expect(isPathAllowed(anon, rules, { virtual: '/pub/a', canonical: '/pub/a' }, 'read')).toBe(true);
  });

  it('refuses with 550', () => {
    try {
      authorize(anon, rules, '/pub/x', 'delete');
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(FtpError);
      expect((error as FtpError).replyCode).toBe(550);
    }
  });
});

describe('access policy: local users', () => {
  it.each([
    [['read'], ['read', 'list', 'enter']],
    [['write'], ['create', 'overwrite']],
    [['delete'], ['delete', 'rmdir']],
    [['mkdir'], ['mkdir']],
    [['rename'], ['rename']],
    [['read', 'write', 'delete', 'mkdir', 'rename'], ACTIONS],
    [[], []],
  ])('permissions %j allow exactly %j', (permissions, allowed) => {
    const user = account({
      name: 'alice',
      anonymous: false,
      uploadDir: undefined,
      permissions: new Set(permissions as Permission[]),
    });
    for (const action of ACTIONS) {
      expect(isAllowed(user, rules, '/any/path', action), action).toBe(allowed.includes(action));
    }
  });

  it('ignores the anonymous hide and deny globs', () => {
    const user = account({ name: 'alice', anonymous: false, uploadDir: undefined });
    expect(isAllowed(user, rules, '/pub/private/server.key', 'read')).toBe(true);
    expect(isHidden(user, rules, '/.profile')).toBe(false);
  });
});

describe('access policy: names of uploads in progress', () => {
  const everyone = [
    account(),
    account({
      name: 'alice',
      anonymous: false,
      uploadDir: undefined,
      permissions: new Set<Permission>(['read', 'write', 'delete', 'mkdir', 'rename']),
    }),
  ];

  it.each(['/.classicd-upload-0123abcd', '/incoming/.classicd-upload-x', '/.classicd-upload-dir/file.txt'])(
    'refuses %s to every account, for every action',
    (path) => {
      for (const who of everyone) {
        for (const action of ACTIONS)
          expect(isAllowed(who, noRules, path, action), `${who.name} ${action}`).toBe(false);
      }
    },
  );

  it('allows names that only look alike', () => {
    const alice = everyone[1] as Account;
    for (const path of ['/x.classicd-upload-1', '/classicd-upload-1', '/.classicd-uploads/a']) {
      expect(isAllowed(alice, noRules, path, 'create'), path).toBe(true);
    }
  });
});
