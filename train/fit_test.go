package train_test

import (
	"context"
	"errors"
	"math"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/descent-ml/descent/data"
	"github.com/descent-ml/descent/train"
)

// recordingSource records the indices of every Batch call, and can poison
// one sample (its first feature becomes NaN) to make a loss non-finite.
type recordingSource struct {
	data.Source
	batches  [][]int
	poison   int  // the sample to poison
	poisoned bool // whether Batch poisons it now
}

func record(src data.Source) *recordingSource { return &recordingSource{Source: src, poison: -1} }

func (r *recordingSource) Batch(ctx context.Context, idx []int, x, y []float32, labels []int) error {
	r.batches = append(r.batches, slices.Clone(idx))
	if err := r.Source.Batch(ctx, idx, x, y, labels); err != nil {
		return err
	}
	if r.poisoned {
		for i, j := range idx {
			if j == r.poison {
				x[i*r.Features()] = float32(math.NaN())
			}
		}
	}
	return nil
}

// epochs splits the recorded batches into epochs of steps batches each and
// returns each epoch's sample order.
func (r *recordingSource) epochs(t *testing.T, steps int) [][]int {
	t.Helper()
	require.Zero(t, len(r.batches)%steps, "%d batches is not a whole number of %d-step epochs", len(r.batches), steps)
	var out [][]int
	for e := 0; e < len(r.batches); e += steps {
		var order []int
		for _, b := range r.batches[e : e+steps] {
			order = append(order, b...)
		}
		out = append(out, order)
	}
	return out
}

// callbackFuncs adapts functions to a train.Callback.
type callbackFuncs struct {
	begin func(epoch, epochs, steps int)
	batch func(train.BatchLogs)
	end   func(train.EpochLogs) error
}

func (c callbackFuncs) OnEpochBegin(epoch, epochs, steps int) {
	if c.begin != nil {
		c.begin(epoch, epochs, steps)
	}
}

func (c callbackFuncs) OnBatchEnd(l train.BatchLogs) {
	if c.batch != nil {
		c.batch(l)
	}
}

func (c callbackFuncs) OnEpochEnd(l train.EpochLogs) error {
	if c.end != nil {
		return c.end(l)
	}
	return nil
}

// Every epoch visits every sample exactly once, in batches of the batch size
// and a last partial one (300 = 128 + 128 + 44).
func TestFitVisitsEverySampleOncePerEpoch(t *testing.T) {
	src := record(smallSet(300, 1))
	tr := newSGDTrainer(t, smallNet(t), 128)
	hist, err := tr.Fit(context.Background(), src, train.FitConfig{Epochs: 3, Seed: 7})
	require.NoError(t, err)
	assert.Equal(t, 3, hist.Epochs())
	require.Len(t, src.batches, 9)
	for i, b := range src.batches {
		assert.Len(t, b, []int{128, 128, 44}[i%3], "batch %d", i)
	}
	for e, order := range src.epochs(t, 3) {
		sorted := slices.Sorted(slices.Values(order))
		assert.Equal(t, seq(0, 300), sorted, "epoch %d is a permutation of the samples", e+1)
	}
}

// The epoch loss and accuracy are means over samples: a last partial batch
// of 112 of 128 counts 112/240, not 1/2. The expected values come from the
// per-batch means that TrainBatch returns on an identical network fed the
// same batches, weighted by hand.
func TestFitWeightsEpochMetricsBySamples(t *testing.T) {
	src := smallSet(240, 2)
	val := smallSet(100, 3)
	tr := newSGDTrainer(t, smallNet(t), 128)
	var last train.BatchLogs
	hist, err := tr.Fit(context.Background(), src, train.FitConfig{Epochs: 1, NoShuffle: true, Validation: val,
		Callbacks: []train.Callback{callbackFuncs{batch: func(l train.BatchLogs) { last = l }}}})
	require.NoError(t, err)

	ref := newSGDTrainer(t, smallNet(t), 128)
	l1, a1, err := ref.TrainBatch(src, seq(0, 128))
	require.NoError(t, err)
	l2, a2, err := ref.TrainBatch(src, seq(128, 240))
	require.NoError(t, err)
	wantLoss := (128*l1 + 112*l2) / 240
	wantAcc := (128*a1 + 112*a2) / 240
	require.Greater(t, math.Abs(wantLoss-(l1+l2)/2), 1e-6, "the fixture must tell a weighted mean from a plain one")
	assert.InDelta(t, wantLoss, hist.Loss[0], 1e-12)
	assert.InDelta(t, wantAcc, hist.Accuracy[0], 1e-12)
	assert.InDelta(t, wantLoss, last.Loss, 1e-12, "the last running mean is the epoch's")
	assert.Equal(t, ref.Model().Params, tr.Model().Params, "Fit trained on the same batches")

	// Validation (100 samples: batches of 64 and 36) is the mean over
	// samples of −ln p[label], computed here from the model's outputs.
	out, _, err := ref.Predict(context.Background(), val)
	require.NoError(t, err)
	var sum float64
	correct := 0
	for i, label := range val.Labels {
		row := out[i*3 : (i+1)*3]
		p := math.Min(math.Max(float64(row[label]), 1e-7), 1-1e-7)
		sum += -math.Log(p)
		if slices.Index(row, slices.Max(row)) == int(label) {
			correct++
		}
	}
	assert.InDelta(t, sum/100, hist.ValLoss[0], 1e-5)
	assert.InDelta(t, float64(correct)/100, hist.ValAccuracy[0], 1e-12)
}

