/**
 * Early write-back for uploads (native/src/write_back.c): as an upload's bytes are written, the
 * kernel is asked to start putting them on disk, so the fsync before 226 has only the tail left
 * instead of the whole file. Advice only: without the addon, or if the call fails, nothing
 * changes but the time the final fsync takes.
 */
import { nativeAddon } from './addon.js';

/** Start writing these bytes of `fd` to disk now; resolves when the request is queued. */
export async function startWriteBack(fd: number, offset: number, length: number): Promise<void> {
  await nativeAddon()?.writeBack(fd, offset, length);
}
