package train

import (
	"errors"

	"github.com/descent-ml/descent/data"
)

// EpochLogs are the metrics of one epoch. Loss and the task's metric
// (Accuracy for classes, MAE for a regression; the other is NaN) are means
// over the epoch's training batches, weighted by batch size and taken
// before each batch's update (as Keras reports them); the validation
// metrics are measured after the epoch.
type EpochLogs struct {
	Epoch, Epochs    int // Epoch counts from 1
	Steps            int // batches in the epoch
	Task             data.Task
	Loss, Accuracy   float64
	MAE              float64
	HasValidation    bool
	ValLoss          float64
	ValAccuracy      float64
	ValMAE, ValR2    float64 // a regression's validation MAE and R² (NaN otherwise)
	Seconds          float64 // training pass wall time, without validation
	ValidationSecs   float64 // validation wall time
	SamplesTrained   int
	SamplesPerSecond float64
	// LR is the learning rate of the epoch's first step; HasLR says it is
	// reported (a schedule or a callback that changes the rate is in use),
	// as Keras's logs["learning_rate"].
	LR    float64
	HasLR bool
}

// logKeys are the names of every value an epoch may log (Value,
// History.Series), sorted.
var logKeys = []string{"accuracy", "learning_rate", "loss", "mae", "val_accuracy", "val_loss", "val_mae", "val_r2"}

// Value returns the metric named as in Keras's logs: "loss", "accuracy",
// "mae", "val_loss", "val_accuracy", "val_mae", "val_r2" or
// "learning_rate"; ok is false when the epoch has no such value (another
// task's metric, no validation, no recorded rate).
func (l EpochLogs) Value(name string) (v float64, ok bool) {
	regression := l.Task == data.TaskRegression
	switch name {
	case "loss":
		return l.Loss, true
	case "accuracy":
		return l.Accuracy, !regression
	case "mae":
		return l.MAE, regression
	case "val_loss":
		return l.ValLoss, l.HasValidation
	case "val_accuracy":
		return l.ValAccuracy, l.HasValidation && !regression
	case "val_mae":
		return l.ValMAE, l.HasValidation && regression
	case "val_r2":
		return l.ValR2, l.HasValidation && regression
	case "learning_rate":
		return l.LR, l.HasLR
	}
	return 0, false
}

// Keys returns the names of the epoch's values in Keras 3's log order:
// the training metrics sorted, then the validation ones sorted, then
// learning_rate (appended by the callback that records it).
func (l EpochLogs) Keys() []string {
	var keys []string
	if l.Task == data.TaskRegression {
		keys = append(keys, "loss", "mae")
		if l.HasValidation {
			keys = append(keys, "val_loss", "val_mae", "val_r2")
		}
	} else {
		keys = append(keys, "accuracy", "loss")
		if l.HasValidation {
			keys = append(keys, "val_accuracy", "val_loss")
		}
	}
	if l.HasLR {
		keys = append(keys, "learning_rate")
	}
	return keys
}

// BatchLogs are the running means of the epoch so far, after batch Step of
// Steps (both counted from 1).
type BatchLogs struct {
	Epoch, Step, Steps int
	Task               data.Task
	Loss, Accuracy     float64 // Accuracy is NaN for a regression
	MAE                float64 // NaN unless a regression
	Seconds            float64 // since the epoch began
}

// Callback observes a Fit. Methods run on the training goroutine between
// steps: keep them short. Returning an error from OnEpochEnd stops training
// and Fit returns it (wrapped).
type Callback interface {
	OnEpochBegin(epoch, epochs, steps int)
	OnBatchEnd(BatchLogs)
	OnEpochEnd(EpochLogs) error
}

// ErrStopTraining, returned (or wrapped) by a Callback's OnEpochEnd, stops
// training after the epoch as Keras's model.stop_training = True does: the
// other callbacks still see the epoch, then Fit ends normally, returning
// the history with no error and History.StoppedEpoch set.
var ErrStopTraining = errors.New("train: stop training")

// A TrainCallback is a Callback that also hears of the start and the end of
// a Fit, with access to the trainer (its model and optimizer), as Keras's
// on_train_begin and on_train_end with self.model.
type TrainCallback interface {
	Callback
	// OnTrainBegin runs before the first epoch, with the history so far:
	// empty, or the completed epochs of a resumed Fit (FitConfig.Resume),
	// from which a callback rebuilds its state. An error stops Fit before
	// it trains.
	OnTrainBegin(t *Trainer, h *History) error
	// OnTrainEnd runs when Fit ends without error: after its last epoch,
	// or after a callback stopped it (ErrStopTraining). It does not run
	// when Fit fails, is cancelled or diverges. It may change the model
	// (EarlyStopping restores the best weights) and the history.
	OnTrainEnd(t *Trainer, h *History) error
}
