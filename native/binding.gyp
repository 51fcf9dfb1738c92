{
  "targets": [
    {
      "target_name": "classicd_native",
      "sources": ["src/classicd_native.c", "src/js_job.c", "src/socket_poll.c", "src/send_file.c", "src/receive_file.c", "src/tcp_progress.c", "src/file_lock.c", "src/admission_table.c", "src/admission_table_js.c"],
      "defines": ["NAPI_VERSION=8"],
      "cflags": ["-Wall", "-Wextra", "-Werror", "-O2"]
    }
  ]
}
