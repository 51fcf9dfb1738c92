/**
 * Paths between the session's strings and the kernel's bytes.
 *
 * A path a client names, or one read from the disk, may hold bytes that are not UTF-8 (a name
 * made by a Latin-1 client, an old archive); such bytes are carried in strings as lone surrogates
 * (shared/text/raw-bytes.ts), so that those names can be listed and named back, as vsftpd, ProFTPD
 * and pure-ftpd allow. Node's fs takes a string path as UTF-8, which would turn each such byte into
 * U+FFFD and name another file, so every path handed to fs goes through `osPath`, and every path
 * read back from the kernel (realpath, readlink) comes as bytes and is decoded here.
 */
import { readlink, realpath } from 'node:fs/promises';
import { decodeRawBytes, encodeRawBytes, hasRawBytes } from '../../../shared/text/raw-bytes.js';

/** A path as Node's fs calls take it. */
export type OsPath = string | Buffer;

/** `path` as fs should get it: the string itself, or its bytes where it holds raw ones. */
export function osPath(path: string): OsPath {
  return hasRawBytes(path) ? encodeRawBytes(path) : path;
}

/** realpath(3) of `path`, its bytes decoded without loss. */
export async function realpathOf(path: string): Promise<string> {
  return decodeRawBytes(await realpath(osPath(path), { encoding: 'buffer' }));
}

/** readlink(2) of `path`, its bytes decoded without loss. */
export async function readlinkOf(path: OsPath): Promise<string> {
  return decodeRawBytes(await readlink(path, { encoding: 'buffer' }));
}
