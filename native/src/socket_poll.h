#ifndef CLASSICD_SOCKET_POLL_H
#define CLASSICD_SOCKET_POLL_H

#include <node_api.h>
#include <uv.h>

#include "js_job.h"

/*
 * The start every socket job shares: makes `job` reachable from JavaScript (js_job_attach) and
 * readies `poll` on a duplicate of `socket_fd` (socket_poll.c says why a duplicate), with
 * poll->data = job, not yet started. Returns the job's handle with *duplicate set (the caller
 * closes it after uv_close of the poll), or NULL with a JavaScript exception pending and nothing
 * left open (the job is freed when its handle is collected).
 */
napi_value js_job_attach_polled(napi_env env, JsJob *job, napi_value callback, const char *name, uv_loop_t *loop,
                                uv_poll_t *poll, int socket_fd, int *duplicate);

#endif