// NoShuffle keeps the order; shuffling changes it every epoch, and the same
// seed gives the same orders.
func TestFitShuffling(t *testing.T) {
	orders := func(cfg train.FitConfig) [][]int {
		src := record(smallSet(50, 4))
		tr := newSGDTrainer(t, smallNet(t), 16)
		_, err := tr.Fit(context.Background(), src, cfg)
		require.NoError(t, err)
		return src.epochs(t, 4)
	}
	for e, o := range orders(train.FitConfig{Epochs: 2, NoShuffle: true, Seed: 3}) {
		assert.Equal(t, seq(0, 50), o, "epoch %d in order", e+1)
	}
	a := orders(train.FitConfig{Epochs: 3, Seed: 3})
	assert.NotEqual(t, seq(0, 50), a[0], "shuffled")
	assert.NotEqual(t, a[0], a[1], "reshuffled every epoch")
	assert.NotEqual(t, a[1], a[2])
	assert.Equal(t, a, orders(train.FitConfig{Epochs: 3, Seed: 3}), "reproducible from the seed")
	assert.NotEqual(t, a, orders(train.FitConfig{Epochs: 3, Seed: 4}), "another seed, another order")
}

// Cancelling the context stops Fit between two steps: no further batch is
// loaded, and the history of the completed epochs comes back with an error
// wrapping context.Canceled.
func TestFitStopsOnCancellation(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	src := record(smallSet(100, 5))
	tr := newSGDTrainer(t, smallNet(t), 25)
	cb := callbackFuncs{batch: func(l train.BatchLogs) {
		if l.Epoch == 2 && l.Step == 2 {
			cancel()
		}
	}}
	hist, err := tr.Fit(ctx, src, train.FitConfig{Epochs: 5, Seed: 1, Callbacks: []train.Callback{cb}})
	require.Error(t, err)
	assert.ErrorIs(t, err, context.Canceled)
	assert.ErrorContains(t, err, "epoch 2, step 3")
	require.NotNil(t, hist)
	assert.Equal(t, 1, hist.Epochs(), "the completed epoch")
	assert.Len(t, src.batches, 4+2, "stopped right after the step that cancelled")
}

// A non-finite loss stops Fit at that step by default: a *DivergedError
// wrapping ErrDiverged names the epoch, step and value, and the history
// holds the epochs before it.
func TestFitStopsOnNonFiniteLoss(t *testing.T) {
	src := record(smallSet(40, 6))
	src.poison = 9 // with NoShuffle and batches of 4: step 3
	tr := newSGDTrainer(t, smallNet(t), 4)
	poisonEpoch2 := callbackFuncs{begin: func(epoch, _, _ int) { src.poisoned = epoch == 2 }}
	hist, err := tr.Fit(context.Background(), src, train.FitConfig{Epochs: 4, NoShuffle: true,
		Callbacks: []train.Callback{poisonEpoch2}})
	require.Error(t, err)
	assert.ErrorIs(t, err, train.ErrDiverged)
	var de *train.DivergedError
	require.ErrorAs(t, err, &de)
	assert.Equal(t, 2, de.Epoch)
	assert.Equal(t, 3, de.Step)
	assert.Equal(t, 10, de.Steps)
	assert.False(t, de.Validation)
	assert.True(t, math.IsNaN(de.Loss), "%v", de.Loss)
	assert.EqualError(t, err, "train: epoch 2, step 3 of 10: loss is NaN: training diverged")
	require.NotNil(t, hist)
	assert.Equal(t, 1, hist.Epochs())
	assert.False(t, math.IsNaN(hist.Loss[0]))
	assert.Len(t, src.batches, 10+3, "no step after the divergence")

	// NonFiniteContinue trains on and reports the NaN, as Keras does.
	src = record(smallSet(40, 6))
	src.poison = 9
	poisonEpoch2 = callbackFuncs{begin: func(epoch, _, _ int) { src.poisoned = epoch == 2 }}
	tr = newSGDTrainer(t, smallNet(t), 4)
	hist, err = tr.Fit(context.Background(), src, train.FitConfig{Epochs: 3, NoShuffle: true,
		OnNonFinite: train.NonFiniteContinue, Callbacks: []train.Callback{poisonEpoch2}})
	require.NoError(t, err)
	assert.Equal(t, 3, hist.Epochs())
	assert.True(t, math.IsNaN(hist.Loss[1]))

	_, err = tr.Fit(context.Background(), src, train.FitConfig{Epochs: 1, OnNonFinite: 7})
	assert.ErrorContains(t, err, "OnNonFinite")
}

