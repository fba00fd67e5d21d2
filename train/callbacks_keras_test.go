package train_test

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/descent-ml/descent/backend/gonum"
	"github.com/descent-ml/descent/data"
	"github.com/descent-ml/descent/model"
	"github.com/descent-ml/descent/train"
)

func newSmallTrainer(t *testing.T, opt train.Optimizer) *train.Trainer {
	tr, err := train.NewTrainer(smallNet(t), gonum.New(), opt, train.CategoricalCrossentropyLoss{}, 8)
	require.NoError(t, err)
	return tr
}

// scripted feeds cb the epochs of a scripted sequence of validation losses
// (and accuracies), setting every parameter to the epoch number before each
// epoch's end, so that restored weights say which epoch they come from. It
// returns the epochs run and the history.
func scripted(t *testing.T, tr *train.Trainer, cb train.TrainCallback, valLoss, valAcc []float64) (int, *train.History) {
	h := &train.History{}
	require.NoError(t, cb.OnTrainBegin(tr, h))
	n := 0
	for i, v := range valLoss {
		for j := range tr.Model().Params {
			tr.Model().Params[j] = float32(i + 1)
		}
		l := train.EpochLogs{Epoch: i + 1, Epochs: len(valLoss), HasValidation: true, ValLoss: v, Loss: 1, Accuracy: 0.5, ValAccuracy: math.NaN()}
		if valAcc != nil {
			l.ValAccuracy = valAcc[i]
		}
		h.Loss, h.ValLoss = append(h.Loss, 1), append(h.ValLoss, v)
		n++
		err := cb.OnEpochEnd(l)
		if err == train.ErrStopTraining {
			h.StoppedEpoch = i + 1
			break
		}
		require.NoError(t, err)
	}
	require.NoError(t, cb.OnTrainEnd(tr, h))
	return n, h
}

// EarlyStopping on scripted validation losses, each case worked out from
// Keras's on_epoch_end: wait counts epochs since the last improvement
// (by more than min_delta), and training stops once wait ≥ patience.
func TestEarlyStoppingScripted(t *testing.T) {
	base := 0.5
	cases := []struct {
		name          string
		es            train.EarlyStopping
		loss, acc     []float64
		epochs        int // epochs run
		stopped, best int // History.StoppedEpoch, BestEpoch
		weights       float32
	}{
		{"patience 2: stops 2 epochs after the best", train.EarlyStopping{Patience: 2, RestoreBestWeights: true},
			[]float64{1, 0.8, 0.9, 0.85, 0.7}, nil, 4, 4, 2, 2},
		{"patience 0 stops at the first epoch without improvement (never epoch 1)", train.EarlyStopping{RestoreBestWeights: true},
			[]float64{1, 1.2, 0.5}, nil, 2, 2, 1, 1},
		{"no stop, restore still happens at the end (Keras 3)", train.EarlyStopping{Patience: 5, RestoreBestWeights: true},
			[]float64{1, 0.5, 0.6}, nil, 3, 0, 2, 2},
		{"without restore the last weights stay and best_epoch is 0", train.EarlyStopping{Patience: 1},
			[]float64{1, 0.5, 0.6, 0.7}, nil, 3, 3, 0, 3},
		{"min_delta: improvements of 0.05 do not count", train.EarlyStopping{Patience: 1, MinDelta: 0.1, RestoreBestWeights: true},
			[]float64{1, 0.95, 0.9, 0.7}, nil, 2, 2, 1, 1},
		{"mode max on val_accuracy", train.EarlyStopping{Monitor: "val_accuracy", Patience: 1, RestoreBestWeights: true},
			[]float64{1, 1, 1, 1}, []float64{0.5, 0.7, 0.6, 0.9}, 3, 3, 2, 2},
		{"mode min forced on val_accuracy", train.EarlyStopping{Monitor: "val_accuracy", Mode: "min", Patience: 1, RestoreBestWeights: true},
			[]float64{1, 1, 1}, []float64{0.5, 0.7, 0.6}, 2, 2, 1, 1},
		{"start_from_epoch 2 ignores the first two epochs", train.EarlyStopping{Patience: 0, StartFromEpoch: 2, RestoreBestWeights: true},
			[]float64{0.1, 0.9, 0.8, 0.85}, nil, 4, 4, 3, 3},
		// Keras checks the patience only on an epoch that does not improve
		// on the best: e1 wait 1, e2 wait 2 (improves, misses the
		// baseline: no reset), e3 wait 3 ≥ 2, stop. Without the baseline
		// e2 resets the wait, and it stops at e4.
		{"baseline: improvements that miss the baseline do not reset wait", train.EarlyStopping{Patience: 2, Baseline: &base, RestoreBestWeights: true},
			[]float64{1, 0.9, 0.95, 0.97}, nil, 3, 3, 2, 2},
		{"the same without baseline", train.EarlyStopping{Patience: 2, RestoreBestWeights: true},
			[]float64{1, 0.9, 0.95, 0.97}, nil, 4, 4, 2, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tr := newSmallTrainer(t, train.NewAdam(0.001, 0.9, 0.999, 1e-7, false))
			es := c.es
			n, h := scripted(t, tr, &es, c.loss, c.acc)
			assert.Equal(t, c.epochs, n, "epochs run")
			assert.Equal(t, c.stopped, h.StoppedEpoch, "stopped_epoch")
			assert.Equal(t, c.best, h.BestEpoch, "best_epoch")
			for _, p := range tr.Model().Params {
				require.Equal(t, c.weights, p, "the weights kept are epoch %v's", c.weights)
			}
		})
	}
}

