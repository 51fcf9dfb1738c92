/*
 * Advisory locks between FTP sessions on one file, in whichever worker process they run: flock(2)
 * on an open file description, never waiting (LOCK_NB). An upload written in place (APPE, a
 * resume) takes it exclusively, a download shares it, as vsftpd's lock_upload_files does with
 * fcntl locks; a session that finds the file taken answers 450 "file busy" rather than waiting.
 * The lock goes with the description: closing the file releases it, a crashed worker's included.
 */
#include "file_lock.h"

#include <errno.h>
#include <stdbool.h>
#include <sys/file.h>

/* fileLockTry(fd, exclusive): 0 if locked, or -errno (-EWOULDBLOCK when another holds it). */
napi_value file_lock_try(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  int32_t fd = -1;
  bool exclusive = false;
  napi_value result;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2 ||
      napi_get_value_int32(env, argv[0], &fd) != napi_ok || napi_get_value_bool(env, argv[1], &exclusive) != napi_ok) {
    napi_throw_type_error(env, NULL, "fileLockTry(fd, exclusive)");
    return NULL;
  }
  int outcome;
  do {
    outcome = flock(fd, (exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB);
  } while (outcome != 0 && errno == EINTR);
  napi_create_int32(env, outcome == 0 ? 0 : -errno, &result);
  return result;
}
