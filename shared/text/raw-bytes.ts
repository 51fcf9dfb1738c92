/**
 * Bytes that are not UTF-8, carried in JavaScript strings without loss: Python's "surrogateescape"
 * (PEP 383).
 *
 * A Unix file name is any bytes but `/` and NUL; a protocol line from an old client may be Latin-1.
 * Decoding such bytes as UTF-8 with replacement (U+FFFD) loses them: the name can no longer be
 * named back to the file system, and two names can come out the same. Here every byte that is not
 * part of a well-formed UTF-8 sequence (RFC 3629) becomes the lone low surrogate U+DC80..U+DCFF
 * that stands for it, and encoding turns each such surrogate back into its byte. Well-formed
 * UTF-8 never decodes to a lone surrogate (an encoded surrogate, ED A0..BF xx, is itself
 * ill-formed, so its bytes are escaped), so the mapping is one-to-one both ways: any bytes decode,
 * and encode back to exactly the same bytes.
 */

/**
 * ignoreBOM: a U+FEFF is a character of the name like any other. TextDecoder drops one at the start
 * by default, and the slow path decodes sequence by sequence, so every BOM would vanish and two
 * names (or `\uFEFF..` and `..`) would come out the same.
 */
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** A lone surrogate standing for a raw byte (`u`: a surrogate pair is one code point, no match). */
const ESCAPED_BYTE = /[\uDC80-\uDCFF]/u;

/** Whether `text` holds bytes that are not UTF-8 (escaped as lone surrogates). */
export function hasRawBytes(text: string): boolean {
  return ESCAPED_BYTE.test(text);
}

/** `bytes` as a string: UTF-8 where well-formed, each other byte as its lone surrogate. */
export function decodeRawBytes(bytes: Uint8Array): string {
  try {
    return strictUtf8.decode(bytes); // the common case, at native speed
  } catch {
    return decodeEscaping(bytes);
  }
}

/** `text` as bytes: UTF-8, with each escaped byte (decodeRawBytes) as itself again. */
export function encodeRawBytes(text: string): Buffer {
  if (!hasRawBytes(text)) return Buffer.from(text, 'utf8');
  const parts: Buffer[] = [];
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff && isLowSurrogate(text.charCodeAt(i + 1))) {
      i++; // a pair: one astral character, UTF-8 as it is
      continue;
    }
    if (unit < 0xdc80 || unit > 0xdcff) continue;
    if (i > start) parts.push(Buffer.from(text.slice(start, i), 'utf8'));
    parts.push(Buffer.of(unit - 0xdc00));
    start = i + 1;
  }
  if (start < text.length) parts.push(Buffer.from(text.slice(start), 'utf8'));
  return Buffer.concat(parts);
}

function isLowSurrogate(unit: number): boolean {
  return unit >= 0xdc00 && unit <= 0xdfff;
}

/**
 * The slow path, for bytes that are not all UTF-8. A sequence is taken only when whole and
 * well-formed by RFC 3629's table (section 4): no overlong form, no surrogate, nothing above
 * U+10FFFF; otherwise its first byte is escaped and decoding goes on at the next. The bytes of a
 * broken sequence are continuation bytes, which never start one, so each of them is escaped too.
 */
function decodeEscaping(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  while (i < bytes.length) {
    const length = sequenceLength(bytes, i);
    if (length === 0) {
      out += String.fromCharCode(0xdc00 + (bytes[i] as number));
      i++;
      continue;
    }
    out += strictUtf8.decode(bytes.subarray(i, i + length));
    i += length;
  }
  return out;
}

/** The length of the well-formed UTF-8 sequence at `at`, or 0 if there is none. */
function sequenceLength(bytes: Uint8Array, at: number): number {
  const lead = bytes[at] as number;
  if (lead < 0x80) return 1;
  // RFC 3629 section 4: the second byte's range depends on the first; later ones are 80..BF.
  let length: number;
  let low = 0x80;
  let high = 0xbf;
  if (lead >= 0xc2 && lead <= 0xdf) length = 2;
  else if (lead >= 0xe0 && lead <= 0xef) {
    length = 3;
    if (lead === 0xe0) low = 0xa0; // no overlong forms
    if (lead === 0xed) high = 0x9f; // no surrogates
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    length = 4;
    if (lead === 0xf0) low = 0x90; // no overlong forms
    if (lead === 0xf4) high = 0x8f; // nothing above U+10FFFF
  } else return 0; // 80..C1 (continuations, overlong leads), F5..FF
  if (at + length > bytes.length) return 0;
  const second = bytes[at + 1] as number;
  if (second < low || second > high) return 0;
  for (let k = 2; k < length; k++) {
    const next = bytes[at + k] as number;
    if (next < 0x80 || next > 0xbf) return 0;
  }
  return length;
}
