#ifndef CLASSICD_ADMISSION_TABLE_JS_H
#define CLASSICD_ADMISSION_TABLE_JS_H

#include <node_api.h>

napi_value admission_table_create(napi_env env, napi_callback_info info);
napi_value admission_table_open(napi_env env, napi_callback_info info);
napi_value admission_table_admit(napi_env env, napi_callback_info info);
napi_value admission_table_release(napi_env env, napi_callback_info info);
napi_value admission_table_reclaim(napi_env env, napi_callback_info info);
napi_value admission_table_active(napi_env env, napi_callback_info info);

#endif
