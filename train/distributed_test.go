package train_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/descent-ml/descent/data"
	"github.com/descent-ml/descent/train"
)

// sum64World is the float64 sumWorld behind Fit's Reducer.
type sum64World = sumWorld[float64]

func newSum64World(n int) *sum64World { return newSumWorld[float64](n) }

// distRank is one rank of the in-process job: fakeWorld for the gradients,
// sum64World for Fit's metrics and flags.
type distRank struct {
	fakeRank
	w64 *sum64World
}

func (r distRank) AllreduceSumFloat64(buf []float64) error { return r.w64.allreduce(r.rank, buf) }

// fitRanks runs a distributed Fit of n ranks at once, each with a trainer
// of batch size shard, from smallNet's weights, on srcOf(r); cfgOf gives rank r's
// FitConfig (Distributed is filled in).
func fitRanks(t *testing.T, n, shard int, srcOf func(r int) data.Source, ctxOf func(r int) context.Context, cfgOf func(r int) train.FitConfig) ([]*train.Trainer, []*train.History, []error, *sum64World) {
	t.Helper()
	return fitRanksFrom(t, n, shard, nil, srcOf, ctxOf, cfgOf)
}

// fitRanksFrom is fitRanks starting every rank from params (smallNet's
// initial weights when nil).
func fitRanksFrom(t *testing.T, n, shard int, params []float32, srcOf func(r int) data.Source, ctxOf func(r int) context.Context, cfgOf func(r int) train.FitConfig) ([]*train.Trainer, []*train.History, []error, *sum64World) {
	t.Helper()
	fw, w64 := newFakeWorld(n), newSum64World(n)
	trs := make([]*train.Trainer, n)
	hs := make([]*train.History, n)
	errs := make([]error, n)
	for r := range n {
		rank := distRank{fakeRank{fw, r}, w64}
		h, err := train.AllreduceMean(rank)
		require.NoError(t, err)
		trs[r] = newSGDTrainer(t, smallNet(t), shard, train.WithGradientHooks(h))
		if params != nil {
			copy(trs[r].Model().Params, params)
		}
	}
	var wg sync.WaitGroup
	for r := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cfg := cfgOf(r)
			cfg.Distributed = &train.Distributed{Rank: r, Size: n, Reducer: distRank{fakeRank{fw, r}, w64}}
			hs[r], errs[r] = trs[r].Fit(ctxOf(r), srcOf(r), cfg)
		}()
	}
	wg.Wait()
	return trs, hs, errs, w64
}

func background(int) context.Context { return context.Background() }

// cancellableRank returns the contexts of a job in which rank alone runs
// under a ctx that cancel cancels, the others under context.Background.
func cancellableRank(t *testing.T, rank int) (ctxOf func(r int) context.Context, cancel context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	return func(r int) context.Context {
		if r == rank {
			return ctx
		}
		return context.Background()
	}, cancel
}

func same(src data.Source) func(int) data.Source { return func(int) data.Source { return src } }

// Two ranks of a distributed Fit, each on its half of every global batch,
// end bitwise equal, with equal histories, and close to one process
// training on the same global batches (the data set is a whole number of
// them, so the single process has no short batch either). The
// differences are those of float32 summation order (see
// TestAllreduceMeanTwoRanksMatchOneBatch); validation runs on rank 0 and
// the others receive its values exactly.
func TestDistributedFitMatchesOneProcess(t *testing.T) {
	src, val := smallSet(64, 11), smallSet(20, 12)
	cfg := func(int) train.FitConfig { return train.FitConfig{Epochs: 3, Seed: 5, Validation: val} }
	trs, hs, errs, w64 := fitRanks(t, 2, 4, same(src), background, cfg)
	for r, err := range errs {
		require.NoError(t, err, "rank %d", r)
	}
	assert.Equal(t, trs[0].Model().Params, trs[1].Model().Params, "ranks end bitwise equal")
	assert.Equal(t, hs[0].Loss, hs[1].Loss)
	assert.Equal(t, hs[0].Accuracy, hs[1].Accuracy)
	assert.Equal(t, hs[0].ValLoss, hs[1].ValLoss)
	assert.Equal(t, 3*(64/8)+3*2, w64.calls, "one reduction per step, two per epoch (validation, stop)")

	one := newSGDTrainer(t, smallNet(t), 8)
	h1, err := one.Fit(context.Background(), src, cfg(0))
	require.NoError(t, err)
	assert.Less(t, maxAbsDiff(trs[0].Model().Params, one.Model().Params), 1e-5)
	assert.InDeltaSlice(t, h1.Loss, hs[0].Loss, 1e-5)
	assert.InDeltaSlice(t, h1.ValLoss, hs[0].ValLoss, 1e-5)
	assert.Equal(t, h1.Accuracy, hs[0].Accuracy)
}

