import { describe, expect, it } from 'vitest';
import type { Account } from '../../../services/ftp/auth/accounts.js';
import type { Permission } from '../../../services/ftp/config.js';
import { buildAccessRules } from '../../../services/ftp/fs/access-policy.js';
import type { EntryInfo } from '../../../services/ftp/fs/entry-info.js';
import { formatFtpTime, parseFtpTime } from '../../../services/ftp/fs/ftp-time.js';
import { formatFacts, formatMlsxLine, MLST_FACTS, mlstFeature } from '../../../services/ftp/fs/mlsx-format.js';
import { permFact } from '../../../services/ftp/fs/perm-facts.js';

const ALL = new Set<string>(MLST_FACTS);
const DEFAULT = new Set(['type', 'size', 'modify', 'perm', 'unique']);

function entry(overrides: Partial<EntryInfo> = {}): EntryInfo {
  return {
    name: 'readme.txt',
    type: 'file',
    mode: 0o100644,
    nlink: 1,
    uid: 1000,
    gid: 100,
    size: 1234n,
    mtimeMs: Date.parse('2026-11-26T05:08:07Z'),
    dev: 0x801n,
    ino: 0x2_0002n,
    ...overrides,
  };
}

describe('MLSx facts (RFC 3659 section 7)', () => {
  it.each([
    [entry(), DEFAULT, 'r', 'type=file;size=1234;modify=20261126050807;perm=r;unique=801g20002;'],
    [entry(), ALL, 'r', 'type=file;size=1234;modify=20261126050807;perm=r;unique=801g20002;unix.mode=0644;'],
    // Directories carry no size.
    [
      entry({ type: 'dir', mode: 0o040755, size: 4096n }),
      DEFAULT,
      'el',
      'type=dir;modify=20261126050807;perm=el;unique=801g20002;',
    ],
    [entry({ type: 'symlink', mode: 0o120777 }), new Set(['type', 'size']), '', 'type=OS.unix=symlink;'],
    [entry({ type: 'fifo', mode: 0o010644 }), new Set(['type']), '', 'type=OS.unix=fifo;'],
    [entry({ type: 'block', mode: 0o060660 }), new Set(['type']), '', 'type=OS.unix=blk;'],
    // Milliseconds when the file system has them.
    [entry({ mtimeMs: Date.parse('2026-11-26T05:08:07.042Z') }), new Set(['modify']), '', 'modify=20261126050807.042;'],
    [entry({ mode: 0o104755 }), new Set(['unix.mode']), '', 'unix.mode=04755;'],
    [entry({ size: 5_000_000_000n }), new Set(['size']), '', 'size=5000000000;'],
    // Inode numbers beyond 2^53 keep every digit.
    [entry({ dev: 0xfd00n, ino: 0x1234_5678_9abc_def0n }), new Set(['unique']), '', 'unique=fd00g123456789abcdef0;'],
    // OPTS MLST with nothing selected: no facts at all.
    [entry(), new Set<string>(), 'r', ''],
  ])('%#: %s', (info, facts, perm, expected) => {
    expect(formatFacts(info, { facts, perm })).toBe(expected);
  });

  it('marks the listed directory and its parent as cdir and pdir', () => {
    const dir = entry({ type: 'dir', mode: 0o040755 });
    expect(formatFacts(dir, { facts: new Set(['type']), perm: '', role: 'cdir' })).toBe('type=cdir;');
    expect(formatFacts(dir, { facts: new Set(['type']), perm: '', role: 'pdir' })).toBe('type=pdir;');
  });

  it('puts one space between the facts and the name (7.2), spaces in names kept', () => {
    expect(formatMlsxLine('type=file;size=1;', 'a b.txt')).toBe('type=file;size=1; a b.txt');
    expect(formatMlsxLine('', 'x')).toBe(' x');
  });

  it.each([
    [DEFAULT, 'MLST type*;size*;modify*;perm*;unique*;unix.mode;'],
    [ALL, 'MLST type*;size*;modify*;perm*;unique*;unix.mode*;'],
    [new Set(['type']), 'MLST type*;size;modify;perm;unique;unix.mode;'],
    [new Set<string>(), 'MLST type;size;modify;perm;unique;unix.mode;'],
  ])('FEAT line for %j', (active, expected) => {
    expect(mlstFeature(active)).toBe(expected);
  });
});

