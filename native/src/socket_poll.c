#include "socket_poll.h"

#include <errno.h>
#include <unistd.h>

/*
 * Polls a socket that Node already watches. libuv keeps one watcher per descriptor, so the poll
 * is made on a dup(2) of it: epoll registers descriptor and open file together, so both see the
 * same socket. Returns the duplicate, or a negative libuv error with nothing left open and
 * *failed naming the call that failed.
 */
static int poll_socket_duplicate(uv_loop_t *loop, uv_poll_t *poll, int socket_fd, const char **failed) {
  int duplicate = dup(socket_fd);
  if (duplicate < 0) {
    *failed = "dup";
    return -errno;
  }
  int status = uv_poll_init(loop, poll, duplicate);
  if (status < 0) {
    close(duplicate);
    *failed = "uv_poll_init";
    return status;
  }
  return duplicate;
}

napi_value js_job_attach_polled(napi_env env, JsJob *job, napi_value callback, const char *name, uv_loop_t *loop,
                                uv_poll_t *poll, int socket_fd, int *duplicate) {
  napi_value handle = js_job_attach(env, job, callback, name);
  if (handle == NULL) return NULL;
  const char *failed;
  *duplicate = poll_socket_duplicate(loop, poll, socket_fd, &failed);
  if (*duplicate < 0) {
    int error = *duplicate;
    js_job_release(job);
    return js_throw_uv_error(env, failed, error);
  }
  poll->data = job;
  return handle;
}
