package train

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestRMSpropKerasGolden reproduces RMSpropTest.test_correctness_with_golden
// of keras/src/optimizers/rmsprop_test.py: RMSprop(centered=True) with the
// Keras defaults otherwise (lr 0.001, ρ 0.9, no momentum, ε 1e-7).
func TestRMSpropKerasGolden(t *testing.T) {
	runKerasGolden(t, NewRMSprop(0.001, 0.9, 0, 1e-7, true),
		tile(10, 0.9967, 0.9933, 0.9908, 0.9885, 0.9864))
}

// TestRMSpropKerasSingleStep reproduces RMSpropTest.test_single_step of
// keras/src/optimizers/rmsprop_test.py: RMSprop(learning_rate=0.5), one step.
func TestRMSpropKerasSingleStep(t *testing.T) {
	o := NewRMSprop(0.5, 0.9, 0, 1e-7, false)
	params := []float32{1, 2, 3, 4}
	o.Build(len(params))
	o.Step(params, []float32{1, 6, 7, 2})
	assertAllClose(t, []float64{-0.5811, 0.4189, 1.4189, 2.4189}, params, 1e-4, 1e-4)
	assert.Equal(t, int64(1), o.Iterations())
}

// TestRMSpropHandDerived checks three steps on one parameter against the
// formulas worked in float64: lr = 0.1, ρ = 0.9, w₀ = 1, gradients 0.5,
// −0.25, 1. ε = 1e-3 is large enough that putting it outside the square
// root would change the result by about 1%.
func TestRMSpropHandDerived(t *testing.T) {
	const lr, rho, mu, eps = 0.1, 0.9, 0.5, 1e-3
	grads := []float32{0.5, -0.25, 1}

	// Plain: v ← ρ·v + (1−ρ)·g²; w ← w − lr·g/√(v + ε).
	v1 := (1 - rho) * 0.5 * 0.5
	w1 := 1 - lr*0.5/math.Sqrt(v1+eps)
	v2 := rho*v1 + (1-rho)*0.25*0.25
	w2 := w1 - lr*-0.25/math.Sqrt(v2+eps)
	v3 := rho*v2 + (1-rho)*1*1
	w3 := w2 - lr*1/math.Sqrt(v3+eps)
	plain := []float64{w1, w2, w3}

	// Centered with momentum: also ḡ ← ρ·ḡ + (1−ρ)·g, the denominator is
	// √(v − ḡ² + ε), and m ← μ·m + increment; w ← w − m.
	a1 := (1 - rho) * 0.5
	m1 := lr * 0.5 / math.Sqrt(v1-a1*a1+eps)
	cw1 := 1 - m1
	a2 := rho*a1 + (1-rho)*-0.25
	m2 := mu*m1 + lr*-0.25/math.Sqrt(v2-a2*a2+eps)
	cw2 := cw1 - m2
	a3 := rho*a2 + (1-rho)*1
	m3 := mu*m2 + lr*1/math.Sqrt(v3-a3*a3+eps)
	cw3 := cw2 - m3
	centered := []float64{cw1, cw2, cw3}

	for _, c := range []struct {
		name  string
		o     *RMSprop
		want  []float64
		slots int
	}{
		{"plain", NewRMSprop(lr, rho, 0, eps, false), plain, 1},
		{"centered momentum", NewRMSprop(lr, rho, mu, eps, true), centered, 3},
	} {
		t.Run(c.name, func(t *testing.T) {
			params := []float32{1}
			c.o.Build(1)
			for i, g := range grads {
				c.o.Step(params, []float32{g})
				assertAllClose(t, c.want[i:i+1], params, 1e-6, 1e-6, "step ", i+1)
			}
			// Slots in the Keras order: v, m, ḡ.
			s := c.o.State().Slots
			assert.Len(t, s, c.slots)
			assert.InDelta(t, v3, s[0][0], 1e-7, "v")
			if c.slots == 3 {
				assert.InDelta(t, m3, s[1][0], 1e-7, "m")
				assert.InDelta(t, a3, s[2][0], 1e-7, "ḡ")
			}
		})
	}
}
