//go:build cgo && !noopenblas

package libopenblas

/*
#cgo LDFLAGS: -lopenblas
// From OpenBLAS's cblas.h; declared here so that no OpenBLAS header is needed
// at build time beyond what libopenblas-dev installs.
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
char* openblas_get_config(void);
char* openblas_get_corename(void);
*/
import "C"

import (
	"fmt"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/netlib/blas/netlib"
)

// Available reports whether OpenBLAS was linked into this binary.
func Available() bool { return true }

// SetThreads sets the size of OpenBLAS's thread pool (n ≥ 1).
func SetThreads(n int) error {
	if n < 1 {
		return fmt.Errorf("openblas: threads must be ≥ 1, got %d", n)
	}
	C.openblas_set_num_threads(C.int(n))
	return nil
}

// Threads reports the size of OpenBLAS's thread pool.
func Threads() int { return int(C.openblas_get_num_threads()) }

// Config describes the linked library: its build configuration and the
// kernel family chosen for this CPU (e.g. "OpenBLAS 0.3.21 ... Haswell").
func Config() string {
	return C.GoString(C.openblas_get_config()) + " core=" + C.GoString(C.openblas_get_corename())
}

// Sgemm is CBLAS's row-major sgemm. The slices are passed to C for the
// duration of the call only (cgo's pointer rules: C keeps no pointer).
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	netlib.Implementation{}.Sgemm(trans(transA), trans(transB), m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

func trans(t bool) blas.Transpose {
	if t {
		return blas.Trans
	}
	return blas.NoTrans
}
