/**
 * Password hashes for config files: scrypt (RFC 7914), stored as
 * `$scrypt$N=16384,r=8,p=1$<salt base64>$<key base64>`. Verification takes the parameters from the
 * hash, so they can be raised later without breaking existing hashes, and compares in constant time.
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { encodeRawBytes } from '../../../shared/text/raw-bytes.js';

const DEFAULT_PARAMS = { N: 16384, r: 8, p: 1 } as const;
const KEY_LENGTH = 32;
const HASH_FORMAT = /^\$scrypt\$N=(\d+),r=(\d+),p=(\d+)\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/;

/**
 * The key for `password`: its UTF-8 bytes after NFC, and a byte that is not UTF-8 (a Latin-1 PASS,
 * shared/text/raw-bytes.ts) as itself, so that two such passwords never hash alike as U+FFFD.
 */
function derive(password: string, salt: Buffer, length: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(
      encodeRawBytes(password.normalize('NFC')),
      salt,
      length,
      { ...options, maxmem: 256 * 1024 * 1024 },
      (error, key) => (error ? reject(error) : resolve(key)),
    ),
  );
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, KEY_LENGTH, DEFAULT_PARAMS);
  const { N, r, p } = DEFAULT_PARAMS;
  return `$scrypt$N=${N},r=${r},p=${p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

export function isPasswordHash(text: string): boolean {
  return passwordHashProblem(text) === undefined;
}

/** scrypt's memory per hash is 128r(p + N + 2) bytes; derive() allows this much. */
const MAX_MEMORY_BYTES = 256 * 1024 * 1024;
const MAX_WORK = 2 ** 24;

/**
 * What is wrong with a hash from the config, or undefined: checked at start, so that a mistyped
 * hash is an error naming its user rather than a login that can never succeed (a malformed
 * hash) or fails with 451 every time (parameters scrypt refuses).
 */
export function passwordHashProblem(text: string): string | undefined {
  const match = HASH_FORMAT.exec(text);
  if (!match) return 'must be a hash from `classicd hash-password` ($scrypt$N=...,r=...,p=...$salt$key)';
  const [N, r, p] = [Number(match[1]), Number(match[2]), Number(match[3])];
  // RFC 7914 section 2: N a power of two greater than 1; r and p positive. And what OpenSSL,
  // behind Node's scrypt, asks besides (crypto/kdf/scrypt.c): N below 2^(16r), p * r below 2^30,
  // and the memory of B and V, 128r(p + N + 2) bytes, within derive()'s maxmem.
  if (N < 2 || !Number.isSafeInteger(N) || 2 ** Math.round(Math.log2(N)) !== N)
    return 'scrypt N must be a power of two greater than 1';
  if (r < 1 || p < 1) return 'scrypt r and p must be at least 1';
  if (Math.log2(N) >= 16 * r) return 'scrypt N must be below 2^(16r)';
  if (p * r >= 2 ** 30) return 'scrypt p * r must be below 2^30';
  // And time: N * r * p is the work of one login, on a thread-pool thread. The default's is 2^17
  // (about 45 ms here); 2^24 took 4.4 s, and every failed guess would cost as much.
  if (N * r * p > MAX_WORK) return 'scrypt N * r * p above 2^24 would take seconds a login (the default is 2^17)';
  if (128 * r * (p + N + 2) > MAX_MEMORY_BYTES)
    return `scrypt N, r and p need more than ${MAX_MEMORY_BYTES >> 20} MiB a login`;
  if (Buffer.from(match[5] as string, 'base64').length < 16) return 'the key part is too short';
  return undefined;
}

export async function verifyPassword(password: string, hash: string): Promise<boolean> {
  const match = HASH_FORMAT.exec(hash);
  if (!match) return false;
  const [, N, r, p, saltText, keyText] = match as unknown as [string, string, string, string, string, string];
  const expected = Buffer.from(keyText, 'base64');
  const key = await derive(password, Buffer.from(saltText, 'base64'), expected.length, {
    N: Number(N),
    r: Number(r),
    p: Number(p),
  });
  return key.length === expected.length && timingSafeEqual(key, expected);
}