// A data set that is not a whole number of global batches drops the short
// last one on every rank: every rank takes equal steps of equal shards.
func TestDistributedFitDropsTheShortGlobalBatch(t *testing.T) {
	base := smallSet(70, 3)
	srcs := []*recordingSource{record(base), record(base)}
	var mu sync.Mutex
	var logs []train.EpochLogs
	cfg := func(r int) train.FitConfig {
		cb := callbackFuncs{end: func(l train.EpochLogs) error {
			mu.Lock()
			defer mu.Unlock()
			logs = append(logs, l)
			return nil
		}}
		return train.FitConfig{Epochs: 2, Seed: 1, Callbacks: []train.Callback{cb}}
	}
	_, _, errs, _ := fitRanks(t, 2, 4, func(r int) data.Source { return srcs[r] }, background, cfg)
	for r, err := range errs {
		require.NoError(t, err, "rank %d", r)
	}
	require.Len(t, logs, 4)
	for _, l := range logs {
		assert.Equal(t, 8, l.Steps)
		assert.Equal(t, 64, l.SamplesTrained, "global samples of the epoch")
	}
	for e := range 2 {
		seen := map[int]bool{}
		for r, src := range srcs {
			require.Len(t, src.batches, 2*8, "rank %d: 2 epochs × 8 steps", r)
			for s, b := range src.batches[e*8 : (e+1)*8] {
				require.Len(t, b, 4, "rank %d, epoch %d, step %d", r, e+1, s+1)
				for _, i := range b {
					assert.False(t, seen[i], "epoch %d: sample %d in two shards", e+1, i)
					seen[i] = true
				}
			}
		}
		assert.Len(t, seen, 64, "epoch %d", e+1)
	}
}

// A cancelled ctx on one rank stops every rank after the same step: that
// rank with its ctx's error, the others with ErrPeerStopped, all wrapping
// context.Canceled.
func TestDistributedFitStopsTogether(t *testing.T) {
	src := smallSet(64, 3)
	ctxOf, cancel := cancellableRank(t, 1)
	cfg := func(r int) train.FitConfig {
		cb := callbackFuncs{batch: func(l train.BatchLogs) {
			if r == 1 && l.Epoch == 2 && l.Step == 3 {
				cancel()
			}
		}}
		return train.FitConfig{Epochs: 5, Seed: 1, Callbacks: []train.Callback{cb}}
	}
	_, hs, errs, _ := fitRanks(t, 2, 4, same(src), ctxOf, cfg)
	for r, err := range errs {
		require.Error(t, err, "rank %d", r)
		assert.ErrorIs(t, err, context.Canceled, "rank %d", r)
		assert.ErrorContains(t, err, "epoch 2, step 4 of 8", "rank %d: the step after the cancel", r)
		assert.Equal(t, 1, hs[r].Epochs(), "rank %d", r)
	}
	assert.ErrorIs(t, errs[0], train.ErrPeerStopped)
	assert.NotErrorIs(t, errs[1], train.ErrPeerStopped)
}

// A distributed Fit stopped mid-epoch and resumed, every rank from the
// state and weights rank 0 had at the stop (what its checkpoint holds),
// ends bitwise where the uninterrupted job ends, with the same history.
func TestDistributedFitResumes(t *testing.T) {
	src, val := smallSet(64, 11), smallSet(20, 12)
	plain := func(int) train.FitConfig { return train.FitConfig{Epochs: 3, Seed: 5, Validation: val} }
	ref, refH, errs, _ := fitRanks(t, 2, 4, same(src), background, plain)
	for r, err := range errs {
		require.NoError(t, err, "rank %d", r)
	}

	ctxOf, cancel := cancellableRank(t, 1)
	var at *train.FitState
	stopping := func(r int) train.FitConfig {
		cfg := plain(r)
		cfg.Callbacks = []train.Callback{callbackFuncs{batch: func(l train.BatchLogs) {
			if r == 1 && l.Epoch == 2 && l.Step == 3 {
				cancel()
			}
		}}}
		if r == 0 {
			cfg.OnState = func(s train.FitState) error {
				if s.Reason == train.StateStopped {
					at = &s
				}
				return nil
			}
		}
		return cfg
	}
	stopped, _, errs, _ := fitRanks(t, 2, 4, same(src), ctxOf, stopping)
	for r, err := range errs {
		require.ErrorIs(t, err, context.Canceled, "rank %d", r)
	}
	require.NotNil(t, at, "rank 0 saw the stop")
	require.Equal(t, 2, at.Epoch)
	require.Equal(t, 4, at.Step)
	params := append([]float32(nil), stopped[0].Model().Params...)
	assert.NotEqual(t, ref[0].Model().Params, params, "the stop came before the end")

	resume := func(r int) train.FitConfig {
		cfg := plain(r)
		cfg.Resume = at
		return cfg
	}
	got, gotH, errs, _ := fitRanksFrom(t, 2, 4, params, same(src), background, resume)
	for r, err := range errs {
		require.NoError(t, err, "rank %d", r)
		assert.Equal(t, ref[0].Model().Params, got[r].Model().Params, "rank %d: resumed ≠ uninterrupted", r)
		assert.Equal(t, refH[0].Loss, gotH[r].Loss, "rank %d", r)
		assert.Equal(t, refH[0].ValLoss, gotH[r].ValLoss, "rank %d", r)
	}
}

