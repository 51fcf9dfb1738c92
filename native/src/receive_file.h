#ifndef CLASSICD_RECEIVE_FILE_H
#define CLASSICD_RECEIVE_FILE_H

#include <node_api.h>

napi_value receive_file_start(napi_env env, napi_callback_info info);

#endif
