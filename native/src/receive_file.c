/*
 * Uploads straight from a TCP socket to a file: read(2) into native buffers on the event loop,
 * pwrite(2) on the thread pool, the way vsftpd moves STOR data (a read and a write per buffer)
 * but without blocking the loop on the disk.
 *
 * Through Node streams the same upload costs a JavaScript Buffer per 64 KiB read, stream
 * bookkeeping per chunk and a thread-pool write per batch; here the loop reads into a buffer of
 * 256 KiB to 1 MiB (see buffer_bytes). Two buffers alternate: one fills while the other is
 * written. When both are busy the job stops reading, so a slow disk becomes TCP backpressure,
 * never memory.
 * Written through the page cache, each 4 MiB window's write-back is started (sync_file_range,
 * see write_chunk) as it fills when asked, so the fsync before 226 finds little left to do.
 *
 * A file made for the upload can instead be written past the page cache (O_DIRECT, when asked):
 * the fsync before 226 writes every byte to disk anyway, and through the cache each byte costs a
 * copy into it and the kernel's write-back besides. 300 uploads of 10 MiB written from 8 threads
 * took 2.6-4.7 s of system CPU through the cache (with the write-back above) and 0.5-0.6 s direct,
 * in about the same time on this disk (a scratch C program, 27 Nov; docs/benchmarks.md). The
 * server shares its cores with everything else, so that CPU is what many uploads wait for. A
 * direct write waits for the disk, so one upload alone keeps the disk busy only with large
 * buffers: 512 MiB uploads went at medians of 780 and 810 MB/s in 256 KiB writes, 1,200 and
 * 1,330 in 1 MiB ones (two runs of five each).
 * The direct writes go through a second descriptor the job opens on the file with O_DIRECT, so
 * the caller's keeps its flags and every write through it is cached. O_DIRECT wants buffers, file
 * offsets and lengths aligned to the disk's blocks: the buffers are DIRECT_ALIGN-aligned, the job
 * starts only at an aligned offset and writes whole blocks, carrying a partial block over to the
 * next buffer, and the file's last partial block goes through the caller's descriptor. A file
 * system that refuses O_DIRECT (the open fails), or a direct write as misaligned (EINVAL), gets
 * cached writes from then on.
 *
 * As in send_file.c the socket is polled through a dup(2) of Node's descriptor (socket_poll.h).
 * JavaScript must not read the socket while the job runs (the data connection is created paused,
 * see services/ftp/data), and cancels the job as soon as the socket closes.
 *
 * The job reports once, with 0 when the client's FIN ended the data and every byte is written,
 * or a negative errno (the socket's, the disk's, or ECANCELED), and the bytes written.
 */
#define _GNU_SOURCE
#include "receive_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "js_job.h"
#include "socket_poll.h"

/*
 * Each job's two buffers are as large as an upload buffer budget per process allows among the
 * jobs running when it starts: 1 MiB while up to BUFFER_BUDGET / 2 MiB run, down to 256 KiB, the
 * floor, however many run.
 */
#define MAX_BUFFER_BYTES ((size_t)1024 * 1024)
#define MIN_BUFFER_BYTES ((size_t)256 * 1024)
#define BUFFER_BUDGET ((size_t)64 * 1024 * 1024)
/* Write-back is started a window at a time (see write_chunk). */
#define WRITE_BACK_BYTES ((int64_t)4 * 1024 * 1024)
/* Reads per readable event at most, so one fast upload cannot hold the loop. */
#define READS_PER_WAKEUP 32
/* The alignment direct writes keep: a multiple of every common disk block size (512, 4096). */
#define DIRECT_ALIGN 4096

struct ReceiveJob;

typedef struct {
  uv_work_t work;
  struct ReceiveJob *job;
  char *data;
  size_t length;
  int64_t offset;
  int result;
  int busy; /* queued or being written */
} Chunk;