func TestMonitorRefusals(t *testing.T) {
	tr := newSmallTrainer(t, train.NewSGD(0.1, 0, false))
	assert.ErrorContains(t, (&train.EarlyStopping{Monitor: "val_f1"}).OnTrainBegin(tr, &train.History{}), "val_f1")
	assert.ErrorContains(t, (&train.EarlyStopping{Mode: "up"}).OnTrainBegin(tr, &train.History{}), "mode")
	assert.ErrorContains(t, (&train.ReduceLROnPlateau{Factor: 1}).OnTrainBegin(tr, &train.History{}), "factor")
	es := train.NewEarlyStopping("", 1)
	require.NoError(t, es.OnTrainBegin(tr, &train.History{}))
	// No validation: the monitored val_loss is missing, an error (Keras warns).
	assert.ErrorContains(t, es.OnEpochEnd(train.EpochLogs{Epoch: 1, Loss: 1}), "has no val_loss")
}

// Early stopping in a real Fit: monitoring the training loss in max mode
// (it falls), patience 0 stops after epoch 2 and restores epoch 1's
// weights; the Fit returns no error.
func TestFitEarlyStoppingRestoresBest(t *testing.T) {
	tr := newSmallTrainer(t, train.NewAdam(0.01, 0.9, 0.999, 1e-7, false))
	var after1 []float32
	es := &train.EarlyStopping{Monitor: "loss", Mode: "max", RestoreBestWeights: true}
	h, err := tr.Fit(context.Background(), smallSet(50, 1), train.FitConfig{Epochs: 5, Seed: 1, Callbacks: []train.Callback{es},
		OnState: func(s train.FitState) error {
			if s.Reason == train.StateEpoch && s.Epoch == 1 {
				after1 = append([]float32(nil), tr.Model().Params...)
			}
			return nil
		}})
	require.NoError(t, err)
	require.Less(t, h.Loss[1], h.Loss[0])
	assert.Equal(t, 2, h.Epochs())
	assert.Equal(t, 2, h.StoppedEpoch)
	assert.Equal(t, 1, h.BestEpoch)
	assert.Equal(t, after1, tr.Model().Params)
}

