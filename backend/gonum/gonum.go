// Package gonum is the pure-Go backend: gonum's Go BLAS (gonum.org/v1/gonum/blas/gonum).
//
// It needs no C library and no cgo, so it is the fallback wherever native
// libraries are missing, and the baseline that every native figure in
// bench/RESULTS.md is compared with.
package gonum

import (
	"fmt"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// Engine is the pure-Go backend. The zero value is not ready; use New.
type Engine struct {
	impl    gonum.Implementation
	threads int
}

// New returns the pure-Go engine.
func New() *Engine { return &Engine{threads: 1} }

// Name returns "gonum".
func (e *Engine) Name() string { return "gonum" }

// Sgemm computes C = alpha·op(A)·op(B) + beta·C with gonum's Go kernels.
func (e *Engine) Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	e.impl.Sgemm(trans(transA), trans(transB), m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// SetThreads records n. gonum's Sgemm splits large products over up to
// GOMAXPROCS goroutines by itself and has no pool of its own to size; the
// command line sets GOMAXPROCS from --threads.
func (e *Engine) SetThreads(n int) error {
	if n < 1 {
		return fmt.Errorf("gonum: threads must be ≥ 1, got %d", n)
	}
	e.threads = n
	return nil
}

// Threads reports the value last given to SetThreads (1 by default).
func (e *Engine) Threads() int { return e.threads }

func trans(t bool) blas.Transpose {
	if t {
		return blas.Trans
	}
	return blas.NoTrans
}
