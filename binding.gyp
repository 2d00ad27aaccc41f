{
  "target_defaults": {
    "include_dirs": [
      "<!(node -p \"require('node-addon-api').include_dir\")"
    ],
    "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS"],
    "cflags!": ["-fno-exceptions"],
    "cflags_cc!": ["-fno-exceptions", "-std=gnu++17"],
    "cflags": ["-Wall", "-Wextra", "-O2"],
    "cflags_cc": ["-std=c++17", "-Wall", "-Wextra", "-O2", "-fno-exceptions"],
    "libraries": ["-lpthread"]
  },
  "targets": [
    {
      "target_name": "synwall",
      "sources": [
        "<!@(node -p \"require('fs').readFileSync('native/sources.txt','utf8').trim().split(/\\s+/).join(' ')\")"
      ]
    },
    {
      "target_name": "synwall_testing",
      "sources": [
        "<!@(node -p \"require('fs').readFileSync('native/sources.txt','utf8').trim().split(/\\s+/).join(' ')\")",
        "<!@(node -p \"require('fs').readFileSync('native/testing_sources.txt','utf8').trim().split(/\\s+/).join(' ')\")"
      ],
      "defines": ["SYNWALL_TESTING"]
    }
  ]
}