// A non-finite validation loss stops Fit after that epoch; Evaluate gives
// NaN metrics for non-finite outputs and counts them, instead of scoring
// the arg-max of a NaN row (class 0) as a prediction.
func TestNonFiniteValidationAndEvaluation(t *testing.T) {
	val := record(smallSet(20, 8))
	val.poison, val.poisoned = 3, true
	tr := newSGDTrainer(t, smallNet(t), 8)
	hist, err := tr.Fit(context.Background(), smallSet(16, 7), train.FitConfig{Epochs: 3, Validation: val})
	var de *train.DivergedError
	require.ErrorAs(t, err, &de)
	assert.True(t, de.Validation)
	assert.Equal(t, 1, de.Epoch)
	assert.ErrorContains(t, err, "epoch 1: validation loss is NaN")
	assert.Zero(t, hist.Epochs())

	loss, acc, classes, err := tr.EvaluateClasses(context.Background(), val)
	require.NoError(t, err)
	assert.True(t, math.IsNaN(loss))
	assert.True(t, math.IsNaN(acc), "no accuracy from NaN outputs")
	assert.Len(t, classes, 20)

	clean := smallSet(20, 8)
	loss, acc, err = tr.Evaluate(context.Background(), clean)
	require.NoError(t, err)
	assert.False(t, math.IsNaN(loss))
	assert.False(t, math.IsNaN(acc))
	var p1 = []string{"stop", "continue"}
	for i, s := range p1 {
		p, err := train.ParseNonFinitePolicy(s)
		require.NoError(t, err)
		assert.Equal(t, train.NonFinitePolicy(i), p)
		assert.Equal(t, s, p.String())
	}
	_, err = train.ParseNonFinitePolicy("ignore")
	assert.Error(t, err)
	assert.True(t, errors.Is(&train.DivergedError{}, train.ErrDiverged))
}

// Prefetching reads the same batches in the same order, so the history
// and the weights are bit for bit those of a Fit without it; a read error
// and a cancelled context stop the Fit as they do without it.
func TestFitPrefetchIsTheSameFit(t *testing.T) {
	train1 := smallSet(300, 1)
	tinyTrainer := func(t *testing.T) *train.Trainer { return newSGDTrainer(t, smallNet(t), 128) }
	fit := func(prefetch bool) (*train.History, []float32, [][]int) {
		tr := tinyTrainer(t)
		src := record(train1)
		h, err := tr.Fit(context.Background(), src, train.FitConfig{Epochs: 3, Seed: 7, Prefetch: prefetch})
		require.NoError(t, err)
		return h, tr.Model().Params, src.batches
	}
	h0, p0, b0 := fit(false)
	h1, p1, b1 := fit(true)
	assert.Equal(t, b0, b1, "the same batches in the same order")
	assert.Equal(t, h0.Loss, h1.Loss)
	assert.Equal(t, h0.Accuracy, h1.Accuracy)
	assert.Equal(t, p0, p1)

	failing := &failingSource{Source: train1, failAt: 5}
	_, err := tinyTrainer(t).Fit(context.Background(), failing, train.FitConfig{Epochs: 2, Seed: 7, Prefetch: true})
	assert.ErrorContains(t, err, "reading a batch: disk on fire")

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = tinyTrainer(t).Fit(ctx, train1, train.FitConfig{Epochs: 2, Seed: 7, Prefetch: true})
	assert.ErrorIs(t, err, context.Canceled)
}

// failingSource fails its failAt-th Batch call.
type failingSource struct {
	data.Source
	calls, failAt int
}

func (f *failingSource) Batch(ctx context.Context, idx []int, x, y []float32, labels []int) error {
	f.calls++
	if f.calls == f.failAt {
		return errors.New("disk on fire")
	}
	return f.Source.Batch(ctx, idx, x, y, labels)
}
