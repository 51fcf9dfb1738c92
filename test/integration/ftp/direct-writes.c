/*
 * Watches pwrite(2) on descriptors opened with O_DIRECT, for direct-writes.test.ts. Loaded with
 * LD_PRELOAD into classicd's worker, it either refuses them all with EINVAL ($DIRECT_WRITES=refuse:
 * a file system that takes O_DIRECT at open but refuses the writes, as btrfs with 64 KiB sectors
 * does 4 KiB-aligned ones) or lets them through and counts how they went ($DIRECT_WRITES=count).
 * On exit it appends "<succeeded> <failed> <refused>" to $DIRECT_WRITES_LOG, so the test knows
 * the shim was in the path and what the job asked of the disk.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static long succeeded, failed, refused;

static int is_direct(int fd) {
  int flags = fcntl(fd, F_GETFL);
  return flags >= 0 && (flags & O_DIRECT);
}

static int refusing(void) {
  const char *mode = getenv("DIRECT_WRITES");
  return mode != NULL && strcmp(mode, "refuse") == 0;
}

static ssize_t watched(ssize_t (*real)(int, const void *, size_t, off_t), int fd, const void *buffer, size_t count,
                       off_t offset) {
  if (!is_direct(fd)) return real(fd, buffer, count, offset);
  if (refusing()) {
    __atomic_add_fetch(&refused, 1, __ATOMIC_RELAXED);
    errno = EINVAL;
    return -1;
  }
  ssize_t wrote = real(fd, buffer, count, offset);
  __atomic_add_fetch(wrote < 0 ? &failed : &succeeded, 1, __ATOMIC_RELAXED);
  return wrote;
}

/* With _FILE_OFFSET_BITS=64 (node-gyp's default) callers bind to pwrite64; others to pwrite. */
ssize_t pwrite64(int fd, const void *buffer, size_t count, off_t offset) {
  static ssize_t (*real)(int, const void *, size_t, off_t);
  if (!real) real = dlsym(RTLD_NEXT, "pwrite64");
  return watched(real, fd, buffer, count, offset);
}

ssize_t pwrite(int fd, const void *buffer, size_t count, off_t offset) {
  static ssize_t (*real)(int, const void *, size_t, off_t);
  if (!real) real = dlsym(RTLD_NEXT, "pwrite");
  return watched(real, fd, buffer, count, offset);
}

__attribute__((destructor)) static void report(void) {
  const char *path = getenv("DIRECT_WRITES_LOG");
  if (!path) return;
  int fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0600);
  if (fd < 0) return;
  char line[96];
  int length = snprintf(line, sizeof line, "%ld %ld %ld\n", __atomic_load_n(&succeeded, __ATOMIC_RELAXED),
                        __atomic_load_n(&failed, __ATOMIC_RELAXED), __atomic_load_n(&refused, __ATOMIC_RELAXED));
  if (length > 0) (void)!write(fd, line, (size_t)length);
  close(fd);
}
