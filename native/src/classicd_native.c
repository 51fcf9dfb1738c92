/*
 * classicd's native addon: the FTP data path's two hot loops, which Node cannot run at C speed
 * (sendfile(2) for downloads, read/pwrite with early write-back for uploads), and the kernel's
 * count of what a TCP connection has moved (tcp_progress.c). Node-API only, plus libuv for the
 * event loop, so one build loads on every Node version classicd supports.
 * Linux only; shared/native/addon.ts falls back to Node streams wherever it is missing.
 */
#include <node_api.h>

#include "js_job.h"
#include "receive_file.h"
#include "send_file.h"
#include "tcp_progress.h"

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor functions[] = {
      {"sendFileStart", NULL, send_file_start, NULL, NULL, NULL, napi_default, NULL},
      {"receiveFileStart", NULL, receive_file_start, NULL, NULL, NULL, napi_default, NULL},
      {"jobCancel", NULL, js_job_cancel, NULL, NULL, NULL, napi_default, NULL},
      {"jobProgress", NULL, js_job_progress, NULL, NULL, NULL, napi_default, NULL},
      {"tcpBytesMoved", NULL, tcp_bytes_moved, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof functions / sizeof functions[0], functions);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
