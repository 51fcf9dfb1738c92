#ifndef CLASSICD_FILE_LOCK_H
#define CLASSICD_FILE_LOCK_H

#include <node_api.h>

napi_value file_lock_try(napi_env env, napi_callback_info info);

#endif
