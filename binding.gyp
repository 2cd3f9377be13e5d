{
  "targets": [
    {
      "target_name": "tunable",
      "sources": [
        "native/core/ensemble.cpp",
        "native/core/gp.cpp",
        "native/core/lbfgsb.cpp",
        "native/core/maximize.cpp",
        "native/core/sobol.cpp",
        "native/core/thompson.cpp",
        "native/cpu/cpu_backend.cpp",
        "native/cpu/linalg.cpp",
        "native/gbdt/binning.cpp",
        "native/gbdt/boost.cpp",
        "native/gbdt/grower.cpp",
        "native/gbdt/histogram.cpp",
        "native/gbdt/loss.cpp",
        "native/gbdt/split.cpp",
        "native/addon/addon.cpp",
        "native/addon/ensemble_wrap.cpp",
        "native/addon/gbdt_wrap.cpp",
        "native/addon/gp_wrap.cpp"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")"
      ],
      "defines": [
        "NAPI_VERSION=8",
        "NAPI_CPP_EXCEPTIONS",
        "NODE_ADDON_API_DISABLE_DEPRECATED",
        "EIGEN_NO_DEBUG",
        "TUNABLE_BUILD_SYSTEM=\"node-gyp\""
      ],
      "cflags!": ["-fno-exceptions", "-O2"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17", "-std=gnu++20", "-O2"],
      "cflags_cc": ["-isystem", "<!(node native/gyp-eigen.cjs)", "-std=c++17", "-fexceptions", "-O3", "-fno-math-errno", "-fopenmp", "<!@(node native/gyp-arch.cjs)"],
      "ldflags": ["-fopenmp"],
      "xcode_settings": {
        "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
        "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
        "OTHER_CPLUSPLUSFLAGS": ["-O3"]
      },
      "msvs_settings": { "VCCLCompilerTool": { "ExceptionHandling": 1, "AdditionalOptions": ["/std:c++17", "/openmp"] } }
    }
  ]
}
