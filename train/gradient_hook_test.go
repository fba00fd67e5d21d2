package train_test

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/descent-ml/descent/backend/gonum"
	"github.com/descent-ml/descent/data"
	"github.com/descent-ml/descent/model"
	"github.com/descent-ml/descent/train"
)

// smallSet is n random 6-pixel images in 3 classes.
func smallSet(n int, seed uint64) *data.Dataset {
	rng := rand.New(rand.NewPCG(seed, 9))
	d := &data.Dataset{Name: "small", N: n, NumFeatures: 6, NumClasses: 3,
		Images: make([]uint8, 6*n), Labels: make([]uint8, n)}
	for i := range d.Images {
		d.Images[i] = uint8(rng.IntN(256))
	}
	for i := range d.Labels {
		d.Labels[i] = uint8(rng.IntN(3))
	}
	return d
}

func smallNet(t testing.TB) *model.Sequential {
	m, err := model.NewSequential(6, model.Dense(5, model.Tanh), model.Dense(3, model.Softmax))
	require.NoError(t, err)
	m.Init(rand.New(rand.NewPCG(4, 4)))
	return m
}

func newSGDTrainer(t testing.TB, m *model.Sequential, batch int, opts ...train.TrainerOption) *train.Trainer {
	tr, err := train.NewTrainer(m, gonum.New(), train.NewSGD(0.5, 0, false), train.CategoricalCrossentropyLoss{}, batch, opts...)
	require.NoError(t, err)
	return tr
}

// warmStepAllocs trains one batch of src (idx) on tr to warm it up, then
// returns the allocations of a further TrainBatch on the same batch.
func warmStepAllocs(t *testing.T, tr *train.Trainer, src data.Source, idx []int) float64 {
	t.Helper()
	_, _, err := tr.TrainBatch(src, idx)
	require.NoError(t, err)
	return testing.AllocsPerRun(20, func() {
		if _, _, err := tr.TrainBatch(src, idx); err != nil {
			t.Fatal(err)
		}
	})
}

func seq(from, to int) []int {
	var out []int
	for i := from; i < to; i++ {
		out = append(out, i)
	}
	return out
}

// The step is compute → hooks → apply: a hook sees exactly the gradients of
// ComputeGradients, the update uses what the hook left, and SGD's update is
// then params − lr·grads (hand-derived from Keras's SGD without momentum).
func TestGradientHookSitsBetweenComputeAndApply(t *testing.T) {
	src := smallSet(8, 1)
	ref := newSGDTrainer(t, smallNet(t), 8)
	_, _, err := ref.ComputeGradients(src, seq(0, 8))
	require.NoError(t, err)
	want := append([]float32(nil), ref.Gradients()...)
	before := append([]float32(nil), ref.Model().Params...)
	require.NoError(t, ref.ApplyGradients())
	for i := range before {
		assert.Equal(t, before[i]-float32(0.5)*want[i], ref.Model().Params[i], "param %d", i)
	}
	assert.ErrorContains(t, ref.ApplyGradients(), "without ComputeGradients")

	var seen []float32
	var calls int
	hook := train.GradientHookFunc(func(g *train.StepGradients) error {
		calls++
		seen = append(seen[:0], g.Grads...)
		assert.Equal(t, 8, g.Samples)
		assert.Equal(t, int64(0), g.Iterations)
		for i := range g.Grads {
			g.Grads[i] = 0 // the update then changes nothing
		}
		return nil
	})
	m := smallNet(t)
	start := append([]float32(nil), m.Params...)
	tr := newSGDTrainer(t, m, 8, train.WithGradientHooks(hook))
	_, _, err = tr.TrainBatch(src, seq(0, 8))
	require.NoError(t, err)
	assert.Equal(t, 1, calls)
	assert.Equal(t, want, seen)
	assert.Equal(t, start, m.Params)
	assert.Equal(t, int64(1), tr.Optimizer().Iterations())

	failing := train.GradientHookFunc(func(*train.StepGradients) error { return errors.New("allreduce failed") })
	tr = newSGDTrainer(t, m, 8, train.WithGradientHooks(failing))
	_, _, err = tr.TrainBatch(src, seq(0, 8))
	assert.ErrorContains(t, err, "gradient hook 0: allreduce failed")
	assert.Equal(t, start, m.Params, "no update after a failing hook")

	_, err = train.NewTrainer(m, gonum.New(), train.NewSGD(0.5, 0, false), train.CategoricalCrossentropyLoss{}, 8, train.WithGradientHooks(nil))
	assert.ErrorContains(t, err, "gradient hook 0 is nil")
}

// Keras's global_clipnorm on hand-computed gradients.
func TestClipGlobalNorm(t *testing.T) {
	for _, tc := range []struct {
		name  string
		max   float64
		grads []float32
		want  []float32
	}{
		{"3-4-5 clipped to 1", 1, []float32{3, 0, -4}, []float32{0.6, 0, -0.8}},
		{"under the limit unchanged", 10, []float32{3, 0, -4}, []float32{3, 0, -4}},
		{"at the limit unchanged", 5, []float32{3, 0, -4}, []float32{3, 0, -4}},
		{"zero gradient", 1, []float32{0, 0}, []float32{0, 0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, err := train.ClipGlobalNorm(tc.max)
			require.NoError(t, err)
			g := &train.StepGradients{Grads: append([]float32(nil), tc.grads...)}
			require.NoError(t, h.OnGradients(g))
			assert.InDeltaSlice(t, tc.want, g.Grads, 1e-7)
		})
	}
	h, _ := train.ClipGlobalNorm(1)
	g := &train.StepGradients{Grads: []float32{float32(math.Inf(1)), 1}}
	require.NoError(t, h.OnGradients(g))
	assert.True(t, math.IsNaN(float64(g.Grads[1])), "a non-finite norm is not hidden: %v", g.Grads)
	for _, bad := range []float64{0, -1, math.Inf(1), math.NaN()} {
		_, err := train.ClipGlobalNorm(bad)
		assert.Error(t, err, "%v", bad)
	}
}

