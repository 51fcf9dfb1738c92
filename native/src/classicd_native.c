/*
 * classicd's native addon: the two system calls Node does not offer that the FTP data path
 * needs to keep up with C servers. Node-API only (plus libuv for the event loop), so one build
 * loads on every Node version classicd supports. Linux only; shared/native/addon.ts falls back
 * to plain streams wherever it is missing.
 */
#include <node_api.h>

#include "send_file.h"
#include "write_back.h"

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor functions[] = {
      {"sendFileStart", NULL, send_file_start, NULL, NULL, NULL, napi_default, NULL},
      {"sendFileCancel", NULL, send_file_cancel, NULL, NULL, NULL, napi_default, NULL},
      {"sendFileSent", NULL, send_file_sent, NULL, NULL, NULL, napi_default, NULL},
      {"writeBack", NULL, write_back_start, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof functions / sizeof functions[0], functions);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
