/**
 * The RFC 864 "Data Syntax" pattern: "72 character lines of the ASCII printing characters. There are
 * 95 printing characters in the ASCII character set. Sort the characters into an ordered sequence
 * and number the characters from 0 through 94. Think of the sequence as a ring ... On line N, put
 * characters (0+N mod 95) through (71+N mod 95). End each line with carriage return and line feed."
 */

/** Space (0x20) through tilde (0x7e), in ASCII order: the RFC's ring of 95 characters. */
export const PRINTABLE = Array.from({ length: 95 }, (_, i) => String.fromCharCode(0x20 + i)).join('');
export const LINE_CHARACTERS = 72;
/** A line on the wire: 72 characters and CRLF. */
export const LINE_BYTES = LINE_CHARACTERS + 2;
/** Line 95 is line 0 again, so 95 lines are the whole pattern. */
export const LINES_PER_CYCLE = PRINTABLE.length;
/** RFC 864 over UDP: "a random number (between 0 and 512) of characters". */
export const MAX_DATAGRAM_BYTES = 512;

/** Line N of the pattern, CRLF included. */
export function chargenLine(n: number): string {
  const start = ((n % LINES_PER_CYCLE) + LINES_PER_CYCLE) % LINES_PER_CYCLE;
  const ring = PRINTABLE + PRINTABLE;
  return `${ring.slice(start, start + LINE_CHARACTERS)}\r\n`;
}

/**
 * `cycles` full turns of the pattern (95 lines each) in one Buffer. Because a turn ends where the
 * next begins, writing the same Buffer again and again gives the endless stream with no per-line
 * work and no allocation after start-up.
 */
export function chargenBlock(cycles = 1): Buffer {
  const cycle = Array.from({ length: LINES_PER_CYCLE }, (_, n) => chargenLine(n)).join('');
  return Buffer.from(cycle.repeat(cycles), 'ascii');
}

/**
 * How long a UDP answer is, from 0 to 512 inclusive (RFC 864). `randomInt(max)` returns an integer
 * in [0, max), as crypto.randomInt does; injectable so the bound can be tested.
 */
export function datagramLength(randomInt: (max: number) => number): number {
  return Math.min(MAX_DATAGRAM_BYTES, Math.max(0, randomInt(MAX_DATAGRAM_BYTES + 1)));
}