typedef struct ReceiveJob {
  JsJob js; /* first: the JavaScript side */
  uv_poll_t poll;
  uv_loop_t *loop;
  int socket_fd; /* our dup, closed when the job ends */
  int file_fd;   /* the caller's, never closed here */
  int write_back;
  int direct_fd;   /* the file opened again with O_DIRECT, or -1; closed when the job ends */
  int direct;      /* whole blocks go through direct_fd; read and cleared atomically */
  size_t buffer_bytes;
  int64_t next_offset; /* where the next chunk goes in the file */
  int64_t received;
  int64_t written;
  Chunk chunks[2];
  int filling; /* the chunk reads go into */
  int polling;
  int eof;
  int ended;
  int closing;
  int result;
} ReceiveJob;

static void on_readable(uv_poll_t *poll, int status, int events);

/* Jobs of this process that have started and not yet reported. */
static int running_jobs;

/* The buffer size for a job that makes `running` jobs with it (see BUFFER_BUDGET). */
static size_t buffer_bytes(int running) {
  size_t bytes = MAX_BUFFER_BYTES;
  while (bytes > MIN_BUFFER_BYTES && (size_t)running * 2 * bytes > BUFFER_BUDGET) bytes /= 2;
  return bytes;
}

static int is_direct(ReceiveJob *job) { return __atomic_load_n(&job->direct, __ATOMIC_ACQUIRE); }

/*
 * Opens the file again for direct writes, through /proc (the open file itself, whatever its name
 * is now). A file system without O_DIRECT, a file whose mode the worker may not write by name,
 * or no /proc: the job writes through the cache.
 */
static void start_direct(ReceiveJob *job) {
  char path[64];
  snprintf(path, sizeof path, "/proc/self/fd/%d", job->file_fd);
  job->direct_fd = open(path, O_WRONLY | O_DIRECT | O_CLOEXEC);
  if (job->direct_fd >= 0) __atomic_store_n(&job->direct, 1, __ATOMIC_RELEASE);
}

static void report(uv_handle_t *handle) {
  ReceiveJob *job = handle->data;
  if (job->direct_fd >= 0) close(job->direct_fd); /* no write is in flight any more */
  job->direct_fd = -1;
  __atomic_sub_fetch(&running_jobs, 1, __ATOMIC_RELAXED);
  close(job->socket_fd);
  job->socket_fd = -1;
  for (int i = 0; i < 2; i++) free(job->chunks[i].data);
  js_job_report(&job->js, job->result, job->written);
}

static int writing(const ReceiveJob *job) { return job->chunks[0].busy || job->chunks[1].busy; }

static void set_polling(ReceiveJob *job, int on) {
  if (on == job->polling || job->closing) return;
  int status = on ? uv_poll_start(&job->poll, UV_READABLE, on_readable) : uv_poll_stop(&job->poll);
  if (status == 0) job->polling = on;
}

/* Ends the job once no write is in flight (a queued write still uses its buffer). */
static void close_when_idle(ReceiveJob *job) {
  if (job->closing || writing(job)) return;
  job->closing = 1;
  uv_poll_stop(&job->poll);
  uv_close((uv_handle_t *)&job->poll, report);
}

static void fail(ReceiveJob *job, int result) {
  if (job->closing) return; /* already finished: every byte written */
  if (!job->ended) {
    job->ended = 1;
    job->result = result;
  }
  set_polling(job, 0);
  close_when_idle(job);
}

/* Writes `length` bytes at `offset`: 0, or -errno. */
static int write_all(int fd, const char *data, size_t length, int64_t offset) {
  size_t done = 0;
  while (done < length) {
    ssize_t wrote = pwrite(fd, data + done, length - done, (off_t)(offset + (int64_t)done));
    if (wrote < 0) {
      if (errno == EINTR) continue;
      return -errno;
    }
    done += (size_t)wrote;
  }
  return 0;
}

