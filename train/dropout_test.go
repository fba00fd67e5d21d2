package train_test

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/descent-ml/descent/backend/gonum"
	"github.com/descent-ml/descent/model"
	"github.com/descent-ml/descent/train"
)

// dropNet is smallNet with a wider hidden layer followed by dropout at rate.
func dropNet(t testing.TB, rate float64) *model.Sequential {
	m, err := model.NewSequential(6, model.Dense(16, model.Tanh).WithDropout(rate), model.Dense(3, model.Softmax))
	require.NoError(t, err)
	m.Init(rand.New(rand.NewPCG(4, 4)))
	return m
}

func dropTrainer(t testing.TB, m *model.Sequential, seed uint64, opts ...train.TrainerOption) *train.Trainer {
	tr, err := train.NewTrainer(m, gonum.New(), train.NewAdam(0.01, 0.9, 0.999, 1e-7, false), train.CategoricalCrossentropyLoss{}, 8,
		append([]train.TrainerOption{train.WithDropoutSeed(seed)}, opts...)...)
	require.NoError(t, err)
	return tr
}

// Training with dropout is reproducible from the seed: the same seed
// gives bit-identical parameters and history, another seed other ones, and
// both differ from training without dropout; rate 0 is bitwise training
// without dropout.
func TestFitWithDropoutReproducible(t *testing.T) {
	src, val := smallSet(50, 1), smallSet(20, 2)
	cfg := train.FitConfig{Epochs: 2, Seed: 7, Validation: val}
	fit := func(m *model.Sequential, seed uint64) ([]float32, *train.History) {
		tr := dropTrainer(t, m, seed)
		h, err := tr.Fit(context.Background(), src, cfg)
		require.NoError(t, err)
		return tr.Model().Params, h
	}
	p1, h1 := fit(dropNet(t, 0.5), 1)
	p2, h2 := fit(dropNet(t, 0.5), 1)
	assert.Equal(t, p1, p2)
	assert.Equal(t, h1.Loss, h2.Loss)
	assert.Equal(t, h1.ValLoss, h2.ValLoss)
	p3, _ := fit(dropNet(t, 0.5), 2)
	assert.NotEqual(t, p1, p3, "another dropout seed")
	none, hNone := fit(dropNet(t, 0), 1)
	assert.NotEqual(t, p1, none, "dropout changes training")

	plain, err := model.NewSequential(6, model.Dense(16, model.Tanh), model.Dense(3, model.Softmax))
	require.NoError(t, err)
	copy(plain.Params, dropNet(t, 0).Params)
	pPlain, hPlain := fit(plain, 1)
	assert.Equal(t, pPlain, none, "rate 0 is no dropout, bit for bit")
	assert.Equal(t, hPlain.Loss, hNone.Loss)
	assert.Equal(t, hPlain.ValLoss, hNone.ValLoss)
}

// Evaluation (through the trainer's Predictor) never drops: a network with
// dropout evaluates as the same weights without it, and twice alike.
func TestEvaluateWithoutDropout(t *testing.T) {
	src := smallSet(40, 3)
	m := dropNet(t, 0.6)
	plain, err := model.NewSequential(6, model.Dense(16, model.Tanh), model.Dense(3, model.Softmax))
	require.NoError(t, err)
	copy(plain.Params, m.Params)
	tr, trPlain := dropTrainer(t, m, 1), dropTrainer(t, plain, 1)
	l1, a1, err := tr.Evaluate(context.Background(), src)
	require.NoError(t, err)
	l2, a2, err := tr.Evaluate(context.Background(), src)
	require.NoError(t, err)
	lp, ap, err := trPlain.Evaluate(context.Background(), src)
	require.NoError(t, err)
	assert.Equal(t, lp, l1)
	assert.Equal(t, lp, l2)
	assert.Equal(t, ap, a1)
	assert.Equal(t, ap, a2)
}

// Stopping a Fit with dropout at any step and resuming it from the state
// of that moment (parameters, optimizer state, FitState: what a checkpoint
// keeps) ends bit-identical to the Fit never stopped: the masks of step k
// are a function of the seed and the optimizer's iterations, not of what
// the process ran before.
func TestFitWithDropoutResumeIsBitExact(t *testing.T) {
	src := smallSet(50, 1)
	cfg := train.FitConfig{Epochs: 2, Seed: 7, Validation: smallSet(20, 2)}
	ref := dropTrainer(t, dropNet(t, 0.5), 3)
	want, err := ref.Fit(context.Background(), src, cfg)
	require.NoError(t, err)
	for _, stop := range []int{1, 4, 7, 9, 13} {
		tr := dropTrainer(t, dropNet(t, 0.5), 3)
		ctx, cancel := context.WithCancel(context.Background())
		var saved train.FitState
		var params []float32
		var opt train.OptimizerState
		n := 0
		c := cfg
		c.OnState = func(s train.FitState) error {
			if s.Reason != train.StateStep {
				return nil
			}
			if n++; n == stop {
				saved, params, opt = stateCopy(s), append([]float32(nil), tr.Model().Params...), tr.Optimizer().State()
				cancel()
			}
			return nil
		}
		_, err := tr.Fit(ctx, src, c)
		require.ErrorIs(t, err, context.Canceled)
		re := dropTrainer(t, dropNet(t, 0.5), 3)
		copy(re.Model().Params, params)
		require.NoError(t, re.Optimizer().SetState(opt))
		c = cfg
		c.Resume = &saved
		got, err := re.Fit(context.Background(), src, c)
		require.NoError(t, err)
		require.Equal(t, ref.Model().Params, re.Model().Params, "stop after step %d", stop)
		assert.Equal(t, want.Loss, got.Loss, "stop after step %d", stop)
		assert.Equal(t, want.ValLoss, got.ValLoss, "stop after step %d", stop)
	}
}

// Accumulated micro-batches draw masks of their own (the sub-step counts
// the forward passes since the last update): two ComputeGradients on the
// same batch without an update give different gradients.
func TestDropoutMasksDifferBetweenMicroBatches(t *testing.T) {
	src := smallSet(8, 4)
	tr := dropTrainer(t, dropNet(t, 0.5), 1)
	_, _, err := tr.ComputeGradients(src, seq(0, 8))
	require.NoError(t, err)
	g1 := append([]float32(nil), tr.Gradients()...)
	_, _, err = tr.ComputeGradients(src, seq(0, 8))
	require.NoError(t, err)
	assert.NotEqual(t, g1, tr.Gradients())
	// A fresh trainer replays the first.
	tr2 := dropTrainer(t, dropNet(t, 0.5), 1)
	_, _, err = tr2.ComputeGradients(src, seq(0, 8))
	require.NoError(t, err)
	assert.Equal(t, g1, tr2.Gradients())
}

// A warm training step with dropout allocates nothing.
func TestTrainBatchWithDropoutAllocatesNothing(t *testing.T) {
	src := smallSet(32, 3)
	tr := dropTrainer(t, dropNet(t, 0.5), 1)
	assert.Zero(t, warmStepAllocs(t, tr, src, seq(0, 8)))
}