// Two accumulated half-batches make the update of one full batch: the mean
// of two equal-size batch means is the mean over both.
func TestAccumulateGradientsEqualsOneLargeBatch(t *testing.T) {
	src := smallSet(16, 2)
	big := newSGDTrainer(t, smallNet(t), 16)
	_, _, err := big.TrainBatch(src, seq(0, 16))
	require.NoError(t, err)

	acc, err := train.AccumulateGradients(2)
	require.NoError(t, err)
	m := smallNet(t)
	start := append([]float32(nil), m.Params...)
	small := newSGDTrainer(t, m, 8, train.WithGradientHooks(acc))
	_, _, err = small.TrainBatch(src, seq(0, 8))
	require.NoError(t, err)
	assert.Equal(t, start, m.Params, "no update after the first of two steps")
	assert.Equal(t, int64(0), small.Optimizer().Iterations())
	_, _, err = small.TrainBatch(src, seq(8, 16))
	require.NoError(t, err)
	assert.Equal(t, int64(1), small.Optimizer().Iterations())
	for i, want := range big.Model().Params {
		assert.InDelta(t, want, m.Params[i], 1e-6, "param %d", i)
	}
	assert.NotEqual(t, start, m.Params)
	_, err = train.AccumulateGradients(0)
	assert.Error(t, err)
}

// A warm step with hooks still allocates nothing.
func TestStepWithHooksAllocatesNothing(t *testing.T) {
	clip, _ := train.ClipGlobalNorm(0.1)
	acc, _ := train.AccumulateGradients(3)
	src := smallSet(32, 3)
	tr := newSGDTrainer(t, smallNet(t), 8, train.WithGradientHooks(clip, acc))
	assert.Zero(t, warmStepAllocs(t, tr, src, seq(0, 8)))
}

// renamed is categorical cross-entropy under another name: the fused
// softmax gradient is chosen by type, not by name.
type renamed struct {
	train.CategoricalCrossentropyLoss
}

func (renamed) Name() string { return "my_crossentropy" }

// unfused has categorical cross-entropy's name but not its fused gradient.
type unfused struct {
	l train.CategoricalCrossentropyLoss
}

func (unfused) Name() string { return "categorical_crossentropy" }
func (u unfused) PerSample(yt, yp []float32, b, n int, out []float32) {
	u.l.PerSample(yt, yp, b, n, out)
}
func (u unfused) Gradient(yt, yp []float32, b, n int, g []float32) { u.l.Gradient(yt, yp, b, n, g) }

func TestLossKindIsChosenByType(t *testing.T) {
	src := smallSet(8, 4)
	grads := func(l train.Loss) []float32 {
		tr, err := train.NewTrainer(smallNet(t), gonum.New(), train.NewSGD(0.1, 0, false), l, 8)
		require.NoError(t, err)
		_, _, err = tr.ComputeGradients(src, seq(0, 8))
		require.NoError(t, err)
		return append([]float32(nil), tr.Gradients()...)
	}
	fused, byName := grads(renamed{}), grads(train.CategoricalCrossentropyLoss{})
	assert.Equal(t, byName, fused, "the same fused path, bit for bit")
	viaJacobian := grads(unfused{})
	assert.NotEqual(t, fused, viaJacobian, "the softmax Jacobian path rounds differently")
	assert.InDeltaSlice(t, fused, viaJacobian, 1e-5, "but computes the same gradient")

	_, err := train.NewTrainer(smallNet(t), gonum.New(), train.NewSGD(0.1, 0, false), train.SparseCategoricalCrossentropyLoss{}, 8)
	assert.ErrorContains(t, err, "takes class indices")
}

// Two goroutines in one Trainer get ErrConcurrentUse, not wrong answers.
func TestTrainerDetectsConcurrentUse(t *testing.T) {
	src := smallSet(8, 5)
	inside := make(chan struct{})
	release := make(chan struct{})
	hook := train.GradientHookFunc(func(*train.StepGradients) error {
		close(inside)
		<-release
		return nil
	})
	tr := newSGDTrainer(t, smallNet(t), 8, train.WithGradientHooks(hook))
	done := make(chan error)
	go func() {
		_, _, err := tr.TrainBatch(src, seq(0, 8))
		done <- err
	}()
	<-inside
	_, _, err := tr.Evaluate(context.Background(), src)
	assert.ErrorIs(t, err, train.ErrConcurrentUse)
	_, _, err = tr.TrainBatch(src, seq(0, 8))
	assert.ErrorIs(t, err, train.ErrConcurrentUse)
	close(release)
	require.NoError(t, <-done)
	_, _, err = tr.Evaluate(context.Background(), src)
	assert.NoError(t, err, "free again")
}
