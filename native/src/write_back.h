#ifndef CLASSICD_WRITE_BACK_H
#define CLASSICD_WRITE_BACK_H

#include <node_api.h>

napi_value write_back_start(napi_env env, napi_callback_info info);

#endif
