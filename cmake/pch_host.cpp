// Compiles the precompiled header that executables share (see src/core/CMakeLists.txt).
