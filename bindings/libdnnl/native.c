//go:build cgo && !nodnnl

// cgo compiles the C files of a package's directory: this one brings in the
// native layer, so that `go build` needs no separate CMake step. CMake
// (CMakeLists.txt) builds the same source for the C tests.
#include "../../native/descent_dnnl.c"
