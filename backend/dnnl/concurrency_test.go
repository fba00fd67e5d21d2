//go:build cgo && !nodnnl

package dnnl_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/descent-ml/descent/backend"
	"github.com/descent-ml/descent/backend/backendtest"
	"github.com/descent-ml/descent/backend/dnnl"
)

// Sixteen goroutines, each with its own plans (and forward-only plans),
// give bitwise the results of a sequential run: directly on their own
// threads with one oneDNN thread, through the owner thread with two.
func TestConcurrentConformance(t *testing.T) {
	e := engine(t)
	for _, n := range threadCounts {
		require.NoError(t, e.SetThreads(n))
		backendtest.RunConcurrent(t, e)
	}
}

func TestForwardConformance(t *testing.T) {
	e := engine(t)
	for _, n := range threadCounts {
		require.NoError(t, e.SetThreads(n))
		backendtest.RunForward(t, e)
	}
}

// Closing the engine before its plans is allowed and never a crash.
func TestCloseOrder(t *testing.T) {
	e, err := dnnl.New()
	require.NoError(t, err)
	require.NoError(t, backendtest.CheckCloseOrder(e))
	_, err = e.PlanDense(2, 2, 2, backend.ReLU)
	assert.ErrorContains(t, err, "context closed")
	_, err = e.PlanDenseForward(2, 2, 2, backend.ReLU)
	assert.ErrorContains(t, err, "context closed")
}

// A forward-only plan has no backward pass.
func TestForwardPlanRefusesBackward(t *testing.T) {
	e := engine(t)
	p, err := e.PlanDenseForward(4, 3, 2, backend.Softmax)
	require.NoError(t, err)
	defer p.Close()
	d, ok := p.(backend.DensePlan)
	require.True(t, ok, "the plan is a *bindings/libdnnl.Dense")
	err = d.ActivationBackward(make([]float32, 8), make([]float32, 8))
	assert.ErrorContains(t, err, "forward-only plan has no backward pass")
	err = d.Backward(make([]float32, 12), make([]float32, 6), make([]float32, 8), make([]float32, 6), make([]float32, 2), nil)
	assert.ErrorContains(t, err, "forward-only plan has no backward pass")
	_, err = e.PlanDenseForward(1, 1, 1, backend.Activation(7))
	assert.ErrorContains(t, err, "unknown activation")
}
