/*
 * Early write-back for uploads: sync_file_range(2) with SYNC_FILE_RANGE_WRITE asks the kernel to
 * start writing a range of dirty pages to disk now, without waiting for it.
 *
 * An upload is fsynced before its 226 (the reply promises the bytes are on disk). Left alone, the
 * kernel holds most of a large upload in the page cache and the fsync then writes all of it while
 * the client waits; started as the upload goes, the disk works alongside the network and the
 * final fsync has only the tail left. PostgreSQL's checkpointer does the same. It is advice, not a
 * promise, so errors are only reported, and the fsync stays the guarantee.
 *
 * The call can block while the device queue is full, so it runs on the thread pool.
 */
#define _GNU_SOURCE
#include "write_back.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <uv.h>

typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  int fd;
  int64_t offset;
  int64_t length;
  int result;
} WriteBack;

static void execute(napi_env env, void *data) {
  (void)env;
  WriteBack *request = data;
  int status;
  do {
    status = sync_file_range(request->fd, request->offset, request->length, SYNC_FILE_RANGE_WRITE);
  } while (status < 0 && errno == EINTR);
  request->result = status < 0 ? -errno : 0;
}

static void complete(napi_env env, napi_status status, void *data) {
  WriteBack *request = data;
  napi_value result;
  if (status == napi_cancelled) request->result = UV_ECANCELED;
  napi_create_int32(env, request->result, &result);
  napi_resolve_deferred(env, request->deferred, result);
  napi_delete_async_work(env, request->work);
  free(request);
}

/* writeBack(fd, offset, length) -> Promise<0 | -errno> */
napi_value write_back_start(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  int32_t fd;
  int64_t offset, length;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 3 ||
      napi_get_value_int32(env, argv[0], &fd) != napi_ok || napi_get_value_int64(env, argv[1], &offset) != napi_ok ||
      napi_get_value_int64(env, argv[2], &length) != napi_ok || fd < 0 || offset < 0 || length < 0) {
    napi_throw_type_error(env, NULL, "writeBack(fd, offset, length): bad argument");
    return NULL;
  }
  WriteBack *request = calloc(1, sizeof *request);
  if (request == NULL) {
    napi_throw_error(env, "ENOMEM", "out of memory");
    return NULL;
  }
  request->fd = fd;
  request->offset = offset;
  request->length = length;
  napi_value promise, resource_name;
  napi_create_promise(env, &request->deferred, &promise);
  napi_create_string_utf8(env, "classicd:writeBack", NAPI_AUTO_LENGTH, &resource_name);
  if (napi_create_async_work(env, NULL, resource_name, execute, complete, request, &request->work) != napi_ok ||
      napi_queue_async_work(env, request->work) != napi_ok) {
    free(request);
    napi_throw_error(env, NULL, "could not queue the write-back");
    return NULL;
  }
  return promise;
}
