/**
 * The FTP timestamp, `YYYYMMDDHHMMSS[.sss]`, always UTC (RFC 3659 section 2.3): MDTM's answer, the
 * MLSx `modify` fact, and MFMT's argument. Pure.
 */

/** `20261126050807`, or `20261126050807.123` with `fraction` and a non-zero millisecond part. */
export function formatFtpTime(ms: number, fraction = false): string {
  const date = new Date(ms);
  const pad = (value: number, width = 2): string => String(value).padStart(width, '0');
  const seconds =
    pad(date.getUTCFullYear(), 4) +
    pad(date.getUTCMonth() + 1) +
    pad(date.getUTCDate()) +
    pad(date.getUTCHours()) +
    pad(date.getUTCMinutes()) +
    pad(date.getUTCSeconds());
  const millis = date.getUTCMilliseconds();
  return fraction && millis !== 0 ? `${seconds}.${pad(millis, 3)}` : seconds;
}

const TIME_VAL = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.(\d{1,3}))?$/;

/**
 * Parses a time-val (RFC 3659 2.3: four-digit year, the fraction optional) to epoch milliseconds;
 * undefined when malformed or not a real date (February 30th, hour 24). Leap second 60 is refused:
 * file systems cannot store it.
 */
export function parseFtpTime(text: string): number | undefined {
  const match = TIME_VAL.exec(text);
  if (!match) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const millis = match[7] === undefined ? 0 : Number(match[7].padEnd(3, '0'));
  const ms = Date.UTC(year, month - 1, day, hour, minute, second, millis);
  const date = new Date(ms);
  // Date.UTC rolls over (month 13 is next January; years 0-99 mean 1900-1999): compare back.
  if (
    date.getUTCFullYear() !== year ||
    date.getUTCMonth() !== month - 1 ||
    date.getUTCDate() !== day ||
    date.getUTCHours() !== hour ||
    date.getUTCMinutes() !== minute ||
    date.getUTCSeconds() !== second
  ) {
    return undefined;
  }
  return ms;
}
