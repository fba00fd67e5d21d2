package train

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestWeightDecayHandDerived checks the decoupled weight decay of every
// optimizer against single steps worked by hand: first w ← w − w·wd·lr,
// then the rule's own update on the decayed w with the unchanged gradient.
func TestWeightDecayHandDerived(t *testing.T) {
	cases := []struct {
		name string
		opt  interface {
			Optimizer
			WeightDecayer
		}
		wd    float64
		w     float32
		grads []float32
		want  []float64 // w after each step
	}{
		// lr 0.1, wd 0.5, g 1: 2 − 2·0.5·0.1 = 1.9, then 1.9 − 0.1·1 = 1.8;
		// 1.8 − 0.09 = 1.71, 1.71 − 0.1 = 1.61.
		{"sgd", NewSGD(0.1, 0, false), 0.5, 2, []float32{1, 1}, []float64{1.8, 1.61}},
		// momentum 0.9: m = −0.1, w = 1.9 − 0.1 = 1.8; then w = 1.71,
		// m = 0.9·(−0.1) − 0.1 = −0.19, w = 1.71 − 0.19 = 1.52.
		{"sgd momentum", NewSGD(0.1, 0.9, false), 0.5, 2, []float32{1, 1}, []float64{1.8, 1.52}},
		// lr 0.01, wd 1, g 2: 1 − 0.01 = 0.99; v = 0.1·4 = 0.4,
		// 0.99 − 0.01·2/√(0.4 + 1e-7) = 0.99 − 0.0316227727 = 0.9583772273.
		{"rmsprop", NewRMSprop(0.01, 0.9, 0, 1e-7, false), 1, 1, []float32{2}, []float64{0.9583772273}},
		// lr 0.1, wd 0.2, g 3: 1 − 0.02 = 0.98; then α = 0.1·√0.001/0.1,
		// m = 0.3, v = 0.009, α·m/(√v + ε) = 0.0316228·0.3/(0.0948683 +
		// 1e-7) = 0.0999999, so 0.98 − 0.0999999 = 0.8800001.
		{"adam", NewAdam(0.1, 0.9, 0.999, 1e-7, false), 0.2, 1, []float32{3}, []float64{0.8800000105}},
		// The same with Nadam: m̂ = u₂·0.3/(1 − u₁u₂) + (1−u₁)·3/(1−u₁)
		// = 0.145584/0.77289… + 3 = 3.1883623…, v̂ = 9·0.001/0.001 = 9,
		// 0.98 − 0.1·3.1883623/(3 + 1e-7) = 0.8737212.
		{"nadam", NewNadam(0.1, 0.9, 0.999, 1e-7), 0.2, 1, []float32{3}, []float64{0.8737212}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.opt.SetWeightDecay(c.wd)
			assert.Equal(t, c.wd, c.opt.WeightDecay())
			w := []float32{c.w}
			c.opt.Build(1)
			for i, g := range c.grads {
				c.opt.Step(w, []float32{g})
				assert.InDelta(t, c.want[i], float64(w[0]), 2e-7, "step %d", i+1)
			}
		})
	}
}

// TestWeightDecayFollowsLearningRate checks that the decay uses the
// learning rate of the step (as Keras reads optimizer.learning_rate).
func TestWeightDecayFollowsLearningRate(t *testing.T) {
	o := NewSGD(0.1, 0, false)
	o.SetWeightDecay(0.5)
	o.Build(1)
	w := []float32{2}
	o.SetLearningRate(0.2)
	o.Step(w, []float32{0}) // 2 − 2·0.5·0.2 = 1.8
	assert.InDelta(t, 1.8, float64(w[0]), 1e-7)

}
