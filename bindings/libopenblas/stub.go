//go:build !cgo || noopenblas

package libopenblas

// Available reports whether OpenBLAS was linked into this binary: false in
// this build (no cgo, or the noopenblas tag).
func Available() bool { return false }

// SetThreads fails: OpenBLAS is not linked.
func SetThreads(n int) error { return ErrUnavailable }

// Threads reports 0: OpenBLAS is not linked.
func Threads() int { return 0 }

// Config reports that OpenBLAS is not linked.
func Config() string { return "not linked" }

// Sgemm panics: callers must check Available first (backend/openblas does).
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	panic(ErrUnavailable)
}
