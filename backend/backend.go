// Package backend defines the compute engine that a training step runs on.
//
// Data layout: every matrix is a row-major []float32 with an explicit leading
// dimension, exactly as in gonum's blas package (and CBLAS with CblasRowMajor):
// element (i, j) of an r×c matrix A with leading dimension lda is A[i*lda+j],
// lda ≥ c.
//
// An Engine is what the layers need from a BLAS: one GEMM with transposes.
// Implementations live in sub-packages (gonum: pure Go; openblas: cgo to
// CBLAS) and all pass the same conformance suite in backend/backendtest,
// which compares them with the float64 plain-loop reference Gemm in this
// package.
package backend

// Engine is a compute backend for dense layers.
//
// Sgemm computes C = alpha·op(A)·op(B) + beta·C, where op(X) is X or Xᵀ as
// selected by transA and transB, op(A) is m×k, op(B) is k×n and C is m×n.
// Shapes are the caller's responsibility (the model checks them once at
// set-up); an Engine may panic on inconsistent arguments, as gonum's blas
// does, because that is a programming error, not a user error.
//
// An Engine must be safe for concurrent use by several goroutines, each with
// its own output buffers.
type Engine interface {
	// Name is the backend's short name, as accepted by --backend.
	Name() string
	// Sgemm is the row-major single-precision GEMM described above.
	Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int)
	// SetThreads sets the number of threads the engine's own pool uses
	// (n ≥ 1). Engines without a pool accept any n ≥ 1 and record it.
	SetThreads(n int) error
	// Threads reports the current setting.
	Threads() int
}

// Float is the set of floating-point types the generic numerical code in
// descent is written for: float32 for training, float64 for references and
// finite-difference checks.
type Float interface{ ~float32 | ~float64 }

// GemmFunc is the signature of a row-major GEMM over T. Engine.Sgemm is a
// GemmFunc[float32]; Gemm is a GemmFunc[T] for any T.
type GemmFunc[T Float] func(transA, transB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int)

// Gemm is the plain triple-loop reference GEMM: C = alpha·op(A)·op(B) + beta·C.
// It is slow and obviously correct: the oracle for every fast engine, and,
// instantiated at float64, the arithmetic of finite-difference checks.
// The inner sum is accumulated in float64 whatever T is.
func Gemm[T Float](transA, transB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	at := func(i, p int) T { // op(A)[i][p]
		if transA {
			return a[p*lda+i]
		}
		return a[i*lda+p]
	}
	bt := func(p, j int) T { // op(B)[p][j]
		if transB {
			return b[j*ldb+p]
		}
		return b[p*ldb+j]
	}
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s float64
			for p := 0; p < k; p++ {
				s += float64(at(i, p)) * float64(bt(p, j))
			}
			cij := &c[i*ldc+j]
			if beta == 0 { // BLAS convention: beta = 0 ignores C, even NaN
				*cij = T(float64(alpha) * s)
			} else {
				*cij = T(float64(alpha)*s + float64(beta)*float64(*cij))
			}
		}
	}
}
