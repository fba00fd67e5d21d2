package backendtest_test

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/descent-ml/descent/backend"
	"github.com/descent-ml/descent/backend/backendtest"
	"github.com/descent-ml/descent/model"
)

func TestReferencePassesConcurrency(t *testing.T) {
	backendtest.RunConcurrent(t, refGemm{})
	backendtest.RunConcurrent(t, model.GoPlanner(refGemm{}))
}

// refGemm is the float32 reference GEMM as an engine.
type refGemm struct{}

func (refGemm) Name() string         { return "reference" }
func (refGemm) SetThreads(int) error { return nil }
func (refGemm) Threads() int         { return 1 }
func (refGemm) Sgemm(tA, tB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	backend.Gemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// sharedEngine computes into one scratch buffer shared by all callers:
// each step is locked, so the race detector sees nothing, but a caller can
// copy out another caller's product. The concurrency check must catch it.
type sharedEngine struct {
	refGemm
	mu      *sync.Mutex
	scratch *[]float32
}

func (s sharedEngine) Sgemm(tA, tB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	s.mu.Lock()
	*s.scratch = append((*s.scratch)[:0], make([]float32, m*n)...)
	backend.Gemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, 0, *s.scratch, n)
	s.mu.Unlock()
	time.Sleep(time.Millisecond) // let another caller overwrite it
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range m {
		for j := range n {
			if idx := i*n + j; idx < len(*s.scratch) {
				c[i*ldc+j] = (*s.scratch)[idx] // beta = 0 in the check
			}
		}
	}
}

// accumulating adds into C even when beta = 0 (a classic BLAS-wrapper bug).
type accumulating struct{ refGemm }

func (accumulating) Sgemm(tA, tB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	backend.Gemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, 1, c, ldc)
}

func TestConcurrencyCheckCatchesBrokenEngines(t *testing.T) {
	var scratch []float32
	assert.Error(t, backendtest.CheckConcurrent(sharedEngine{mu: &sync.Mutex{}, scratch: &scratch}, 2), "shared scratch")
	assert.ErrorContains(t, backendtest.CheckConcurrent(accumulating{}, 1), "NaN", "accumulates into C")
}
