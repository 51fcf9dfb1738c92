/**
 * FTP replies, shaped as RFC 959 section 4.2 says.
 *
 * One line: `250 Text`. Several: `211-First line`, then the middle lines, then `211 Last line` with
 * the same code. A middle line that itself begins with three digits and a space or hyphen could be
 * mistaken for the end, so it gets a leading space (RFC 959 4.2: the server should pad it).
 */
import { encodeRawBytes, hasRawBytes } from '../../shared/text/raw-bytes.js';

export type ReplyText = string | readonly string[];

/**
 * Control lines never carry CR or LF inside the text: a path with a newline cannot forge a reply.
 * Other control characters (a NUL, an ESC that would drive the user's terminal, C1 controls) are
 * shown as `?`, as `ls -q` shows them; a tab stays.
 */
function clean(line: string): string {
  // One test on every reply; the replacing only for the rare line that needs it.
  if (!CONTROL.test(line)) return line;
  return line.replace(/[\r\n]/g, ' ').replace(OTHER_CONTROLS, '?');
}

/* eslint-disable no-control-regex -- matching control characters is the point */
const CONTROL = /[\x00-\x1f\x7f-\x9f]/;
const OTHER_CONTROLS = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;
/* eslint-enable no-control-regex */

export interface ReplyOptions {
  /**
   * Every line but the last as `ddd-text`, as vsftpd writes its directory messages, rather than
   * only the first (RFC 959 4.2 allows both): for free text, which a client then shows line by
   * line whatever it does with uncoded middle lines.
   */
  readonly codeEveryLine?: boolean;
}

export function formatReply(code: number, text: ReplyText, options: ReplyOptions = {}): string {
  const lines = (typeof text === 'string' ? [text] : [...text]).map(clean);
  if (lines.length === 0) lines.push('');
  if (lines.length === 1) return `${code} ${lines[0]}\r\n`;
  const first = lines[0] as string;
  const last = lines[lines.length - 1] as string;
  const middle = lines
    .slice(1, -1)
    .map((line) => (options.codeEveryLine ? `${code}-${line}` : /^\d{3}[ -]/.test(line) ? ` ${line}` : line));
  return [`${code}-${first}`, ...middle, `${code} ${last}`].join('\r\n') + '\r\n';
}

/**
 * A formatted reply as the socket should get it: a name's raw bytes as themselves
 * (shared/text/raw-bytes.ts), and a 0xFF among them doubled, as the control connection's Telnet
 * asks of a data byte 255 (RFC 854: IAC IAC) and as vsftpd sends it. UTF-8 never holds 0xFF, so
 * only such names have one. Almost every reply has no raw byte, and goes as the string it is.
 */
export function replyWire(wire: string): string | Buffer {
  if (!hasRawBytes(wire)) return wire;
  const bytes = encodeRawBytes(wire);
  if (!bytes.includes(IAC)) return bytes;
  const doubled: number[] = [];
  for (const byte of bytes) {
    doubled.push(byte);
    if (byte === IAC) doubled.push(IAC);
  }
  return Buffer.from(doubled);
}

const IAC = 0xff;

/** RFC 959 section 4.2: a path inside a reply doubles its quotes (`257 "/a""b" created`). */
export function quotePath(path: string): string {
  return `"${path.replace(/"/g, '""')}"`;
}
