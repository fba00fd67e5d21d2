package train_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/descent-ml/descent/model"
	"github.com/descent-ml/descent/train"
)

// tinyNet is 2 → 2 → 1: variables W₀ (4), b₀ (2), W₁ (2), b₁ (1), nine
// parameters in all.
func tinyNet(t testing.TB) *model.Sequential {
	m, err := model.NewSequential(2, model.Dense(2, model.Tanh), model.Dense(1, model.Sigmoid))
	require.NoError(t, err)
	return m
}

// Keras's clipnorm clips each variable by its own norm, worked by hand.
func TestClipNorm(t *testing.T) {
	r := float32(math.Sqrt2 / 2)
	for _, tc := range []struct {
		name        string
		max         float64
		grads, want []float32
	}{
		{
			// W₀ = [3 0 −4 0]: ‖·‖ = 5 > 1, scaled by 1/5 → [0.6 0 −0.8 0].
			// b₀ = [0.3 0.4]: ‖·‖ = 0.5 ≤ 1, unchanged.
			// W₁ = [100 100]: ‖·‖ = 100√2 → [√2/2 √2/2] (Keras's
			// NadamTest.test_clip_norm and AdamWTest.test_clip_norm).
			// b₁ = [−2]: ‖·‖ = 2 → [−1].
			"each variable by its own norm", 1,
			[]float32{3, 0, -4, 0, 0.3, 0.4, 100, 100, -2},
			[]float32{0.6, 0, -0.8, 0, 0.3, 0.4, r, r, -1},
		},
		{
			// With maxNorm 5 W₀ is at the limit (unchanged), W₁ becomes
			// 5·[1 1]/√2 and b₁ is under it.
			"at the limit unchanged", 5,
			[]float32{3, 0, -4, 0, 0.3, 0.4, 100, 100, -2},
			[]float32{3, 0, -4, 0, 0.3, 0.4, 5 * r, 5 * r, -2},
		},
		{"zero gradient", 1, make([]float32, 9), make([]float32, 9)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, err := train.ClipNorm(tinyNet(t), tc.max)
			require.NoError(t, err)
			g := &train.StepGradients{Grads: append([]float32(nil), tc.grads...)}
			require.NoError(t, h.OnGradients(g))
			assert.InDeltaSlice(t, tc.want, g.Grads, 1e-6)
		})
	}

	// Not global_clipnorm: the global norm of the first case is
	// √(25 + 0.25 + 20000 + 4) ≈ 141.5, which would shrink b₀ as well.
	h, _ := train.ClipGlobalNorm(1)
	g := &train.StepGradients{Grads: []float32{3, 0, -4, 0, 0.3, 0.4, 100, 100, -2}}
	require.NoError(t, h.OnGradients(g))
	assert.Less(t, g.Grads[4], float32(0.01))

	h, _ = train.ClipNorm(tinyNet(t), 1)
	g = &train.StepGradients{Grads: make([]float32, 9)}
	g.Grads[0] = float32(math.NaN())
	g.Grads[4] = 10
	require.NoError(t, h.OnGradients(g))
	assert.True(t, math.IsNaN(float64(g.Grads[0])), "a NaN reaches the update")
	assert.Equal(t, float32(1), g.Grads[4], "the other variables are still clipped")

	assert.ErrorContains(t, h.OnGradients(&train.StepGradients{Grads: make([]float32, 8)}), "9 parameters")
	for _, bad := range []float64{0, -1, math.Inf(1), math.NaN()} {
		_, err := train.ClipNorm(tinyNet(t), bad)
		assert.Error(t, err, "%v", bad)
	}
	_, err := train.ClipNorm(nil, 1)
	assert.Error(t, err)
}

