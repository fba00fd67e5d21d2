// Package openblas is the backend over the system OpenBLAS, through the cgo
// binding in bindings/libopenblas.
package openblas

import (
	"github.com/descent-ml/descent/bindings/libopenblas"
)

// Engine is the OpenBLAS backend.
type Engine struct{}

// New returns the OpenBLAS engine, or an error when OpenBLAS is not linked
// into this binary. It changes no thread setting: OpenBLAS's thread pool is
// process-wide and only SetThreads changes it (--threads auto gives it one
// thread, the fastest for the tutorial's small GEMMs on a 2-core machine:
// registry.AutoThreads, bench/RESULTS.md).
func New() (*Engine, error) {
	if !libopenblas.Available() {
		return nil, libopenblas.ErrUnavailable
	}
	return &Engine{}, nil
}

// Name returns "openblas".
func (e *Engine) Name() string { return "openblas" }

// Sgemm computes C = alpha·op(A)·op(B) + beta·C with OpenBLAS's cblas_sgemm.
func (e *Engine) Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	libopenblas.Sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// SetThreads sets OpenBLAS's (process-wide) thread pool to n threads.
func (e *Engine) SetThreads(n int) error { return libopenblas.SetThreads(n) }

// Threads reports OpenBLAS's thread-pool size.
func (e *Engine) Threads() int { return libopenblas.Threads() }

// Config describes the linked OpenBLAS build and the kernels it chose.
func (e *Engine) Config() string { return libopenblas.Config() }