// ReduceLROnPlateau on a scripted sequence, worked out from Keras's
// on_epoch_end (factor 0.5, patience 2, cooldown 1, min_lr 0.02).
func TestReduceLROnPlateauScripted(t *testing.T) {
	tr := newSmallTrainer(t, train.NewSGD(0.1, 0, false))
	r := &train.ReduceLROnPlateau{Factor: 0.5, Patience: 2, Cooldown: 1, MinLR: 0.02, MinDelta: 1e-4}
	require.NoError(t, r.OnTrainBegin(tr, &train.History{}))
	losses := []float64{1, 1, 1, 1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5}
	// epoch: 1 best; 2 wait 1; 3 wait 2 → 0.05, cooldown 1; 4 cooldown → 0,
	// wait 0 and (still no improvement, not in cooldown) wait 1; 5 wait 2 →
	// 0.025; 6 cooldown, wait 1; 7 improves; 8, 9 → 0.02 (max(0.0125, min));
	// 10 cooldown, wait 1; 11 wait 2: 0.02 is not above min_lr, no change.
	want := []float64{0.1, 0.1, 0.05, 0.05, 0.025, 0.025, 0.025, 0.025, 0.02, 0.02, 0.02, 0.02}
	for i, v := range losses {
		require.NoError(t, r.OnEpochEnd(train.EpochLogs{Epoch: i + 1, HasValidation: true, ValLoss: v}))
		assert.InDelta(t, want[i], tr.Optimizer().LearningRate(), 1e-15, "after epoch %d", i+1)
	}
	// A resume replays the history from the initial rate to the same rate.
	tr2 := newSmallTrainer(t, train.NewSGD(0.1, 0, false))
	h := &train.History{Loss: make([]float64, 9), ValLoss: losses[:9]}
	require.NoError(t, r.OnTrainBegin(tr2, h))
	assert.InDelta(t, want[8], tr2.Optimizer().LearningRate(), 1e-15)
}

// A Fit with ReduceLROnPlateau records the rate of every epoch.
func TestFitRecordsLRWithPlateau(t *testing.T) {
	tr := newSmallTrainer(t, train.NewSGD(0.1, 0, false))
	r := &train.ReduceLROnPlateau{Monitor: "loss", Mode: "max", Factor: 0.5, Patience: 1}
	h, err := tr.Fit(context.Background(), smallSet(50, 1), train.FitConfig{Epochs: 3, Seed: 1, Callbacks: []train.Callback{r}})
	require.NoError(t, err)
	// The loss falls, so "max" never improves after epoch 1: epoch 2's end
	// halves the rate of epoch 3.
	assert.Equal(t, []float64{0.1, 0.1, 0.05}, h.LR)
}

// ModelCheckpoint with SaveBestOnly writes only when the monitored value
// improves.
func TestModelCheckpointSavesOnImprovement(t *testing.T) {
	tr := newSmallTrainer(t, train.NewSGD(0.1, 0, false))
	path := filepath.Join(t.TempDir(), "best.descent")
	c := &train.ModelCheckpoint{Path: path, SaveBestOnly: true}
	require.NoError(t, c.OnTrainBegin(tr, &train.History{}))
	for i, v := range []float64{1, 0.5, 0.7, 0.4, 0.4} {
		for j := range tr.Model().Params {
			tr.Model().Params[j] = float32(i + 1)
		}
		require.NoError(t, c.OnEpochEnd(train.EpochLogs{Epoch: i + 1, HasValidation: true, ValLoss: v}))
	}
	assert.Equal(t, 3, c.Saved) // epochs 1, 2, 4
	m, err := model.Load(path)
	require.NoError(t, err)
	assert.Equal(t, float32(4), m.Params[0])
}

