/**
 * One line of the transfer log, in the xferlog(5) format of wu-ftpd that vsftpd writes with
 * `xferlog_std_format=YES`, so that existing tools (xferstats, log analysers) read ours unchanged:
 *
 *   current-time transfer-time remote-host file-size filename transfer-type special-action-flag
 *   direction access-mode username service-name authentication-method authenticated-user-id
 *   completion-status
 *
 *   Thu Nov 26 05:08:07 2026 1 127.0.0.1 12 /pub/readme.txt b _ o a <no_password> ftp 0 * c
 *
 * Fields are separated by single spaces, so none may contain one: like vsftpd, spaces in file
 * names become `_`; so do tabs, CR, LF and other control characters, which would otherwise let a
 * file name forge a whole log line.
 *
 * The username field. xferlog(5) says: for anonymous (and guest) logins, the identification string
 * given, which is the anonymous "password" (by RFC 1635 an e-mail address). vsftpd 3.0.3 writes
 * exactly that (`me@example.org`, or `?` when it was empty; run here on 2026-11-26), although
 * FIELD-NOTES.md shows a vsftpd line with `<no_password>`. We depart from it on purpose: our logs
 * never carry passwords, and people do type real passwords at anonymous prompts, so for anonymous
 * logins we write `<no_password>`. Real users get their login name.
 */

export interface TransferRecord {
  /** How long the transfer took; written in whole seconds, at least 1 (as vsftpd does). */
  readonly durationMs: number;
  readonly remoteHost: string;
  readonly bytes: number;
  /** The path as the client sees it, e.g. `/pub/readme.txt`. */
  readonly virtualPath: string;
  /** `a` ASCII, `b` binary (image). */
  readonly type: 'a' | 'b';
  /** `o` outgoing (download), `i` incoming (upload). */
  readonly direction: 'o' | 'i';
  readonly anonymous: boolean;
  /** The login name (not written for anonymous logins, see above). */
  readonly user: string;
  /** `c` complete, `i` incomplete (aborted, failed). */
  readonly completed: boolean;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

export const ANONYMOUS_IDENTITY = '<no_password>';

/**
 * strftime's `%a %b %e %H:%M:%S %Y` (the day of the month padded with a space, like ctime(3)), in
 * UTC: vsftpd's default (`use_localtime=NO`), and the same in every worker whatever TZ says.
 */
export function xferlogTime(date: Date): string {
  const two = (n: number): string => String(n).padStart(2, '0');
  const day = String(date.getUTCDate()).padStart(2, ' ');
  const time = `${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())}`;
  return `${DAYS[date.getUTCDay()]} ${MONTHS[date.getUTCMonth()]} ${day} ${time} ${date.getUTCFullYear()}`;
}

/** Spaces and control characters become `_`, so a field stays one field and a line one line. */
export function xferlogField(text: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is replaced
  const cleaned = text.replace(/[\s\u0000-\u001f\u007f]/g, '_');
  return cleaned === '' ? '_' : cleaned;
}

/** IPv4 clients accepted on a dual-stack socket show as `::ffff:a.b.c.d`; xferlog wants `a.b.c.d`. */
function plainAddress(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

/** The line for one transfer, newline included. */
export function formatXferlogLine(record: TransferRecord, now: Date = new Date()): string {
  const seconds = Math.max(1, Math.round(record.durationMs / 1000));
  const fields = [
    xferlogTime(now),
    String(seconds),
    xferlogField(plainAddress(record.remoteHost)),
    String(Math.max(0, Math.trunc(record.bytes))),
    xferlogField(record.virtualPath),
    record.type,
    '_', // special-action-flag: no compression or tar on the fly
    record.direction,
    record.anonymous ? 'a' : 'r',
    record.anonymous ? ANONYMOUS_IDENTITY : xferlogField(record.user),
    'ftp', // service-name
    '0', // authentication-method: none (1 would be RFC 931)
    '*', // authenticated-user-id: not available
    record.completed ? 'c' : 'i',
  ];
  return `${fields.join(' ')}\n`;
}
