#ifndef CLASSICD_SEND_FILE_H
#define CLASSICD_SEND_FILE_H

#include <node_api.h>

napi_value send_file_start(napi_env env, napi_callback_info info);

#endif
