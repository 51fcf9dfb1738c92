import { describe, expect, it } from 'vitest';
import {
  formatXferlogLine,
  xferlogField,
  xferlogTime,
  type TransferRecord,
} from '../../../services/ftp/xferlog-format.js';

const base: TransferRecord = {
  durationMs: 400,
  remoteHost: '127.0.0.1',
  bytes: 12,
  virtualPath: '/pub/readme.txt',
  type: 'b',
  direction: 'o',
  anonymous: true,
  user: 'ftp',
  completed: true,
};

describe('xferlog line format (xferlog(5), as vsftpd writes it)', () => {
  it('matches the line vsftpd wrote for an anonymous download (FIELD-NOTES.md)', () => {
    expect(formatXferlogLine(base, new Date('2026-11-26T05:08:07Z'))).toBe(
      'Thu Nov 26 05:08:07 2026 1 127.0.0.1 12 /pub/readme.txt b _ o a <no_password> ftp 0 * c\n',
    );
  });

  it.each([
    ['2026-11-06T05:08:07Z', 'Fri Nov  6 05:08:07 2026'], // %e pads the day with a space
    ['2027-01-01T00:00:00Z', 'Fri Jan  1 00:00:00 2027'],
    ['2026-02-28T23:59:59.999Z', 'Sat Feb 28 23:59:59 2026'],
  ])('dates %s as %s (UTC, like ctime)', (iso, expected) => {
    expect(xferlogTime(new Date(iso))).toBe(expected);
  });

  it.each<[string, Partial<TransferRecord>, string]>([
    [
      'a real user upload, incomplete',
      { anonymous: false, user: 'alice', direction: 'i', completed: false },
      '/pub/readme.txt b _ i r alice ftp 0 * i',
    ],
    ['an ASCII transfer', { type: 'a' }, '/pub/readme.txt a _ o a <no_password> ftp 0 * c'],
    ['spaces in the name (vsftpd writes _)', { virtualPath: '/pub/my file.txt' }, '/pub/my_file.txt b _ o'],
    [
      'a newline cannot forge a line',
      { virtualPath: '/a\nThu Nov 26 05:08:07 2026 1 x' },
      '/a_Thu_Nov_26_05:08:07_2026_1_x b',
    ],
    ['tabs and CR', { virtualPath: '/a\tb\rc' }, '/a_b_c b'],
    ['UTF-8 names are kept', { virtualPath: '/pub/café.txt' }, '/pub/café.txt b'],
  ])('%s', (_name, change, expected) => {
    const line = formatXferlogLine({ ...base, ...change }, new Date('2026-11-26T05:08:07Z'));
    expect(line).toContain(expected);
    expect(line.split('\n')).toHaveLength(2);
    expect(line.trimEnd().split(' ')).toHaveLength(18); // 14 fields, the date counting as 5
  });

  it.each([
    [0, '1'],
    [400, '1'],
    [1499, '1'],
    [2500, '3'],
    [61_000, '61'],
  ])('a transfer of %d ms takes %s s (never 0)', (durationMs, seconds) => {
    const line = formatXferlogLine({ ...base, durationMs }, new Date('2026-11-26T05:08:07Z'));
    expect(line.split(' ')[5]).toBe(seconds);
  });

  it('writes sizes past 4 GiB whole', () => {
    const line = formatXferlogLine({ ...base, bytes: 5 * 2 ** 30 + 7 }, new Date('2026-11-26T05:08:07Z'));
    expect(line).toContain(' 5368709127 /pub/readme.txt ');
  });

  it('writes IPv4-mapped addresses as plain IPv4, IPv6 as is', () => {
    expect(formatXferlogLine({ ...base, remoteHost: '::ffff:10.0.0.1' })).toContain(' 10.0.0.1 12 ');
    expect(formatXferlogLine({ ...base, remoteHost: '::1' })).toContain(' ::1 12 ');
  });

  it('keeps user names to one field', () => {
    expect(formatXferlogLine({ ...base, anonymous: false, user: 'bad name' })).toContain(' r bad_name ftp ');
    expect(xferlogField('')).toBe('_');
  });
});
