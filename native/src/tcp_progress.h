#ifndef CLASSICD_TCP_PROGRESS_H
#define CLASSICD_TCP_PROGRESS_H

#include <node_api.h>

napi_value tcp_bytes_moved(napi_env env, napi_callback_info info);

#endif
