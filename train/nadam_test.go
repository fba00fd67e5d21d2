package train

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestNadamKerasGolden reproduces NadamTest.test_correctness_with_golden of
// keras/src/optimizers/nadam_test.py: Nadam(learning_rate=0.5, beta_1=0.5,
// beta_2=0.67, epsilon=1e-5), one step with gradient 0.01, then the rows
// below after each further step with gradient arange(0.1, 1.1, 0.1).
//
// Tolerance: Keras's own, rtol = atol = 5e-4 (the table has four
// decimals, so its rounding alone is up to 5e-5). Each row moves x by
// about 0.52–0.6 per step, three orders of magnitude more than the
// tolerance, so a step too many, too few, or a wrong bias correction (Πₜ
// off by one step changes row 1 by ~0.02) fails; TestNadamTolerance
// checks that.
func TestNadamKerasGolden(t *testing.T) {
	runKerasGolden(t, NewNadam(0.5, 0.5, 0.67, 1e-5), nadamGolden)
}

var nadamGolden = [][]float64{
	{0.4281, 0.4281, 0.4281, 0.4281, 0.4281, 0.4281, 0.4281, 0.4281, 0.4281, 0.4281},
	{-0.1738, -0.1731, -0.1726, -0.1723, -0.1721, -0.172, -0.1719, -0.1718, -0.1718, -0.1717},
	{-0.7115, -0.7103, -0.7096, -0.7092, -0.709, -0.7088, -0.7086, -0.7085, -0.7085, -0.7084},
	{-1.2335, -1.2322, -1.2313, -1.2309, -1.2306, -1.2304, -1.2302, -1.2301, -1.23, -1.2299},
	{-1.7492, -1.7478, -1.7469, -1.7464, -1.7461, -1.7459, -1.7457, -1.7456, -1.7455, -1.7454},
}

// TestGoldenTolerance shows the golden tests can fail: Keras's tolerance
// (atol + rtol·|x| with rtol = atol = 5e-4) is below the smallest change
// of any entry from one row of the table to the next, so a skipped or a
// doubled step fails the comparison.
func TestGoldenTolerance(t *testing.T) {
	for name, golden := range map[string][][]float64{"nadam": nadamGolden, "adamw": adamWGolden} {
		for i := 1; i < len(golden); i++ {
			for j := range golden[i] {
				step := math.Abs(golden[i][j] - golden[i-1][j])
				tol := 5e-4 + 5e-4*math.Max(math.Abs(golden[i][j]), math.Abs(golden[i-1][j]))
				assert.Greater(t, step, tol, "%s row %d col %d", name, i, j)
			}
		}
	}
}

// TestNadamKerasSingleStep reproduces NadamTest.test_single_step:
// Nadam(learning_rate=0.5), one step of [1, 6, 7, 2] on [1, 2, 3, 4].
func TestNadamKerasSingleStep(t *testing.T) {
	o := NewNadam(0.5, 0.9, 0.999, 1e-7)
	params := []float32{1, 2, 3, 4}
	o.Build(len(params))
	o.Step(params, []float32{1, 6, 7, 2})
	assertAllClose(t, []float64{0.4686, 1.4686, 2.4686, 3.4686}, params, 1e-4, 1e-4)
}

// TestNadamKerasWeightDecay reproduces NadamTest.test_weight_decay for
// var1, the variable no optimizer excludes: three optimizers
// Nadam(learning_rate=1, weight_decay=0.004) are applied to it in turn,
// each once, with a zero gradient. With g = 0 the moments stay zero, m̂ = 0
// and the Nadam update is 0/(0 + ε) = 0, so only the decay acts:
// w = 2·(1 − 0.004·1)³ = 2·0.996³ = 1.976095872, Keras's 1.9760959.
func TestNadamKerasWeightDecay(t *testing.T) {
	w := []float32{2}
	for range 3 {
		o := NewNadam(1, 0.9, 0.999, 1e-7)
		o.SetWeightDecay(0.004)
		o.Build(1)
		o.Step(w, []float32{0})
	}
	assert.InDelta(t, 1.9760959, float64(w[0]), 1e-6)
}

// TestNadamHandDerived checks two steps of one parameter against the
// formulas of nadam.py evaluated in float64, written out term by term.
func TestNadamHandDerived(t *testing.T) {
	const lr, b1, b2, eps = 0.1, 0.9, 0.999, 1e-7
	u := func(t float64) float64 { return b1 * (1 - 0.5*math.Pow(0.96, t)) }
	w, m, v, prod := 1.0, 0.0, 0.0, 1.0
	grads := []float64{0.5, -0.25}
	var want []float64
	for step, g := range grads {
		t := float64(step + 1)
		prod *= u(t)                                        // Πₜ
		prodNext := prod * u(t+1)                           // Πₜ·uₜ₊₁
		m += (g - m) * (1 - b1)                             // m ← m + (g − m)(1−β₁)
		v += (g*g - v) * (1 - b2)                           // v ← v + (g² − v)(1−β₂)
		mHat := u(t+1)*m/(1-prodNext) + (1-u(t))*g/(1-prod) //
		vHat := v / (1 - math.Pow(b2, t))
		w -= lr * mHat / (math.Sqrt(vHat) + eps)
		want = append(want, w)
	}
	// Step 1 in numbers: u₁ = 0.9·(1 − 0.48) = 0.468, u₂ = 0.9·(1 −
	// 0.4608) = 0.48528, Π₁·u₂ = 0.22711…, m = 0.05, v = 0.00025,
	// m̂ = 0.024264/0.77289… + 0.532·0.5/0.532 = 0.031394… + 0.5,
	// v̂ = 0.25, w = 1 − 0.1·0.531394…/0.5000001 = 0.893721….
	assert.InDelta(t, 0.8937212, want[0], 1e-6)

	o := NewNadam(lr, b1, b2, eps)
	p := []float32{1}
	o.Build(1)
	for i, g := range grads {
		o.Step(p, []float32{float32(g)})
		assert.InDelta(t, want[i], float64(p[0]), 1e-6, "step %d", i+1)
	}
}

// TestNadamResumeLongRun resumes after many steps: Πₜ recomputed by
// SetState must equal the one Step accumulated, bit for bit, before and
// after Π reaches the fixed point where SetState's loop stops.
func TestNadamResumeLongRun(t *testing.T) {
	const n = 5
	for _, before := range []int{500, 10000} {
		r := rand.New(rand.NewPCG(7, 8))
		p := randomSlice(r, n)
		a := NewNadam(0.001, 0.9, 0.999, 1e-7)
		a.Build(n)
		for range before {
			a.Step(p, randomSlice(r, n))
		}
		if before == 10000 { // Π at its fixed point: a subnormal, or 0
			require.Less(t, a.uProduct, 1e-300)
			require.Equal(t, a.uProduct, a.uProduct*a.Beta1)
		}
		b := NewNadam(0.001, 0.9, 0.999, 1e-7)
		b.Build(n)
		require.NoError(t, b.SetState(a.State()))
		assert.Equal(t, math.Float64bits(a.uProduct), math.Float64bits(b.uProduct), "after %d steps", before)
		g := randomSlice(r, n)
		pa, pb := append([]float32(nil), p...), append([]float32(nil), p...)
		a.Step(pa, g)
		b.Step(pb, g)
		assert.Equal(t, bits(pa), bits(pb), "after %d steps", before)

		// A failed SetState leaves Πₜ alone too.
		require.Error(t, b.SetState(OptimizerState{Iterations: 3}))
		assert.Equal(t, math.Float64bits(a.uProduct), math.Float64bits(b.uProduct))
	}
}
