/**
 * RFC 867 leaves the daytime syntax open ("there is no specific syntax for the daytime"), and
 * recommends ASCII printing characters on one line. We offer the formats the peers use.
 */
export const DAYTIME_FORMATS = ['ctime', 'rfc867', 'xinetd', 'iso8601'] as const;
export type DaytimeFormat = (typeof DAYTIME_FORMATS)[number];

const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
// prettier-ignore
const MONTHS = [
  'January', 'February', 'March', 'April', 'May', 'June',
  'July', 'August', 'September', 'October', 'November', 'December',
];

const pad = (value: number, width = 2): string => String(value).padStart(width, '0');

/** One line, CRLF-terminated, in UTC. */
export function formatDaytime(date: Date, format: DaytimeFormat): string {
  const weekday = WEEKDAYS[date.getUTCDay()] as string;
  const month = MONTHS[date.getUTCMonth()] as string;
  const day = date.getUTCDate();
  const year = date.getUTCFullYear();
  const time = `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}`;
  switch (format) {
    // asctime(3), as openbsd-inetd says it: "Thu Nov 26 05:19:33 2026".
    case 'ctime':
      return `${weekday.slice(0, 3)} ${month.slice(0, 3)} ${String(day).padStart(2, ' ')} ${time} ${year}\r\n`;
    // RFC 867's first example: "Tuesday, February 22, 1982 17:37:43-PST".
    case 'rfc867':
      return `${weekday}, ${month} ${day}, ${year} ${time}-UTC\r\n`;
    // xinetd's internal service: "26 NOV 2026 05:19:21 UTC".
    case 'xinetd':
      return `${pad(day)} ${month.slice(0, 3).toUpperCase()} ${year} ${time} UTC\r\n`;
    case 'iso8601':
      return `${date.toISOString().replace(/\.\d{3}Z$/, 'Z')}\r\n`;
  }
}
