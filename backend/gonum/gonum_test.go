package gonum_test

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/descent-ml/descent/backend/backendtest"
	"github.com/descent-ml/descent/backend/gonum"
)

func TestConformance(t *testing.T) {
	e := gonum.New()
	defer e.Close()
	for _, threads := range []int{1, 2, 3} {
		require.NoError(t, e.SetThreads(threads))
		assert.Equal(t, threads, e.Threads())
		backendtest.Run(t, e)
	}
	require.Error(t, e.SetThreads(0))
}

// Several goroutines on one engine: the pool serves one at a time and the
// others run serially; all results must still be right (run with -race).
func TestConcurrentCallers(t *testing.T) {
	e := gonum.New()
	defer e.Close()
	require.NoError(t, e.SetThreads(2))
	var wg sync.WaitGroup
	errs := make(chan error, 4*len(backendtest.Cases()))
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i, c := range backendtest.Cases() {
				if err := backendtest.Check(e, c, uint64(i+g)); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// The pool is started once: a GEMM allocates nothing (gonum's own parallel
// path starts a goroutine per block on every call).
func TestSgemmAllocatesNothing(t *testing.T) {
	e := gonum.New()
	defer e.Close()
	require.NoError(t, e.SetThreads(2))
	a, b, c := make([]float32, 128*784), make([]float32, 784*128), make([]float32, 128*128)
	allocs := testing.AllocsPerRun(10, func() {
		e.Sgemm(false, false, 128, 128, 784, 1, a, 784, b, 128, 0, c, 128)
		e.Sgemm(true, false, 784, 128, 128, 1, a, 784, c, 128, 0, b, 128)
	})
	assert.Zero(t, allocs)
}
