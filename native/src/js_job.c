#include "js_job.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <uv.h>

static void finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  free(data);
}

void *js_job_alloc(napi_env env, size_t size, uv_loop_t **loop) {
  if (napi_get_uv_event_loop(env, loop) != napi_ok) {
    napi_throw_error(env, NULL, "no event loop");
    return NULL;
  }
  void *job = calloc(1, size);
  if (job == NULL) napi_throw_error(env, "ENOMEM", "out of memory");
  return job;
}

napi_value js_job_attach(napi_env env, JsJob *job, napi_value callback, const char *name) {
  napi_value handle, resource_name;
  job->env = env;
  if (napi_create_external(env, job, finalize, NULL, &handle) != napi_ok) {
    free(job);
    napi_throw_error(env, NULL, "could not create the job handle");
    return NULL;
  }
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &resource_name);
  napi_async_init(env, NULL, resource_name, &job->async_context);
  napi_create_reference(env, callback, 1, &job->callback);
  napi_create_reference(env, handle, 1, &job->self);
  return handle;
}

void js_job_report(JsJob *job, int result, int64_t count) {
  napi_env env = job->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value callback, receiver, argv[2];
  if (napi_get_reference_value(env, job->callback, &callback) == napi_ok && callback != NULL &&
      napi_get_global(env, &receiver) == napi_ok && napi_create_int32(env, result, &argv[0]) == napi_ok &&
      napi_create_int64(env, count, &argv[1]) == napi_ok) {
    /* make_callback, not call_function: it runs the microtasks and nextTicks the callback queues. */
    napi_make_callback(env, job->async_context, receiver, callback, 2, argv, NULL);
  }
  js_job_release(job);
  napi_close_handle_scope(env, scope);
}

void js_job_release(JsJob *job) {
  napi_delete_reference(job->env, job->callback);
  job->callback = NULL;
  napi_async_destroy(job->env, job->async_context);
  napi_delete_reference(job->env, job->self);
  job->self = NULL;
}

/* The job behind a handle passed as the only argument, or NULL with a TypeError pending. */
static JsJob *job_argument(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  void *data = NULL;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 1 ||
      napi_get_value_external(env, argv[0], &data) != napi_ok) {
    napi_throw_type_error(env, NULL, "expected a native job");
    return NULL;
  }
  return data;
}

napi_value js_job_cancel(napi_env env, napi_callback_info info) {
  JsJob *job = job_argument(env, info);
  if (job != NULL) job->cancel(job);
  return NULL;
}

napi_value js_job_progress(napi_env env, napi_callback_info info) {
  JsJob *job = job_argument(env, info);
  if (job == NULL) return NULL;
  napi_value progress;
  napi_create_int64(env, job->progress(job), &progress);
  return progress;
}

napi_value js_throw_uv_error(napi_env env, const char *syscall, int uv_error) {
  char message[96];
  snprintf(message, sizeof message, "%s failed: %s", syscall, uv_strerror(uv_error));
  napi_throw_error(env, uv_err_name(uv_error), message);
  return NULL;
}

int socket_error(int fd, int uv_status) {
  int error = 0;
  socklen_t size = sizeof error;
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &size) == 0 && error != 0) return -error;
  return uv_status == UV_EBADF ? UV_ECONNRESET : uv_status;
}
