package openblas_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/descent-ml/descent/backend/backendtest"
	"github.com/descent-ml/descent/backend/openblas"
	"github.com/descent-ml/descent/model"
)

// The conformance suite's concurrency check, on the engine and on the Go
// planner over it, with OpenBLAS's pool at one and two threads.
func TestConcurrentConformance(t *testing.T) {
	e, err := openblas.New()
	require.NoError(t, err, "the test command installs libopenblas-dev; build with cgo")
	defer func() { require.NoError(t, e.SetThreads(1)) }()
	for _, threads := range []int{1, 2} {
		require.NoError(t, e.SetThreads(threads))
		backendtest.RunConcurrent(t, e)
		backendtest.RunConcurrent(t, model.GoPlanner(e))
	}
}