static void write_chunk(uv_work_t *work) {
  Chunk *chunk = work->data;
  ReceiveJob *job = chunk->job;
  /*
   * While direct, every chunk starts on a block (all before it were whole blocks) and only the
   * file's last one ends in a partial block, which the caller's descriptor writes.
   */
  size_t head = 0; /* written direct */
  if (is_direct(job)) {
    head = chunk->length & ~(size_t)(DIRECT_ALIGN - 1);
    int result = write_all(job->direct_fd, chunk->data, head, chunk->offset);
    if (result == -EINVAL) {
      /* Misaligned for this file system (or a short write left it so): the cache takes it all. */
      __atomic_store_n(&job->direct, 0, __ATOMIC_RELEASE);
      head = 0;
    } else if (result < 0) {
      chunk->result = result;
      return;
    }
  }
  int result = write_all(job->file_fd, chunk->data + head, chunk->length - head, chunk->offset + (int64_t)head);
  if (result < 0) {
    chunk->result = result;
    return;
  }
  int64_t end = chunk->offset + (int64_t)chunk->length;
  if (job->write_back && !is_direct(job) && end / WRITE_BACK_BYTES > chunk->offset / WRITE_BACK_BYTES) {
    /*
     * This write completed a write-back window: start writing that window out. Whole windows,
     * not each buffer, so the disk gets large requests. Advice only: the fsync before 226 is the
     * guarantee, so a failure here changes nothing.
     */
    int64_t window_end = end / WRITE_BACK_BYTES * WRITE_BACK_BYTES;
    sync_file_range(job->file_fd, window_end - WRITE_BACK_BYTES, WRITE_BACK_BYTES, SYNC_FILE_RANGE_WRITE);
  }
  chunk->result = 0;
}

static void after_write(uv_work_t *work, int status) {
  Chunk *chunk = work->data;
  ReceiveJob *job = chunk->job;
  chunk->busy = 0;
  int result = status < 0 ? status : chunk->result;
  if (result < 0) {
    fail(job, result);
    return;
  }
  job->written += (int64_t)chunk->length;
  chunk->length = 0;
  if (job->ended || job->eof) {
    close_when_idle(job);
    return;
  }
  set_polling(job, 1); /* a buffer is free again */
}

/* Queues the chunk's bytes for writing at the next file offset, and switches reads to the other. */
static void submit(ReceiveJob *job, Chunk *chunk) {
  chunk->busy = 1;
  chunk->result = 0;
  chunk->offset = job->next_offset;
  job->next_offset += (int64_t)chunk->length;
  chunk->work.data = chunk;
  int status = uv_queue_work(job->loop, &chunk->work, write_chunk, after_write);
  if (status < 0) {
    chunk->busy = 0;
    fail(job, status);
    return;
  }
  job->filling ^= 1;
}

/* Gives the chunk its buffer, aligned for direct writes: 0 when memory ran out. */
static int allocate(Chunk *chunk) {
  void *data;
  if (chunk->data != NULL) return 1;
  if (posix_memalign(&data, DIRECT_ALIGN, chunk->job->buffer_bytes) != 0) return 0;
  chunk->data = data;
  return 1;
}

/*
 * Submits what the chunk holds while more may come. Direct writes go in whole blocks: a partial
 * block at the end moves to the other buffer, idle and empty whenever this is called, where reads
 * go on; less than a block waits for more.
 */
static void submit_early(ReceiveJob *job, Chunk *chunk) {
  size_t whole = is_direct(job) ? chunk->length & ~(size_t)(DIRECT_ALIGN - 1) : chunk->length;
  if (whole == 0) return;
  size_t rest = chunk->length - whole;
  if (rest > 0) {
    Chunk *next = &job->chunks[job->filling ^ 1];
    if (!allocate(next)) {
      fail(job, UV_ENOMEM);
      return;
    }
    memcpy(next->data, chunk->data + whole, rest);
    next->length = rest;
    chunk->length = whole;
  }
  submit(job, chunk);
}

