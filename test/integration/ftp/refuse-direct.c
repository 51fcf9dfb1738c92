/*
 * A file system that takes O_DIRECT at open but refuses every direct write as misaligned, for
 * direct-refused.test.ts (btrfs with 64 KiB sectors does so for 4 KiB-aligned writes): loaded with
 * LD_PRELOAD, pwrite(2) on a descriptor opened with O_DIRECT fails with EINVAL, and on exit the
 * number it refused is appended to $REFUSE_DIRECT_LOG, so the test knows the shim was in the path.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static long refused;

static int refuse(int fd) {
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0 || !(flags & O_DIRECT)) return 0;
  __atomic_add_fetch(&refused, 1, __ATOMIC_RELAXED);
  errno = EINVAL;
  return 1;
}

/* With _FILE_OFFSET_BITS=64 (node-gyp's default) callers bind to pwrite64; others to pwrite. */
ssize_t pwrite64(int fd, const void *buffer, size_t count, off_t offset) {
  static ssize_t (*real)(int, const void *, size_t, off_t);
  if (!real) real = dlsym(RTLD_NEXT, "pwrite64");
  return refuse(fd) ? -1 : real(fd, buffer, count, offset);
}

ssize_t pwrite(int fd, const void *buffer, size_t count, off_t offset) {
  static ssize_t (*real)(int, const void *, size_t, off_t);
  if (!real) real = dlsym(RTLD_NEXT, "pwrite");
  return refuse(fd) ? -1 : real(fd, buffer, count, offset);
}

__attribute__((destructor)) static void report(void) {
  const char *path = getenv("REFUSE_DIRECT_LOG");
  long count = __atomic_load_n(&refused, __ATOMIC_RELAXED);
  if (!path || count == 0) return;
  int fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0600);
  if (fd < 0) return;
  char line[64];
  int length = snprintf(line, sizeof line, "%ld\n", count);
  if (length > 0) (void)!write(fd, line, (size_t)length);
  close(fd);
}