// Early stopping decided on any rank stops all of them after that epoch.
func TestDistributedFitAgreesOnEarlyStop(t *testing.T) {
	src := smallSet(64, 3)
	cfg := func(r int) train.FitConfig {
		cb := callbackFuncs{end: func(l train.EpochLogs) error {
			if r == 0 && l.Epoch == 2 {
				return train.ErrStopTraining
			}
			return nil
		}}
		return train.FitConfig{Epochs: 5, Seed: 1, Callbacks: []train.Callback{cb}}
	}
	_, hs, errs, _ := fitRanks(t, 2, 4, same(src), background, cfg)
	for r := range 2 {
		require.NoError(t, errs[r], "rank %d", r)
		assert.Equal(t, 2, hs[r].StoppedEpoch, "rank %d", r)
	}
}

func TestDistributedFitChecks(t *testing.T) {
	tr := newSGDTrainer(t, smallNet(t), 4)
	w := distRank{fakeRank{newFakeWorld(2), 0}, newSum64World(2)}
	for _, c := range []struct {
		name string
		d    train.Distributed
		n    int
		want string
	}{
		{"no reducer", train.Distributed{Rank: 0, Size: 2}, 64, "no Reducer"},
		{"rank out of range", train.Distributed{Rank: 2, Size: 2, Reducer: w}, 64, "rank 2 of 2"},
		{"fewer samples than a global batch", train.Distributed{Rank: 0, Size: 2, Reducer: w}, 7, "fewer than one global batch of 8"},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := c.d
			_, err := tr.Fit(context.Background(), smallSet(c.n, 1), train.FitConfig{Epochs: 1, Distributed: &d})
			assert.ErrorContains(t, err, c.want)
		})
	}
}

// A non-finite loss on one rank's shard stops every rank at that step with
// the same *DivergedError: the step's loss is the global sum.
func TestDistributedFitDivergesTogether(t *testing.T) {
	base := smallSet(64, 3)
	poisoned := record(base)
	poisoned.poison, poisoned.poisoned = 5, true
	srcOf := func(r int) data.Source {
		if r == 1 {
			return poisoned
		}
		return base
	}
	cfg := func(int) train.FitConfig { return train.FitConfig{Epochs: 3, Seed: 1} }
	_, _, errs, _ := fitRanks(t, 2, 4, srcOf, background, cfg)
	var d0, d1 *train.DivergedError
	require.ErrorAs(t, errs[0], &d0)
	require.ErrorAs(t, errs[1], &d1)
	assert.Equal(t, d0.Epoch, d1.Epoch)
	assert.Equal(t, d0.Step, d1.Step)
}

// Prefetching the shards gives the same distributed Fit.
func TestDistributedFitPrefetch(t *testing.T) {
	src := smallSet(64, 11)
	plain, _, errs, _ := fitRanks(t, 2, 4, same(src), background, func(int) train.FitConfig { return train.FitConfig{Epochs: 2, Seed: 5} })
	require.NoError(t, errors.Join(errs...))
	pf, _, errs, _ := fitRanks(t, 2, 4, same(src), background, func(int) train.FitConfig { return train.FitConfig{Epochs: 2, Seed: 5, Prefetch: true} })
	require.NoError(t, errors.Join(errs...))
	assert.Equal(t, plain[0].Model().Params, pf[0].Model().Params)
	assert.Equal(t, pf[0].Model().Params, pf[1].Model().Params)
}