static void on_readable(uv_poll_t *poll, int status, int events) {
  (void)events;
  ReceiveJob *job = poll->data;
  if (job->ended) return;
  if (status < 0) {
    fail(job, socket_error(job->socket_fd, status));
    return;
  }
  for (int reads = 0; reads < READS_PER_WAKEUP; reads++) {
    Chunk *chunk = &job->chunks[job->filling];
    if (chunk->busy) {
      set_polling(job, 0); /* both buffers are being written: let TCP hold the rest */
      return;
    }
    if (!allocate(chunk)) {
      fail(job, UV_ENOMEM);
      return;
    }
    ssize_t got = read(job->socket_fd, chunk->data + chunk->length, job->buffer_bytes - chunk->length);
    if (got > 0) {
      chunk->length += (size_t)got;
      job->received += got;
      if (chunk->length == job->buffer_bytes) submit(job, chunk);
    } else if (got == 0) {
      /* The client's FIN: the end of the file in stream mode (RFC 959 3.4.1). */
      job->eof = 1;
      set_polling(job, 0);
      if (chunk->length > 0) submit(job, chunk);
      close_when_idle(job);
      return;
    } else if (errno == EINTR) {
      continue;
    } else if (errno == EAGAIN) {
      /* Nothing more for now: write what there is if the disk is idle, so it keeps pace. */
      if (chunk->length > 0 && !job->chunks[job->filling ^ 1].busy) submit_early(job, chunk);
      return;
    } else {
      fail(job, -errno);
      return;
    }
  }
}

static void cancel(JsJob *js) { fail((ReceiveJob *)js, UV_ECANCELED); }

static int64_t progress(const JsJob *js) { return ((const ReceiveJob *)js)->received; }

/* receiveFileStart(socketFd, fileFd, offset, writeBack, direct, callback(result, written)) -> job */
napi_value receive_file_start(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  int32_t socket_fd, file_fd;
  int64_t offset;
  bool write_back, direct;
  napi_valuetype callback_type;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 6 ||
      napi_get_value_int32(env, argv[0], &socket_fd) != napi_ok ||
      napi_get_value_int32(env, argv[1], &file_fd) != napi_ok ||
      napi_get_value_int64(env, argv[2], &offset) != napi_ok || napi_get_value_bool(env, argv[3], &write_back) != napi_ok ||
      napi_get_value_bool(env, argv[4], &direct) != napi_ok ||
      napi_typeof(env, argv[5], &callback_type) != napi_ok || callback_type != napi_function || socket_fd < 0 ||
      file_fd < 0 || offset < 0) {
    napi_throw_type_error(env, NULL,
                          "receiveFileStart(socketFd, fileFd, offset, writeBack, direct, callback): bad argument");
    return NULL;
  }
  uv_loop_t *loop;
  ReceiveJob *job = js_job_alloc(env, sizeof *job, &loop);
  if (job == NULL) return NULL;
  job->loop = loop;
  job->file_fd = file_fd;
  job->next_offset = offset;
  job->write_back = write_back;
  job->direct_fd = -1;
  for (int i = 0; i < 2; i++) job->chunks[i].job = job;
  job->js.cancel = cancel;
  job->js.progress = progress;
  napi_value handle =
      js_job_attach_polled(env, &job->js, argv[5], "classicd:receiveFile", loop, &job->poll, socket_fd, &job->socket_fd);
  if (handle == NULL) return NULL;
  /* Only now: from here on the job ends by reporting, which closes direct_fd and gives back the count. */
  job->buffer_bytes = buffer_bytes(__atomic_add_fetch(&running_jobs, 1, __ATOMIC_RELAXED));
  if (direct && offset % DIRECT_ALIGN == 0) start_direct(job); /* else, or refused: through the cache */
  set_polling(job, 1);
  if (!job->polling) fail(job, UV_EINVAL); /* reported from the close callback, so still async */
  return handle;
}
