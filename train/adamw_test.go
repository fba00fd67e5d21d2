package train

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestAdamWKerasGolden reproduces AdamWTest.test_correctness_with_golden of
// keras/src/optimizers/adamw_test.py: AdamW(learning_rate=1,
// weight_decay=0.5, epsilon=2), β₁ 0.9 and β₂ 0.999 by default; one step
// with gradient 0.01, then the rows after each further step with gradient
// arange(0.1, 1.1, 0.1). Tolerance: Keras's, rtol = atol = 5e-4, four
// decimals in the table; TestGoldenTolerance checks it is below one step's
// change. Row 0 by hand: the decay halves x (1 − 1·0.5·1 = 0.5), then Adam
// moves it by α·m/(√v + ε) = (√0.001/0.1)·0.001/(√1e-7 + 2) = 0.000158,
// giving 0.4998.
func TestAdamWKerasGolden(t *testing.T) {
	runKerasGolden(t, NewAdamW(1, 0.5, 0.9, 0.999, 2, false), adamWGolden)
}

var adamWGolden = [][]float64{
	{0.4998, 0.4998, 0.4998, 0.4998, 0.4998, 0.4998, 0.4998, 0.4998, 0.4998, 0.4998},
	{0.2486, 0.2475, 0.2463, 0.2451, 0.244, 0.2428, 0.2417, 0.2405, 0.2394, 0.2382},
	{0.1223, 0.1198, 0.1174, 0.1149, 0.1124, 0.11, 0.1075, 0.1051, 0.1027, 0.1003},
	{0.0586, 0.0549, 0.0512, 0.0475, 0.0439, 0.0402, 0.0366, 0.033, 0.0294, 0.0258},
	{0.0263, 0.0215, 0.0167, 0.012, 0.0073, 0.0026, -0.0021, -0.0067, -0.0113, -0.0159},
}

// TestAdamWKerasSingleStep reproduces AdamWTest.test_single_step:
// AdamW(learning_rate=0.5) (weight decay 0.004), one step of [1, 6, 7, 2]
// on [1, 2, 3, 4]: each w first becomes w·(1 − 0.002), then Adam's first
// step moves it by 0.5 (α·m/√v = lr·sign(g) at t = 1 up to ε).
func TestAdamWKerasSingleStep(t *testing.T) {
	o := NewAdamW(0.5, 0.004, 0.9, 0.999, 1e-7, false)
	params := []float32{1, 2, 3, 4}
	o.Build(len(params))
	o.Step(params, []float32{1, 6, 7, 2})
	assertAllClose(t, []float64{0.4980, 1.4960, 2.494, 3.492}, params, 1e-4, 1e-4)
}

// TestAdamWKerasWeightDecay reproduces AdamWTest.test_weight_decay for
// var1: three AdamW(learning_rate=1, weight_decay=0.004) applied in turn
// with a zero gradient give 2·0.996³ = 1.976095872 (Keras: 1.9760959).
func TestAdamWKerasWeightDecay(t *testing.T) {
	w := []float32{2}
	for range 3 {
		o := NewAdamW(1, 0.004, 0.9, 0.999, 1e-7, false)
		o.Build(1)
		o.Step(w, []float32{0})
	}
	assert.InDelta(t, 1.9760959, float64(w[0]), 1e-6)
}

// TestAdamWIsAdamAfterDecay checks the decoupling: an AdamW step equals
// decaying w by hand and then taking the Adam step, bit for bit, over
// several steps (the decay never enters m or v), for both Adam kernels
// (the vector one on 16 values, AMSGrad's scalar loop).
func TestAdamWIsAdamAfterDecay(t *testing.T) {
	const lr, wd = 0.01, 0.3
	for _, amsgrad := range []bool{false, true} {
		p1, p2 := make([]float32, 16), make([]float32, 16)
		for i := range p1 {
			p1[i] = float32(i) - 7.5
			p2[i] = p1[i]
		}
		w := NewAdamW(lr, wd, 0.9, 0.999, 1e-7, amsgrad)
		a := NewAdam(lr, 0.9, 0.999, 1e-7, amsgrad)
		w.Build(16)
		a.Build(16)
		for step := range 4 {
			g := make([]float32, 16)
			for i := range g {
				g[i] = float32((i+step)%5) - 2
			}
			w.Step(p1, g)
			for i, x := range p2 {
				p2[i] = x - float32(float32(x*wd)*lr) // w ← w − w·wd·lr
			}
			a.Step(p2, g)
			assert.Equal(t, bits(p2), bits(p1), "amsgrad %v step %d", amsgrad, step+1)
		}
		sw, sa := w.State(), a.State()
		for i := range sa.Slots {
			assert.Equal(t, bits(sa.Slots[i]), bits(sw.Slots[i]), "slot %d", i)
		}
	}
}
