package train

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestSGDKerasGolden reproduces SGDTest.test_correctness_with_golden of
// keras/src/optimizers/sgd_test.py: SGD(nesterov=True) with Keras's default
// learning rate 0.01 and momentum 0, so plain SGD.
func TestSGDKerasGolden(t *testing.T) {
	runKerasGolden(t, NewSGD(0.01, 0, true), [][]float64{
		{0.9999, 0.9999, 0.9999, 0.9999, 0.9999, 0.9999, 0.9999, 0.9999, 0.9999, 0.9999},
		{0.9989, 0.9979, 0.9969, 0.9959, 0.9949, 0.9939, 0.9929, 0.9919, 0.9909, 0.9899},
		{0.9979, 0.9959, 0.9939, 0.9919, 0.9899, 0.9879, 0.9859, 0.9839, 0.9819, 0.9799},
		{0.9969, 0.9939, 0.9909, 0.9879, 0.9849, 0.9819, 0.9789, 0.9759, 0.9729, 0.9699},
		{0.9959, 0.9919, 0.9879, 0.9839, 0.9799, 0.9759, 0.9719, 0.9679, 0.9639, 0.9599},
	})
}

// TestSGDKerasSingleStep reproduces SGDTest.test_single_step of
// keras/src/optimizers/sgd_test.py: SGD(learning_rate=0.5), one step.
func TestSGDKerasSingleStep(t *testing.T) {
	o := NewSGD(0.5, 0, false)
	params := []float32{1, 2, 3, 4}
	o.Build(len(params))
	o.Step(params, []float32{1, 6, 7, 2})
	assertAllClose(t, []float64{0.5, -1, -0.5, 3}, params, 1e-4, 1e-4)
	assert.Equal(t, int64(1), o.Iterations())
	assert.Equal(t, 0.5, o.LearningRate())
	assert.Empty(t, o.State().Slots, "no momentum slot without momentum, as in Keras")
}

// TestSGDHandDerived checks three steps on two parameters against values
// worked out by hand: lr = 0.1, μ = 0.9, w₀ = (1, −2) and gradients
// (0.5, −1), (−0.25, 2), (1, 0).
func TestSGDHandDerived(t *testing.T) {
	grads := [][]float32{{0.5, -1}, {-0.25, 2}, {1, 0}}
	cases := []struct {
		name     string
		momentum float64
		nesterov bool
		want     [][]float64 // w after each step
	}{{
		// w ← w − lr·g
		name: "plain",
		want: [][]float64{
			{1 - 0.05, -2 + 0.1},       // 0.95, −1.9
			{0.95 + 0.025, -1.9 - 0.2}, // 0.975, −2.1
			{0.975 - 0.1, -2.1 - 0},    // 0.875, −2.1
		},
	}, {
		// m ← μ·m − lr·g; w ← w + m
		// m₁ = (−0.05, 0.1)
		// m₂ = (0.9·−0.05 + 0.025, 0.9·0.1 − 0.2) = (−0.02, −0.11)
		// m₃ = (0.9·−0.02 − 0.1, 0.9·−0.11 − 0) = (−0.118, −0.099)
		name: "momentum", momentum: 0.9,
		want: [][]float64{
			{0.95, -1.9},
			{0.93, -2.01},
			{0.812, -2.109},
		},
	}, {
		// the same m; w ← w + μ·m − lr·g
		// w₁ = (1 − 0.045 − 0.05, −2 + 0.09 + 0.1) = (0.905, −1.81)
		// w₂ = (0.905 − 0.018 + 0.025, −1.81 − 0.099 − 0.2) = (0.912, −2.109)
		// w₃ = (0.912 − 0.1062 − 0.1, −2.109 − 0.0891 − 0) = (0.7058, −2.1981)
		name: "nesterov", momentum: 0.9, nesterov: true,
		want: [][]float64{
			{0.905, -1.81},
			{0.912, -2.109},
			{0.7058, -2.1981},
		},
	}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := NewSGD(0.1, c.momentum, c.nesterov)
			params := []float32{1, -2}
			o.Build(len(params))
			for i, g := range grads {
				o.Step(params, g)
				assertAllClose(t, c.want[i], params, 1e-6, 1e-6, "step ", i+1)
			}
		})
	}
}
