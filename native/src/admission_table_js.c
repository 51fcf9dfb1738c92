/*
 * JavaScript's view of admission_table.c. The primary creates the table in a memfd and keeps the
 * descriptor open; workers map it through /proc/<primary pid>/fd/<fd>, so no name is left in
 * /dev/shm if classicd dies. Each process's mapping lives as long as its JavaScript handle.
 */
#define _GNU_SOURCE
#include "admission_table_js.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "admission_table.h"

typedef struct {
  void *memory;
  size_t bytes;
  int fd; /* the creator's memfd, -1 in a process that opened the table */
  admission_table *table;
} mapping;

static void release_mapping(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  mapping *map = data;
  munmap(map->memory, map->bytes);
  if (map->fd >= 0) close(map->fd);
  free(map);
}

static napi_value throw_errno(napi_env env, int error, const char *what) {
  char message[160];
  snprintf(message, sizeof message, "%s: %s", what, strerror(error));
  napi_value code, text, exception;
  napi_create_string_utf8(env, error == EINVAL ? "EINVAL" : "ESYSCALL", NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &text);
  napi_create_error(env, code, text, &exception);
  napi_value errno_value;
  napi_create_int32(env, -error, &errno_value);
  napi_set_named_property(env, exception, "errno", errno_value);
  napi_throw(env, exception);
  return NULL;
}

static napi_value wrap(napi_env env, mapping *map) {
  napi_value handle;
  if (napi_create_external(env, map, release_mapping, NULL, &handle) != napi_ok) {
    release_mapping(env, map, NULL);
    napi_throw_error(env, NULL, "could not create the table handle");
    return NULL;
  }
  return handle;
}

static int named_double(napi_env env, napi_value object, const char *name, double *value) {
  napi_value property;
  return napi_get_named_property(env, object, name, &property) == napi_ok &&
         napi_get_value_double(env, property, value) == napi_ok;
}

/* admissionTableCreate(services: {maxSessions, maxPerIp, ratePerSecond, burst}[], columns, nowMs) */
napi_value admission_table_create(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  uint32_t services = 0, columns = 0;
  double now_ms = 0;
  bool is_array = false;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 3 ||
      napi_is_array(env, argv[0], &is_array) != napi_ok || !is_array ||
      napi_get_array_length(env, argv[0], &services) != napi_ok || services > ADMISSION_MAX_SERVICES ||
      napi_get_value_uint32(env, argv[1], &columns) != napi_ok ||
      napi_get_value_double(env, argv[2], &now_ms) != napi_ok) {
    napi_throw_type_error(env, NULL, "admissionTableCreate(services, columns, nowMs)");
    return NULL;
  }
  admission_limits limits[ADMISSION_MAX_SERVICES];
  for (uint32_t s = 0; s < services; s++) {
    napi_value spec;
    double max_sessions, max_per_ip;
    if (napi_get_element(env, argv[0], s, &spec) != napi_ok || !named_double(env, spec, "maxSessions", &max_sessions) ||
        !named_double(env, spec, "maxPerIp", &max_per_ip) ||
        !named_double(env, spec, "ratePerSecond", &limits[s].rate_per_second) ||
        !named_double(env, spec, "burst", &limits[s].burst) || max_sessions < 0 || max_per_ip < 0) {
      napi_throw_type_error(env, NULL, "a service is {maxSessions, maxPerIp, ratePerSecond, burst}");
      return NULL;
    }
    limits[s].max_sessions = max_sessions > UINT32_MAX ? UINT32_MAX : (uint32_t)max_sessions;
    limits[s].max_per_ip = max_per_ip > UINT32_MAX ? UINT32_MAX : (uint32_t)max_per_ip;
  }
  size_t bytes = admission_table_bytes(limits, services, columns);
  if (bytes == 0) return throw_errno(env, EINVAL, "admission table size");

  int fd = memfd_create("classicd-admission", MFD_CLOEXEC);
  if (fd < 0) return throw_errno(env, errno, "memfd_create");
  if (ftruncate(fd, (off_t)bytes) != 0) {
    int error = errno;
    close(fd);
    return throw_errno(env, error, "ftruncate");
  }
  void *memory = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (memory == MAP_FAILED) {
    int error = errno;
    close(fd);
    return throw_errno(env, error, "mmap");
  }
  int error = admission_table_init(memory, bytes, limits, services, columns, now_ms);
  if (error != 0) {
    munmap(memory, bytes);
    close(fd);
    return throw_errno(env, -error, "admission table init");
  }
  mapping *map = malloc(sizeof *map);
  if (map == NULL) {
    munmap(memory, bytes);
    close(fd);
    return throw_errno(env, ENOMEM, "malloc");
  }
  *map = (mapping){.memory = memory, .bytes = bytes, .fd = fd, .table = memory};

  napi_value result, handle, fd_value;
  handle = wrap(env, map);
  if (handle == NULL) return NULL;
  napi_create_object(env, &result);
  napi_create_int32(env, fd, &fd_value);
  napi_set_named_property(env, result, "table", handle);
  napi_set_named_property(env, result, "fd", fd_value);
  return result;
}

