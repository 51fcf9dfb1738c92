/**
 * RFC 868 time: "the number of seconds since 00:00 (midnight) 1 January 1900 GMT", sent as "a 32 bit
 * binary number". 32 bits of seconds from 1900 run out at 2036-02-07 06:28:16 UTC; the RFC defines
 * no era field, so, like every other implementation, we send the count modulo 2^32 and leave it to
 * clients to place it in the right 136-year era.
 */

/** Seconds from 1900-01-01 to 1970-01-01: RFC 868 says 2,208,988,800 "corresponds to 00:00 1 Jan 1970 GMT". */
export const SECONDS_1900_TO_1970 = 2_208_988_800;

const TWO_TO_THE_32 = 2 ** 32;

/** The RFC 868 counter for a moment: whole seconds since 1900, modulo 2^32 (always 0 ..= 2^32 - 1). */
export function rfc868Seconds(date: Date): number {
  const seconds = Math.floor(date.getTime() / 1000) + SECONDS_1900_TO_1970;
  // The double remainder keeps moments before 1900 in range too (RFC 868: -1,297,728,000 is 1858).
  return ((seconds % TWO_TO_THE_32) + TWO_TO_THE_32) % TWO_TO_THE_32;
}

/** The four bytes the service sends: the counter in network (big-endian) byte order. */
export function encodeRfc868(date: Date): Buffer {
  const buffer = Buffer.alloc(4);
  buffer.writeUInt32BE(rfc868Seconds(date));
  return buffer;
}
