package checkpoint_test

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/descent-ml/descent/backend/gonum"
	"github.com/descent-ml/descent/checkpoint"
	"github.com/descent-ml/descent/model"
	"github.com/descent-ml/descent/train"
)

func newDropoutTrainer(t testing.TB, rate float64) *train.Trainer {
	m, err := model.NewSequential(6, model.Dense(12, model.ReLU).WithDropout(rate), model.Dense(3, model.Softmax))
	require.NoError(t, err)
	m.Init(rand.New(rand.NewPCG(4, 4)))
	m.Preprocessing = model.ScaleBy(255)
	tr, err := train.NewTrainer(m, gonum.New(), train.NewAdam(0.01, 0.9, 0.999, 1e-7, false), train.CategoricalCrossentropyLoss{}, 8,
		train.WithDropoutSeed(7))
	require.NoError(t, err)
	return tr
}

// A Fit of a network with dropout, stopped after step 10 and resumed from
// its checkpoint folder, ends bit-identical to the uninterrupted Fit: the
// checkpoint keeps the dropout rate, and the resumed run draws the same
// masks. A network with another rate is refused.
func TestResumeWithDropoutIsBitExact(t *testing.T) {
	src, val := smallSet(50, 1), smallSet(20, 2)
	cfg := train.FitConfig{Epochs: 3, Seed: 7, Validation: val}
	ref := newDropoutTrainer(t, 0.5)
	want, err := ref.Fit(context.Background(), src, cfg)
	require.NoError(t, err)

	dir := t.TempDir()
	tr := newDropoutTrainer(t, 0.5)
	s, err := checkpoint.NewSaver(dir, 3, tr, identity(src), nil)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	c := cfg
	c.OnState = saveThenCancelAt(s, 10, cancel)
	_, err = tr.Fit(ctx, src, c)
	require.ErrorIs(t, err, context.Canceled)

	ck, _, err := checkpoint.Load(dir)
	require.NoError(t, err)
	assert.Equal(t, tr.Model().Layers(), ck.Model.Layers(), "the dropout rate round-trips")
	err = ck.Check(identity(src), newDropoutTrainer(t, 0.25).Model())
	require.ErrorIs(t, err, checkpoint.ErrMismatch)
	assert.ErrorContains(t, err, "6→12 relu dropout 0.5→3 softmax, this run 6→12 relu dropout 0.25→3 softmax")
	require.NoError(t, ck.Check(identity(src), newDropoutTrainer(t, 0.5).Model()))

	re := newDropoutTrainer(t, 0.5)
	st, err := ck.Restore(re)
	require.NoError(t, err)
	c = cfg
	c.Resume = st
	got, err := re.Fit(context.Background(), src, c)
	require.NoError(t, err)
	assert.Equal(t, ref.Model().Params, re.Model().Params)
	assert.Equal(t, ref.Optimizer().State(), re.Optimizer().State())
	assert.Equal(t, want.Loss, got.Loss)
	assert.Equal(t, want.ValLoss, got.ValLoss)
}