describe('the perm fact (RFC 3659 7.5.5)', () => {
  const rules = buildAccessRules({ hide: [], deny: ['secret'] });
  const anonymous: Account = {
    name: 'ftp',
    anonymous: true,
    root: '/srv/ftp',
    permissions: new Set<Permission>(['read']),
    maxRateBytesPerSecond: 0,
    umask: 0o077,
    uploadDir: '/incoming',
    tlsRequired: false,
  };
  const local = (permissions: Permission[]): Account => ({
    ...anonymous,
    name: 'alice',
    anonymous: false,
    uploadDir: undefined,
    permissions: new Set(permissions),
  });
  const at = (virtual: string) => ({ virtual, canonical: virtual });

  it.each([
    [anonymous, '/pub/a.txt', 'file', 'r'],
    [anonymous, '/pub', 'dir', 'el'],
    [anonymous, '/', 'dir', 'el'],
    [anonymous, '/incoming', 'dir', 'ce'],
    [anonymous, '/incoming/up.bin', 'file', ''],
    [anonymous, '/pub/secret', 'dir', ''],
    [anonymous, '/pub/link', 'symlink', ''],
    [local(['read']), '/a.txt', 'file', 'r'],
    [local(['read']), '/d', 'dir', 'el'],
    [local(['read', 'write', 'delete', 'mkdir', 'rename']), '/a.txt', 'file', 'adfrw'],
    [local(['read', 'write', 'delete', 'mkdir', 'rename']), '/d', 'dir', 'cdeflmp'],
    // The root can be neither removed nor renamed.
    [local(['read', 'write', 'delete', 'mkdir', 'rename']), '/', 'dir', 'celmp'],
    [local(['delete', 'rename']), '/link', 'symlink', 'df'],
    [local(['write']), '/d', 'dir', 'c'],
  ] as const)('%#: %s', (account, path, type, expected) => {
    expect(permFact(account, rules, at(path), type)).toBe(expected);
  });
});

describe('FTP time values (RFC 3659 2.3)', () => {
  it.each([
    ['2026-11-26T05:08:07Z', false, '20261126050807'],
    ['2026-11-26T05:08:07.5Z', false, '20261126050807'],
    ['2026-11-26T05:08:07.5Z', true, '20261126050807.500'],
    ['2026-11-26T05:08:07Z', true, '20261126050807'],
    ['1970-01-01T00:00:00Z', false, '19700101000000'],
    ['0999-01-02T03:04:05Z', false, '09990102030405'],
  ])('%s (fraction %s) is %s', (iso, fraction, expected) => {
    expect(formatFtpTime(Date.parse(iso), fraction)).toBe(expected);
  });

  it.each([
    ['20261126050807', '2026-11-26T05:08:07.000Z'],
    ['20261126050807.1', '2026-11-26T05:08:07.100Z'],
    ['20261126050807.123', '2026-11-26T05:08:07.123Z'],
    ['20240229000000', '2024-02-29T00:00:00.000Z'],
    ['19700101000000', '1970-01-01T00:00:00.000Z'],
  ])('parses %s', (text, iso) => {
    expect(new Date(parseFtpTime(text) as number).toISOString()).toBe(iso);
  });

  it.each([
    '2026112605080', // too short
    '202611260508070', // too long
    '20261326050807', // month 13
    '20230229000000', // not a leap year
    '20261126240000', // hour 24
    '20261126056000', // minute 60
    '20261126050860', // second 60
    '20261126050807.', // a dot without digits
    '20261126050807.1234',
    '2026-11-26 05:08',
    '',
    ' 20261126050807',
  ])('refuses %j', (text) => {
    expect(parseFtpTime(text)).toBeUndefined();
  });
});
