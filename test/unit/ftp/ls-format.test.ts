import { describe, expect, it } from 'vitest';
import type { EntryInfo } from '../../../services/ftp/fs/entry-info.js';
import { formatLsLine, lsDate, modeString, SIX_MONTHS_MS } from '../../../services/ftp/fs/ls-format.js';

const NOW = Date.parse('2026-11-26T05:08:07Z');

function entry(overrides: Partial<EntryInfo> = {}): EntryInfo {
  return {
    name: 'readme.txt',
    type: 'file',
    mode: 0o100644,
    nlink: 1,
    uid: 1000,
    gid: 100,
    size: 1234n,
    mtimeMs: Date.parse('2026-11-26T05:08:00Z'),
    dev: 2049n,
    ino: 131_074n,
    ...overrides,
  };
}

describe('ls -l mode strings', () => {
  it.each([
    [{ type: 'file', mode: 0o100644 }, '-rw-r--r--'],
    [{ type: 'dir', mode: 0o040755 }, 'drwxr-xr-x'],
    [{ type: 'symlink', mode: 0o120777 }, 'lrwxrwxrwx'],
    [{ type: 'fifo', mode: 0o010600 }, 'prw-------'],
    [{ type: 'socket', mode: 0o140755 }, 'srwxr-xr-x'],
    [{ type: 'char', mode: 0o020666 }, 'crw-rw-rw-'],
    [{ type: 'block', mode: 0o060660 }, 'brw-rw----'],
    [{ type: 'file', mode: 0o104755 }, '-rwsr-xr-x'], // setuid
    [{ type: 'file', mode: 0o104644 }, '-rwSr--r--'], // setuid without execute
    [{ type: 'dir', mode: 0o042775 }, 'drwxrwsr-x'], // setgid
    [{ type: 'dir', mode: 0o042765 }, 'drwxrwSr-x'],
    [{ type: 'dir', mode: 0o041777 }, 'drwxrwxrwt'], // sticky
    [{ type: 'dir', mode: 0o041776 }, 'drwxrwxrwT'],
    [{ type: 'file', mode: 0o100000 }, '----------'],
  ] as const)('%j is %s', (fields, expected) => {
    expect(modeString(fields)).toBe(expected);
  });
});

describe('ls -l dates', () => {
  it.each([
    ['2026-11-26T05:08:00Z', 'Nov 26 05:08'], // a few seconds ago
    ['2026-11-26T05:08:07Z', 'Nov 26 05:08'], // exactly now
    ['2026-11-06T23:59:59Z', 'Nov 06 23:59'], // the day zero-padded, as vsftpd prints it
    ['2026-06-01T00:00:00Z', 'Jun 01 00:00'], // within six months
    ['2026-05-01T00:00:00Z', 'May 01  2026'], // more than six months ago
    ['2025-11-26T05:08:07Z', 'Nov 26  2025'], // a year ago
    ['1999-12-31T23:59:59Z', 'Dec 31  1999'],
    ['1970-01-01T00:00:00Z', 'Jan 01  1970'],
    ['2026-11-26T05:08:08Z', 'Nov 26  2026'], // one second in the future
    ['2027-03-01T12:00:00Z', 'Mar 01  2027'], // in the future
  ])('%s is shown as %s', (iso, expected) => {
    expect(lsDate(Date.parse(iso), NOW)).toBe(expected);
  });

  it('switches to the year exactly at six months', () => {
    expect(lsDate(NOW - SIX_MONTHS_MS + 60_000, NOW)).toMatch(/\d\d:\d\d$/);
    expect(lsDate(NOW - SIX_MONTHS_MS, NOW)).toMatch(/ {2}\d{4}$/);
  });

  it('prints dates in UTC whatever the time zone', () => {
    // 23:30 UTC is already the next day east of Greenwich; the listing keeps UTC.
    expect(lsDate(Date.parse('2026-11-25T23:30:00Z'), NOW)).toBe('Nov 25 23:30');
  });
});

describe('ls -l lines', () => {
  it.each([
    [entry(), 'ftp', '-rw-r--r--    1 ftp      ftp          1234 Nov 26 05:08 readme.txt'],
    [entry(), 'numeric', '-rw-r--r--    1 1000     100          1234 Nov 26 05:08 readme.txt'],
    [
      entry({
        name: 'pub',
        type: 'dir',
        mode: 0o040755,
        nlink: 12,
        size: 4096n,
        mtimeMs: Date.parse('2024-03-03T10:00:00Z'),
      }),
      'ftp',
      'drwxr-xr-x   12 ftp      ftp          4096 Mar 03  2024 pub',
    ],
    [
      entry({ name: 'latest', type: 'symlink', mode: 0o120777, size: 6n, linkTarget: 'pub/v2' }),
      'ftp',
      'lrwxrwxrwx    1 ftp      ftp             6 Nov 26 05:08 latest -> pub/v2',
    ],
    [
      entry({ name: 'escape', type: 'symlink', mode: 0o120777, size: 4n, linkTarget: '/etc' }),
      'ftp',
      'lrwxrwxrwx    1 ftp      ftp             4 Nov 26 05:08 escape -> /etc',
    ],
    [
      entry({ name: 'big.iso', size: 5_000_000_000n, nlink: 10_001 }),
      'ftp',
      '-rw-r--r-- 10001 ftp      ftp      5000000000 Nov 26 05:08 big.iso',
    ],
    [
      entry({ name: 'with spaces  and ünïcödé.txt', size: 0n }),
      'ftp',
      '-rw-r--r--    1 ftp      ftp             0 Nov 26 05:08 with spaces  and ünïcödé.txt',
    ],
    [
      entry({ name: 'long-owner', uid: 4_294_967_294, gid: 123_456_789 }),
      'numeric',
      '-rw-r--r--    1 4294967294 123456789     1234 Nov 26 05:08 long-owner',
    ],
  ] as const)('%#: %s', (info, owners, expected) => {
    expect(formatLsLine(info, { nowMs: NOW, owners })).toBe(expected);
  });
});
