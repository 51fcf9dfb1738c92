/**
 * Advisory locks between sessions on one file, across worker processes (native/src/file_lock.c):
 * flock(2), never waiting. What takes them, and why, is the FTP service's business
 * (services/ftp/data/upload-file.ts, commands/transfer-commands.ts).
 */
import type { FileHandle } from 'node:fs/promises';
import { constants } from 'node:os';
import { nativeAddon } from './addon.js';

/** `busy`: another holds a lock that excludes this one. `unavailable`: no addon, or flock failed. */
export type FileLockOutcome = 'locked' | 'busy' | 'unavailable';

/** Locks the open file description `handle` holds, exclusively or shared; released when it closes. */
export function tryLockFile(handle: FileHandle, exclusive: boolean): FileLockOutcome {
  const addon = nativeAddon();
  if (!addon) return 'unavailable';
  const result = addon.fileLockTry(handle.fd, exclusive);
  if (result === 0) return 'locked';
  return result === -constants.errno.EWOULDBLOCK ? 'busy' : 'unavailable';
}