/* admissionTableOpen(path): another process's table, mapped here. */
napi_value admission_table_open(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  char path[256];
  size_t length = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
      napi_get_value_string_utf8(env, argv[0], path, sizeof path, &length) != napi_ok || length >= sizeof path - 1) {
    napi_throw_type_error(env, NULL, "admissionTableOpen(path)");
    return NULL;
  }
  int fd = open(path, O_RDWR | O_CLOEXEC);
  if (fd < 0) return throw_errno(env, errno, path);
  struct stat status;
  if (fstat(fd, &status) != 0) {
    int error = errno;
    close(fd);
    return throw_errno(env, error, path);
  }
  size_t bytes = (size_t)status.st_size;
  void *memory = bytes > 0 ? mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) : MAP_FAILED;
  int error = memory == MAP_FAILED ? (bytes > 0 ? errno : EINVAL) : 0;
  close(fd);
  if (error != 0) return throw_errno(env, error, path);
  admission_table *table = admission_table_check(memory, bytes);
  if (table == NULL) {
    munmap(memory, bytes);
    return throw_errno(env, EINVAL, "not an admission table");
  }
  mapping *map = malloc(sizeof *map);
  if (map == NULL) {
    munmap(memory, bytes);
    return throw_errno(env, ENOMEM, "malloc");
  }
  *map = (mapping){.memory = memory, .bytes = bytes, .fd = -1, .table = table};
  return wrap(env, map);
}

static mapping *unwrap(napi_env env, napi_value value) {
  void *data = NULL;
  napi_valuetype type;
  if (napi_typeof(env, value, &type) != napi_ok || type != napi_external ||
      napi_get_value_external(env, value, &data) != napi_ok)
    return NULL;
  return data;
}

/* The key as admission_table.c wants it: the address text, NUL-padded to ADMISSION_KEY_BYTES. */
static int key_of(napi_env env, napi_value value, char key[ADMISSION_KEY_BYTES]) {
  /* One byte more than a key: a longer string would be cut to fit, and must be told apart. */
  char text[ADMISSION_KEY_BYTES + 1];
  size_t length = 0;
  if (napi_get_value_string_utf8(env, value, text, sizeof text, &length) != napi_ok || length >= ADMISSION_KEY_BYTES)
    return 0;
  memset(key, 0, ADMISSION_KEY_BYTES);
  memcpy(key, text, length);
  return 1;
}

static napi_value number(napi_env env, double value) {
  napi_value result;
  napi_create_double(env, value, &result);
  return result;
}

/* admissionTableAdmit(table, service, column, address, nowMs): an admission_verdict, or -errno. */
napi_value admission_table_admit(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  uint32_t service = 0, column = 0;
  double now_ms = 0;
  char key[ADMISSION_KEY_BYTES];
  mapping *map = NULL;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 5 ||
      (map = unwrap(env, argv[0])) == NULL || napi_get_value_uint32(env, argv[1], &service) != napi_ok ||
      napi_get_value_uint32(env, argv[2], &column) != napi_ok || !key_of(env, argv[3], key) ||
      napi_get_value_double(env, argv[4], &now_ms) != napi_ok) {
    napi_throw_type_error(env, NULL, "admissionTableAdmit(table, service, column, address, nowMs)");
    return NULL;
  }
  return number(env, admission_admit(map->table, service, column, key, now_ms));
}

/* admissionTableRelease(table, service, column, address): 0, 1 if nothing was counted, or -errno. */
napi_value admission_table_release(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  uint32_t service = 0, column = 0;
  char key[ADMISSION_KEY_BYTES];
  mapping *map = NULL;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 4 ||
      (map = unwrap(env, argv[0])) == NULL || napi_get_value_uint32(env, argv[1], &service) != napi_ok ||
      napi_get_value_uint32(env, argv[2], &column) != napi_ok || !key_of(env, argv[3], key)) {
    napi_throw_type_error(env, NULL, "admissionTableRelease(table, service, column, address)");
    return NULL;
  }
  return number(env, admission_release(map->table, service, column, key));
}

/* The (table, index) arguments of reclaim and active; throws `usage` and returns NULL if wrong. */
static mapping *table_and_index(napi_env env, napi_callback_info info, uint32_t *index, const char *usage) {
  size_t argc = 2;
  napi_value argv[2];
  mapping *map = NULL;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2 ||
      (map = unwrap(env, argv[0])) == NULL || napi_get_value_uint32(env, argv[1], index) != napi_ok) {
    napi_throw_type_error(env, NULL, usage);
    return NULL;
  }
  return map;
}

/* admissionTableReclaim(table, column): 0 or -errno. */
napi_value admission_table_reclaim(napi_env env, napi_callback_info info) {
  uint32_t column = 0;
  mapping *map = table_and_index(env, info, &column, "admissionTableReclaim(table, column)");
  return map == NULL ? NULL : number(env, admission_reclaim(map->table, column));
}

/* admissionTableActive(table, service): sessions counted in every column, or -errno. */
napi_value admission_table_active(napi_env env, napi_callback_info info) {
  uint32_t service = 0;
  mapping *map = table_and_index(env, info, &service, "admissionTableActive(table, service)");
  return map == NULL ? NULL : number(env, (double)admission_active(map->table, service));
}