// Keras's clipvalue clips elementwise, worked by hand.
func TestClipValue(t *testing.T) {
	for _, tc := range []struct {
		name        string
		max         float64
		grads, want []float32
	}{
		// Keras's NadamTest.test_clip_value and AdamWTest.test_clip_value.
		{"keras", 1, []float32{100, 100}, []float32{1, 1}},
		{"both signs, inside kept", 0.5, []float32{-3, -0.5, 0.25, 0.5, 0.75}, []float32{-0.5, -0.5, 0.25, 0.5, 0.5}},
		{"infinities", 2, []float32{float32(math.Inf(1)), float32(math.Inf(-1))}, []float32{2, -2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, err := train.ClipValue(tc.max)
			require.NoError(t, err)
			g := &train.StepGradients{Grads: append([]float32(nil), tc.grads...)}
			require.NoError(t, h.OnGradients(g))
			assert.Equal(t, tc.want, g.Grads)
		})
	}
	h, _ := train.ClipValue(1)
	g := &train.StepGradients{Grads: []float32{float32(math.NaN())}}
	require.NoError(t, h.OnGradients(g))
	assert.True(t, math.IsNaN(float64(g.Grads[0])), "NaN stays NaN")
	for _, bad := range []float64{0, -1, math.Inf(1), math.NaN()} {
		_, err := train.ClipValue(bad)
		assert.Error(t, err, "%v", bad)
	}
}

// The clipping hooks allocate nothing per step, on their own and in a
// trainer's warm step.
func TestClipHooksAllocateNothing(t *testing.T) {
	m := smallNet(t)
	byNorm, err := train.ClipNorm(m, 0.1)
	require.NoError(t, err)
	byValue, err := train.ClipValue(0.01)
	require.NoError(t, err)
	g := &train.StepGradients{Grads: make([]float32, m.NumParams())}
	for i := range g.Grads {
		g.Grads[i] = float32(i%7) - 3
	}
	for _, h := range []train.GradientHook{byNorm, byValue} {
		assert.Zero(t, testing.AllocsPerRun(20, func() { _ = h.OnGradients(g) }))
	}

	src := smallSet(32, 3)
	tr := newSGDTrainer(t, m, 8, train.WithGradientHooks(byNorm, byValue))
	assert.Zero(t, warmStepAllocs(t, tr, src, seq(0, 8)))
}

// One SGD step (lr 0.1, w = 1 everywhere) after each clipping, by hand:
// w − 0.1·clip(g). The gradient is W₀ = [3 0 −4 0], b₀ = [0.3 0.4],
// W₁ = [100 100], b₁ = [−2] on tinyNet.
func TestClipThenStep(t *testing.T) {
	m := tinyNet(t)
	byNorm, _ := train.ClipNorm(m, 1)
	byValue, _ := train.ClipValue(1)
	global, _ := train.ClipGlobalNorm(1)
	r := float32(math.Sqrt2 / 2)
	// The global norm: √(9 + 16 + 0.09 + 0.16 + 2·10⁴ + 4) = √20029.25.
	s := float32(1 / math.Sqrt(20029.25))
	for _, tc := range []struct {
		name string
		hook train.GradientHook
		want []float32 // 1 − 0.1·clipped g
	}{
		// Per variable: W₀/5, b₀ as is, W₁·(1/(100√2)), b₁/2.
		{"clipnorm 1", byNorm, []float32{1 - 0.06, 1, 1 + 0.08, 1, 1 - 0.03, 1 - 0.04, 1 - 0.1*r, 1 - 0.1*r, 1 + 0.1}},
		// Elementwise to [−1, 1].
		{"clipvalue 1", byValue, []float32{1 - 0.1, 1, 1 + 0.1, 1, 1 - 0.03, 1 - 0.04, 1 - 0.1, 1 - 0.1, 1 + 0.1}},
		// Everything scaled by 1/√20029.25.
		{"global_clipnorm 1", global, []float32{1 - 0.3*s, 1, 1 + 0.4*s, 1, 1 - 0.03*s, 1 - 0.04*s, 1 - 10*s, 1 - 10*s, 1 + 0.2*s}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := &train.StepGradients{Grads: []float32{3, 0, -4, 0, 0.3, 0.4, 100, 100, -2}}
			require.NoError(t, tc.hook.OnGradients(g))
			w := []float32{1, 1, 1, 1, 1, 1, 1, 1, 1}
			o := train.NewSGD(0.1, 0, false)
			o.Build(len(w))
			o.Step(w, g.Grads)
			assert.InDeltaSlice(t, tc.want, w, 1e-6)
		})
	}
}
