{
  "targets": [
    {
      "target_name": "classicd_native",
      "sources": ["src/classicd_native.c", "src/send_file.c", "src/write_back.c"],
      "defines": ["NAPI_VERSION=8"],
      "cflags": ["-Wall", "-Wextra", "-Werror", "-O2"]
    }
  ]
}
