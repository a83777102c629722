{
  "targets": [
    {
      "target_name": "unix_dgram",
      "sources": ["unix_dgram.c"],
      "cflags": ["-std=gnu11", "-O2", "-Wall", "-Wextra", "-Wno-unused-parameter", "-fvisibility=hidden"],
      "defines": ["NAPI_VERSION=8"],
      "conditions": [
        ["OS!='linux'", {"type": "none"}]
      ]
    }
  ]
}
