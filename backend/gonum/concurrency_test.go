package gonum_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/descent-ml/descent/backend/backendtest"
	"github.com/descent-ml/descent/backend/gonum"
	"github.com/descent-ml/descent/model"
)

// The conformance suite's concurrency check, on the engine and on the Go
// planner over it, with and without workers.
func TestConcurrentConformance(t *testing.T) {
	e := gonum.New()
	defer e.Close()
	for _, threads := range []int{1, 2} {
		require.NoError(t, e.SetThreads(threads))
		backendtest.RunConcurrent(t, e)
		backendtest.RunConcurrent(t, model.GoPlanner(e))
	}
}
