/*
 * A disk slower than the network, for slow-disk.test.ts: loaded with LD_PRELOAD, it makes every
 * pwrite(2) of 64 KiB or more sleep 3 ms before writing (at most ~85 MB/s for 256 KiB writes), and
 * on exit appends how many it slowed to $SLOW_PWRITE_LOG, so the test knows the shim was in the path.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SLOW_BYTES 65536

static long slowed;

static void pause_a_little(size_t count) {
  if (count < SLOW_BYTES) return;
  __atomic_add_fetch(&slowed, 1, __ATOMIC_RELAXED);
  struct timespec delay = {0, 3 * 1000 * 1000};
  nanosleep(&delay, NULL);
}

/* With _FILE_OFFSET_BITS=64 (node-gyp's default) callers bind to pwrite64; others to pwrite. */
ssize_t pwrite64(int fd, const void *buffer, size_t count, off_t offset) {
  static ssize_t (*real)(int, const void *, size_t, off_t);
  if (!real) real = dlsym(RTLD_NEXT, "pwrite64");
  pause_a_little(count);
  return real(fd, buffer, count, offset);
}

ssize_t pwrite(int fd, const void *buffer, size_t count, off_t offset) {
  static ssize_t (*real)(int, const void *, size_t, off_t);
  if (!real) real = dlsym(RTLD_NEXT, "pwrite");
  pause_a_little(count);
  return real(fd, buffer, count, offset);
}

__attribute__((destructor)) static void report(void) {
  const char *path = getenv("SLOW_PWRITE_LOG");
  long count = __atomic_load_n(&slowed, __ATOMIC_RELAXED);
  if (!path || count == 0) return;
  int fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0600);
  if (fd < 0) return;
  char line[64];
  int length = snprintf(line, sizeof line, "%ld\n", count);
  if (length > 0) (void)!write(fd, line, (size_t)length);
  close(fd);
}
