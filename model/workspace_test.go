package model_test

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/descent-ml/descent/backend/gonum"
	"github.com/descent-ml/descent/model"
)

// An inference workspace gives the training workspace's outputs, runs only
// the batch sizes it planned on engines with plans, and refuses Backward.
func TestInferenceWorkspace(t *testing.T) {
	m := tutorialNet(t)
	x := make([]float32, 8*784)
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range x {
		x[i] = rng.Float32()
	}
	train, err := m.NewWorkspace(gonum.New(), 8)
	require.NoError(t, err)
	want, err := m.Forward(train, x, 8)
	require.NoError(t, err)

	plain, err := m.NewInferenceWorkspace(gonum.New(), 8, []int{8})
	require.NoError(t, err)
	assert.Nil(t, plain.PlannedBatches(), "an engine without plans runs any batch size")
	got, err := m.Forward(plain, x, 8)
	require.NoError(t, err)
	assert.Equal(t, want, got)
	_, err = m.Forward(plain, x, 3)
	assert.NoError(t, err)
	assert.ErrorContains(t, m.Backward(plain, want, model.GradLogits), "inference workspace")

	planned, err := m.NewInferenceWorkspace(model.GoPlanner(gonum.New()), 8, []int{8, 4, 8})
	require.NoError(t, err)
	defer planned.Close()
	assert.Equal(t, []int{4, 8}, planned.PlannedBatches())
	got, err = m.Forward(planned, x, 8)
	require.NoError(t, err)
	assert.Equal(t, want, got)
	_, err = m.Forward(planned, x, 3)
	assert.ErrorContains(t, err, "no plan for batch size 3 (planned: [4 8])")

	_, err = m.NewInferenceWorkspace(gonum.New(), 0, nil)
	assert.Error(t, err)
	_, err = m.NewInferenceWorkspace(model.GoPlanner(gonum.New()), 8, []int{9})
	assert.ErrorContains(t, err, "planned batch size 9 outside 1..8")
}
