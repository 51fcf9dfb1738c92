#ifndef CLASSICD_JS_JOB_H
#define CLASSICD_JS_JOB_H

#include <node_api.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

/*
 * What every native job shares with JavaScript: the handle JavaScript holds (an external that
 * frees the job when collected), the callback it runs once at the end, and the async context
 * that callback runs in. A job embeds this as its first member.
 */
typedef struct JsJob {
  napi_env env;
  napi_async_context async_context;
  napi_ref callback;
  /* The job's handle, kept alive until the job has reported. */
  napi_ref self;
  /* Ends the job early; its callback still runs, with UV_ECANCELED. A no-op once it has ended. */
  void (*cancel)(struct JsJob *job);
  /* Bytes moved so far, for progress (stall timeouts). */
  int64_t (*progress)(const struct JsJob *job);
} JsJob;

/*
 * A zeroed job of `size` bytes (a struct with JsJob first) and the event loop it runs on, or NULL
 * with a JavaScript exception pending.
 */
void *js_job_alloc(napi_env env, size_t size, uv_loop_t **loop);

/*
 * Makes `job` (allocated by the caller with calloc, JsJob first) reachable from JavaScript:
 * returns its handle, or NULL with a JavaScript exception pending (the job is then freed).
 */
napi_value js_job_attach(napi_env env, JsJob *job, napi_value callback, const char *name);

/* Runs the callback with (result, count) and lets the handle go; the job is freed when it is collected. */
void js_job_report(JsJob *job, int result, int64_t count);

/* Lets the handle go without reporting (a job that could not start); the job is freed when collected. */
void js_job_release(JsJob *job);

/* jobCancel(job) and jobProgress(job), for every kind of job. */
napi_value js_job_cancel(napi_env env, napi_callback_info info);
napi_value js_job_progress(napi_env env, napi_callback_info info);

/* Throws `syscall failed: message` with the errno name as its code; returns NULL. */
napi_value js_throw_uv_error(napi_env env, const char *syscall, int uv_error);

/*
 * libuv reports an error condition on a polled descriptor (POLLERR: a reset, say) as UV_EBADF;
 * the socket itself knows what happened.
 */
int socket_error(int fd, int uv_status);

#endif
