import { describe, expect, it } from 'vitest';
import { encodeRfc868, rfc868Seconds, SECONDS_1900_TO_1970 } from '../../../services/time/rfc868.js';

describe('RFC 868 time conversion', () => {
  // The first five rows are the RFC's own examples ("The Time" section).
  it.each([
    ['1970-01-01T00:00:00Z', 2_208_988_800],
    ['1976-01-01T00:00:00Z', 2_398_291_200],
    ['1980-01-01T00:00:00Z', 2_524_521_600],
    ['1983-05-01T00:00:00Z', 2_629_584_000],
    // "-1,297,728,000 corresponds to 00:00 17 Nov 1858 GMT", which modulo 2^32 is:
    ['1858-11-17T00:00:00Z', 2 ** 32 - 1_297_728_000],
    ['1900-01-01T00:00:00Z', 0],
    ['2026-11-26T05:19:33Z', 4_004_659_173],
    // Fractions of a second are dropped, not rounded.
    ['1970-01-01T00:00:00.999Z', 2_208_988_800],
    // The last second the 32-bit counter can hold, and the wrap after it.
    ['2036-02-07T06:28:15Z', 2 ** 32 - 1],
    ['2036-02-07T06:28:16Z', 0],
    ['2036-02-07T06:28:17Z', 1],
    ['2106-02-07T06:28:16Z', SECONDS_1900_TO_1970],
  ])('%s is %d', (iso, expected) => {
    expect(rfc868Seconds(new Date(iso))).toBe(expected);
  });

  it.each([
    ['1970-01-01T00:00:00Z', [0x83, 0xaa, 0x7e, 0x80]],
    ['2036-02-07T06:28:15Z', [0xff, 0xff, 0xff, 0xff]],
    ['2036-02-07T06:28:16Z', [0x00, 0x00, 0x00, 0x00]],
  ])('encodes %s as four big-endian bytes', (iso, bytes) => {
    expect([...encodeRfc868(new Date(iso))]).toEqual(bytes);
  });
});
