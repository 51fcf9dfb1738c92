/*
 * classicd's native addon: the FTP data path's two hot loops, which Node cannot run at C speed
 * (sendfile(2) for downloads, read/pwrite with early write-back for uploads), the kernel's count
 * of what a TCP connection has moved (tcp_progress.c), advisory locks between sessions on one file
 * (file_lock.c), and admission counts shared between the
 * processes (admission_table.c). Node-API only, plus libuv for the event loop, so one build loads
 * on every Node version classicd supports. Linux only; wherever it is missing, shared/native/
 * addon.ts says so and callers take their portable path (Node streams, admission by message).
 */
#include <node_api.h>

#include "admission_table_js.h"
#include "file_lock.h"
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
      {"fileLockTry", NULL, file_lock_try, NULL, NULL, NULL, napi_default, NULL},
      {"admissionTableCreate", NULL, admission_table_create, NULL, NULL, NULL, napi_default, NULL},
      {"admissionTableOpen", NULL, admission_table_open, NULL, NULL, NULL, napi_default, NULL},
      {"admissionTableAdmit", NULL, admission_table_admit, NULL, NULL, NULL, napi_default, NULL},
      {"admissionTableRelease", NULL, admission_table_release, NULL, NULL, NULL, napi_default, NULL},
      {"admissionTableReclaim", NULL, admission_table_reclaim, NULL, NULL, NULL, napi_default, NULL},
      {"admissionTableActive", NULL, admission_table_active, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof functions / sizeof functions[0], functions);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
