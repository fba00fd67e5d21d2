package train

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestAdamKerasGolden reproduces AdamTest.test_correctness_with_golden of
// keras/src/optimizers/adam_test.py: Adam(amsgrad=True) with the Keras
// defaults otherwise (lr 0.001, β₁ 0.9, β₂ 0.999, ε 1e-7).
func TestAdamKerasGolden(t *testing.T) {
	runKerasGolden(t, NewAdam(0.001, 0.9, 0.999, 1e-7, true),
		tile(10, 0.999, 0.9982, 0.9974, 0.9965, 0.9955))
}

// TestAdamKerasSingleStep reproduces AdamTest.test_single_step of
// keras/src/optimizers/adam_test.py: Adam(learning_rate=0.5), one step.
func TestAdamKerasSingleStep(t *testing.T) {
	o := NewAdam(0.5, 0.9, 0.999, 1e-7, false)
	params := []float32{1, 2, 3, 4}
	o.Build(len(params))
	o.Step(params, []float32{1, 6, 7, 2})
	assertAllClose(t, []float64{0.5, 1.5, 2.5, 3.5}, params, 1e-4, 1e-4)
	assert.Equal(t, int64(1), o.Iterations())
}

// TestAdamHandDerived checks three steps on two parameters against Adam as
// written in Kingma & Ba (Algorithm 1, bias-corrected moments), in float64.
// Keras's form is the same rule with ε scaled: Keras's ε equals the paper's
// ε̂ times √(1−β₂ᵗ). β₁ = 0.5, β₂ = 0.75 and ε = 1e-3 make the bias
// correction and ε matter, and the second parameter's gradients shrink so
// that AMSGrad's running maximum differs from v.
func TestAdamHandDerived(t *testing.T) {
	const lr, b1, b2, eps = 0.1, 0.5, 0.75, 1e-3
	w0 := []float64{1, -2}
	grads := [][]float64{{0.5, 1}, {-0.25, 0.1}, {1, 0.05}}

	// byHand returns w after each step.
	byHand := func(amsgrad bool) [][]float64 {
		var out [][]float64
		w := append([]float64(nil), w0...)
		m, v, vmax := make([]float64, 2), make([]float64, 2), make([]float64, 2)
		for step, g := range grads {
			t := float64(step + 1)
			for i := range w {
				m[i] = b1*m[i] + (1-b1)*g[i]
				v[i] = b2*v[i] + (1-b2)*g[i]*g[i]
				vmax[i] = math.Max(vmax[i], v[i])
				second := v[i]
				if amsgrad {
					second = vmax[i]
				}
				mHat := m[i] / (1 - math.Pow(b1, t))
				vHat := second / (1 - math.Pow(b2, t))
				epsHat := eps / math.Sqrt(1-math.Pow(b2, t))
				w[i] -= lr * mHat / (math.Sqrt(vHat) + epsHat)
			}
			out = append(out, append([]float64(nil), w...))
		}
		return out
	}

	for _, amsgrad := range []bool{false, true} {
		want := byHand(amsgrad)
		o := NewAdam(lr, b1, b2, eps, amsgrad)
		params := []float32{float32(w0[0]), float32(w0[1])}
		o.Build(2)
		for i, g := range grads {
			o.Step(params, []float32{float32(g[0]), float32(g[1])})
			assertAllClose(t, want[i], params, 1e-6, 1e-6, "amsgrad ", amsgrad, " step ", i+1)
		}
	}
	// The case is built so that AMSGrad changes the second parameter.
	assert.Greater(t, math.Abs(byHand(true)[2][1]-byHand(false)[2][1]), 1e-3)
}
