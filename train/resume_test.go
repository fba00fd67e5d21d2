package train_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/descent-ml/descent/backend/gonum"
	"github.com/descent-ml/descent/train"
)

// stateCopy is a FitState with its own History, as a checkpoint keeps it.
func stateCopy(s train.FitState) train.FitState {
	h := *s.History
	h.Loss = append([]float64(nil), h.Loss...)
	h.Accuracy = append([]float64(nil), h.Accuracy...)
	h.ValLoss = append([]float64(nil), h.ValLoss...)
	h.ValAccuracy = append([]float64(nil), h.ValAccuracy...)
	s.History = &h
	return s
}

// Stopping a Fit after any step (mid-epoch, at an epoch's end, before its
// validation) and resuming it from the FitState, the parameters, the
// optimizer state and the history of that moment ends bit-identical to the
// Fit that was never stopped.
func TestFitResumeIsBitExact(t *testing.T) {
	src, val := smallSet(50, 1), smallSet(20, 2)
	newTrainer := func() *train.Trainer {
		tr, err := train.NewTrainer(smallNet(t), gonum.New(), train.NewAdam(0.01, 0.9, 0.999, 1e-7, false), train.CategoricalCrossentropyLoss{}, 8)
		require.NoError(t, err)
		return tr
	}
	cfg := train.FitConfig{Epochs: 3, Seed: 7, Validation: val}
	ref := newTrainer()
	want, err := ref.Fit(context.Background(), src, cfg)
	require.NoError(t, err)
	steps := 7 // ceil(50/8)
	for stop := 1; stop <= 3*steps; stop++ {
		for _, atEpochEnd := range []bool{false, true} {
			tr := newTrainer()
			ctx, cancel := context.WithCancel(context.Background())
			var saved train.FitState
			var params []float32
			var opt train.OptimizerState
			n := 0
			c := cfg
			c.OnState = func(s train.FitState) error {
				if s.Reason == train.StateStep {
					n++
				}
				if s.Reason == train.StateStopped || n != stop || (atEpochEnd && s.Step == s.Steps && s.Reason != train.StateEpoch) {
					return nil
				}
				saved, params, opt = stateCopy(s), append([]float32(nil), tr.Model().Params...), tr.Optimizer().State()
				cancel()
				return nil
			}
			_, err := tr.Fit(ctx, src, c)
			if stop == 3*steps && atEpochEnd {
				require.NoError(t, err) // the last state is after the last epoch
			} else {
				require.ErrorIs(t, err, context.Canceled)
			}
			if saved.History == nil {
				continue
			}
			re := newTrainer()
			copy(re.Model().Params, params)
			require.NoError(t, re.Optimizer().SetState(opt))
			c = cfg
			c.Resume = &saved
			if saved.Done && saved.Epoch == cfg.Epochs {
				assert.Equal(t, ref.Model().Params, re.Model().Params)
				continue
			}
			got, err := re.Fit(context.Background(), src, c)
			require.NoError(t, err, "stop after step %d", stop)
			require.Equal(t, ref.Model().Params, re.Model().Params, "stop after step %d (epoch end %v): parameters", stop, atEpochEnd)
			assert.Equal(t, want.Loss, got.Loss, "stop after step %d: history", stop)
			assert.Equal(t, want.ValLoss, got.ValLoss)
			assert.Equal(t, want.Accuracy, got.Accuracy)
			assert.Equal(t, ref.Optimizer().State(), re.Optimizer().State())
		}
	}
}

// A resume state that does not fit the Fit is refused.
func TestFitResumeRefusesAnotherFit(t *testing.T) {
	tr := newSGDTrainer(t, smallNet(t), 8)
	h := &train.History{}
	_, err := tr.Fit(context.Background(), smallSet(50, 1), train.FitConfig{Epochs: 2, Resume: &train.FitState{Epoch: 1, Step: 2, Steps: 5, History: h}})
	assert.ErrorContains(t, err, "5 steps per epoch, this Fit 7")
	_, err = tr.Fit(context.Background(), smallSet(50, 1), train.FitConfig{Epochs: 2, Resume: &train.FitState{Epoch: 3, Step: 2, Steps: 7, History: h}})
	assert.ErrorContains(t, err, "history of 0 epochs")
}
