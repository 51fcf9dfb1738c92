/**
 * LIST lines in the `ls -l` format every FTP client parses (RFC 959 leaves LIST's format to the
 * server; SYST's `UNIX Type: L8` tells clients to expect this one). Pure.
 *
 *   -rw-r--r--    1 ftp      ftp          1234 Nov 26 05:08 readme.txt
 *   drwxr-xr-x    2 ftp      ftp          4096 Mar 03  2024 pub
 *   lrwxrwxrwx    1 ftp      ftp             6 Nov 26 05:08 latest -> pub/v2
 *
 * Column widths are vsftpd's (ls.c: link count padded to 4, owner and group to 8, size to 8), and so
 * is the date: `%b %d %H:%M` for files modified within the last six months and not in the future,
 * `%b %d  %Y` otherwise, in UTC (vsftpd's default, use_localtime=NO; MDTM and MLSx are UTC too).
 * Six months is GNU ls's: half a Gregorian year, 15,778,476 seconds.
 *
 * A symlink shows its target as stored (`latest -> pub/v2`), as ls and vsftpd do, even one that
 * points out of the root: the text names a path, and following it is refused (session-file-system).
 *
 * Owner and group: anonymous sees `ftp ftp`, as vsftpd shows anonymous users (hide_ids), which
 * leaks no local account names; local users see the numeric uid and gid (no passwd lookup: these
 * are virtual users, and the numbers are what the server's own files carry).
 */
import type { EntryInfo } from './entry-info.js';

export const SIX_MONTHS_MS = (31_556_952 / 2) * 1000;

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;

const TYPE_LETTER = {
  file: '-',
  dir: 'd',
  symlink: 'l',
  fifo: 'p',
  socket: 's',
  char: 'c',
  block: 'b',
  unknown: '?',
} as const;

export interface LsOptions {
  /** "Now" for the recent-or-old date choice, epoch ms; one value per listing. */
  readonly nowMs: number;
  /** `names`: `ftp ftp`; `numeric`: uid and gid. */
  readonly owners: 'ftp' | 'numeric';
}

/** `drwxr-sr-t`: the type letter, then rwx for user, group and other with setuid/setgid/sticky. */
export function modeString(entry: Pick<EntryInfo, 'type' | 'mode'>): string {
  const { mode } = entry;
  const triplet = (shift: number, special: boolean, specialLetter: 's' | 't'): string => {
    const bits = (mode >> shift) & 0o7;
    const execute = bits & 0o1;
    let x = execute ? 'x' : '-';
    if (special) x = execute ? specialLetter : specialLetter.toUpperCase();
    return (bits & 0o4 ? 'r' : '-') + (bits & 0o2 ? 'w' : '-') + x;
  };
  return (
    TYPE_LETTER[entry.type] +
    triplet(6, (mode & 0o4000) !== 0, 's') +
    triplet(3, (mode & 0o2000) !== 0, 's') +
    triplet(0, (mode & 0o1000) !== 0, 't')
  );
}

/** `Nov 26 05:08` when recent, `Nov 26  2024` when older than six months or in the future. */
export function lsDate(mtimeMs: number, nowMs: number): string {
  const date = new Date(mtimeMs);
  const pad = (value: number): string => String(value).padStart(2, '0');
  const monthDay = `${MONTHS[date.getUTCMonth()] ?? '???'} ${pad(date.getUTCDate())}`;
  const recent = mtimeMs <= nowMs && nowMs - mtimeMs < SIX_MONTHS_MS;
  if (recent) return `${monthDay} ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}`;
  return `${monthDay}  ${String(date.getUTCFullYear()).padStart(4, ' ')}`;
}

/**
 * One LIST line, without the line end. The caller has made sure the name (and link target) hold no
 * CR or LF (directory-stream.ts leaves such names out); `->` in a name is shown as is, as ls does.
 */
export function formatLsLine(entry: EntryInfo, options: LsOptions): string {
  const owner = options.owners === 'ftp' ? 'ftp' : String(entry.uid);
  const group = options.owners === 'ftp' ? 'ftp' : String(entry.gid);
  let line =
    `${modeString(entry)} ${String(entry.nlink).padStart(4)} ${owner.padEnd(8)} ${group.padEnd(8)} ` +
    `${String(entry.size).padStart(8)} ${lsDate(entry.mtimeMs, options.nowMs)} ${entry.name}`;
  if (entry.type === 'symlink' && entry.linkTarget !== undefined) line += ` -> ${entry.linkTarget}`;
  return line;
}
