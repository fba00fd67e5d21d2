// Package libopenblas is the thin cgo binding to the system OpenBLAS (Debian's
// libopenblas-dev): it links the library and controls its thread pool.
//
// The GEMM itself goes through gonum.org/v1/netlib/blas/netlib, which calls
// CBLAS but leaves linking to its user; the #cgo LDFLAGS line in this package
// supplies -lopenblas, so a plain `go build` links without CGO_LDFLAGS.
//
// Without cgo (CGO_ENABLED=0) or with the build tag noopenblas, the package
// compiles to a stub whose Available reports false and whose functions
// return ErrUnavailable, so the rest of descent builds and falls back to the
// pure-Go backend.
package libopenblas
