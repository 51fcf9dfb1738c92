/*
 * Zero-copy file downloads: sendfile(2) from a file to a non-blocking TCP socket, driven by the
 * event loop, the way vsftpd and pyftpdlib serve RETR.
 *
 * Node has no sendfile, and copying a file through JavaScript costs two extra copies and a round
 * trip through the thread pool per chunk. Here the kernel moves page-cache pages straight to the
 * socket; the loop only wakes when the socket can take more.
 *
 * The socket is Node's, polled through a dup(2) of its descriptor (socket_poll.h). The duplicate
 * holds the connection open, so JavaScript cancels a job as soon as the socket closes
 * (shared/native/socket-file.ts does).
 *
 * A job reports once, through its callback, with 0 or a negative errno (libuv's convention) and
 * the bytes sent, always from a later turn of the loop, never from inside start().
 */
#include "send_file.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include "js_job.h"
#include "socket_poll.h"

/*
 * At most this much per writable event, so one fast download cannot hold the loop while other
 * sessions of the worker wait: on loopback a socket buffer takes several MiB at once.
 */
#define BUDGET_PER_WAKEUP (8 * 1024 * 1024)
/*
 * TCP_NOTSENT_LOWAT for the socket: the kernel takes more only while less than this is waiting to
 * be sent. Without it each socket queues up to its autotuned buffer (MiBs), and 300 concurrent
 * downloads put the kernel under TCP memory pressure: the 300-client bench spent a quarter of a
 * core in kernel threads and took 0.86-0.96 s, against 0.53-0.57 s with 64 KiB. Unlike a smaller
 * SO_SNDBUF (which did as well on loopback) it does not cap the bytes in flight, so a transfer
 * over a long, fast path still fills its window.
 */
#define NOT_SENT_LOW_WATER (64 * 1024)
/*
 * Bytes asked of one sendfile call; the loop below makes as many calls as the socket takes. One
 * call for everything the socket would take was slower on loopback: 512 MiB to one client ran at
 * medians of 2.7-3.3 GB/s over four runs of 15 downloads, against 3.4-5.4 GB/s in 128 KiB calls
 * in four runs taken alternately with them (64 and 256 KiB did as well; 300 concurrent downloads
 * moved no more than noise; docs/benchmarks.md, 27 Nov). nginx bounds its calls too
 * (sendfile_max_chunk).
 */
#define BYTES_PER_CALL (128 * 1024)

typedef struct {
  JsJob js; /* first: the JavaScript side */
  uv_poll_t poll;
  int socket_fd; /* our dup, closed when the job ends */
  int file_fd;   /* the caller's, never closed here */
  int64_t offset;
  int64_t remaining;
  int64_t sent;
  int result;
  int ended;
} SendJob;

static void report(uv_handle_t *handle) {
  SendJob *job = handle->data;
  close(job->socket_fd);
  job->socket_fd = -1;
  js_job_report(&job->js, job->result, job->sent);
}

static void end_job(SendJob *job, int result) {
  if (job->ended) return;
  job->ended = 1;
  job->result = result;
  uv_poll_stop(&job->poll);
  uv_close((uv_handle_t *)&job->poll, report);
}

static void on_writable(uv_poll_t *poll, int status, int events) {
  (void)events;
  SendJob *job = poll->data;
  if (status < 0) {
    end_job(job, socket_error(job->socket_fd, status));
    return;
  }
  int64_t budget = BUDGET_PER_WAKEUP;
  while (job->remaining > 0 && budget > 0) {
    size_t count = job->remaining < BYTES_PER_CALL ? (size_t)job->remaining : BYTES_PER_CALL;
    off_t offset = (off_t)job->offset;
    ssize_t moved = sendfile(job->socket_fd, job->file_fd, &offset, count);
    if (moved > 0) {
      job->offset += moved;
      job->remaining -= moved;
      job->sent += moved;
      budget -= moved;
    } else if (moved == 0) {
      /* The file is shorter than it was at open (truncated meanwhile): send what there was. */
      job->remaining = 0;
    } else if (errno == EINTR) {
      continue;
    } else if (errno == EAGAIN) {
      return; /* the socket buffer is full; the next writable event resumes */
    } else {
      end_job(job, -errno);
      return;
    }
  }
  if (job->remaining == 0) end_job(job, 0);
  /* Otherwise the budget ran out: the poll is level-triggered, so the loop calls again. */
}

static void cancel(JsJob *js) { end_job((SendJob *)js, UV_ECANCELED); }

static int64_t progress(const JsJob *js) { return ((const SendJob *)js)->sent; }

/* start(socketFd, fileFd, offset, length, callback(result, sent)) -> job */
napi_value send_file_start(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  int32_t socket_fd, file_fd;
  int64_t offset, length;
  napi_valuetype callback_type;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 5 ||
      napi_get_value_int32(env, argv[0], &socket_fd) != napi_ok ||
      napi_get_value_int32(env, argv[1], &file_fd) != napi_ok ||
      napi_get_value_int64(env, argv[2], &offset) != napi_ok ||
      napi_get_value_int64(env, argv[3], &length) != napi_ok ||
      napi_typeof(env, argv[4], &callback_type) != napi_ok || callback_type != napi_function || socket_fd < 0 ||
      file_fd < 0 || offset < 0 || length < 0) {
    napi_throw_type_error(env, NULL, "sendFileStart(socketFd, fileFd, offset, length, callback): bad argument");
    return NULL;
  }
  uv_loop_t *loop;
  SendJob *job = js_job_alloc(env, sizeof *job, &loop);
  if (job == NULL) return NULL;
  job->file_fd = file_fd;
  job->offset = offset;
  job->remaining = length;
  job->js.cancel = cancel;
  job->js.progress = progress;
  napi_value handle =
      js_job_attach_polled(env, &job->js, argv[4], "classicd:sendFile", loop, &job->poll, socket_fd, &job->socket_fd);
  if (handle == NULL) return NULL;
  /* Advice: a kernel without TCP_NOTSENT_LOWAT (before 3.12) sends as before. */
  int low_water = NOT_SENT_LOW_WATER;
  setsockopt(job->socket_fd, IPPROTO_TCP, TCP_NOTSENT_LOWAT, &low_water, sizeof low_water);
  int status = uv_poll_start(&job->poll, UV_WRITABLE, on_writable);
  if (status < 0) end_job(job, status); /* reported from the close callback, so still async */
  return handle;
}