// CSVLogger writes Keras's file: epoch from 0, the sorted keys of the first
// epoch, Python's float spelling, \r\n rows; without validation the val_
// columns are added and written NA.
func TestCSVLogger(t *testing.T) {
	tr := newSmallTrainer(t, train.NewSGD(0.1, 0, false))
	path := filepath.Join(t.TempDir(), "log.csv")
	c := &train.CSVLogger{Path: path}
	require.NoError(t, c.OnTrainBegin(tr, &train.History{}))
	require.NoError(t, c.OnEpochEnd(train.EpochLogs{Epoch: 1, Loss: 0.5, Accuracy: 0.75, HasValidation: true, ValLoss: 0.25, ValAccuracy: 1, LR: 1e-5, HasLR: true}))
	require.NoError(t, c.OnEpochEnd(train.EpochLogs{Epoch: 2, Loss: math.NaN(), Accuracy: 0.8125, HasValidation: true, ValLoss: 1234567, ValAccuracy: 0.1, LR: 1e-4, HasLR: true}))
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, "epoch,accuracy,learning_rate,loss,val_accuracy,val_loss\r\n"+
		"0,0.75,1e-05,0.5,1.0,0.25\r\n"+
		"1,0.8125,0.0001,nan,0.1,1234567.0\r\n", string(b))

	path2 := filepath.Join(t.TempDir(), "log.csv")
	c2 := &train.CSVLogger{Path: path2}
	require.NoError(t, c2.OnTrainBegin(tr, &train.History{}))
	require.NoError(t, c2.OnEpochEnd(train.EpochLogs{Epoch: 1, Task: data.TaskRegression, Loss: 2, MAE: 1.5}))
	b, _ = os.ReadFile(path2)
	assert.Equal(t, "epoch,loss,mae,val_loss,val_mae\r\n0,2.0,1.5,NA,NA\r\n", string(b))

	// Append: no second header; a resumed Fit writes the resumed rows first.
	c3 := &train.CSVLogger{Path: path2, Append: true}
	require.NoError(t, c3.OnTrainBegin(tr, &train.History{}))
	require.NoError(t, c3.OnEpochEnd(train.EpochLogs{Epoch: 2, Task: data.TaskRegression, Loss: 1, MAE: 1}))
	b, _ = os.ReadFile(path2)
	assert.Equal(t, "epoch,loss,mae,val_loss,val_mae\r\n0,2.0,1.5,NA,NA\r\n1,1.0,1.0,NA,NA\r\n", string(b))
	c4 := &train.CSVLogger{Path: path2}
	require.NoError(t, c4.OnTrainBegin(tr, &train.History{Loss: []float64{2}, MAE: []float64{1.5}}))
	require.NoError(t, c4.OnEpochEnd(train.EpochLogs{Epoch: 2, Task: data.TaskRegression, Loss: 1, MAE: 1}))
	b, _ = os.ReadFile(path2)
	assert.Equal(t, "epoch,loss,mae,val_loss,val_mae\r\n0,2.0,1.5,NA,NA\r\n1,1.0,1.0,NA,NA\r\n", string(b))
}

// A resumed EarlyStopping rebuilds its wait and best value from the
// history: with patience 2 and val_loss 1, 0.5, 0.6 before the resume, one
// more epoch without improvement stops it. The best epoch (2) is before
// the resume, its weights not in the checkpoint: nothing is restored.
// When a later epoch is the best, its weights are.
func TestEarlyStoppingResumes(t *testing.T) {
	tr := newSmallTrainer(t, train.NewSGD(0.1, 0, false))
	past := &train.History{Loss: []float64{1, 1, 1}, ValLoss: []float64{1, 0.5, 0.6}}
	es := &train.EarlyStopping{Patience: 2, RestoreBestWeights: true}
	require.NoError(t, es.OnTrainBegin(tr, past))
	assert.Equal(t, 2, es.BestEpoch())
	assert.ErrorIs(t, es.OnEpochEnd(train.EpochLogs{Epoch: 4, HasValidation: true, ValLoss: 0.7}), train.ErrStopTraining)
	h := &train.History{}
	require.NoError(t, es.OnTrainEnd(tr, h))
	assert.Equal(t, 0, h.BestEpoch, "epoch 2's weights are not there to restore")

	require.NoError(t, es.OnTrainBegin(tr, past))
	for j := range tr.Model().Params {
		tr.Model().Params[j] = 4
	}
	require.NoError(t, es.OnEpochEnd(train.EpochLogs{Epoch: 4, HasValidation: true, ValLoss: 0.1}))
	for j := range tr.Model().Params {
		tr.Model().Params[j] = 5
	}
	require.NoError(t, es.OnEpochEnd(train.EpochLogs{Epoch: 5, HasValidation: true, ValLoss: 0.2}))
	require.NoError(t, es.OnTrainEnd(tr, h))
	assert.Equal(t, 4, h.BestEpoch)
	assert.Equal(t, float32(4), tr.Model().Params[0])
}
