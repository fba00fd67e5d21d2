package train

import "github.com/descent-ml/descent/data"

// History records the per-epoch metrics of a Fit, with Keras's names.
//
// A classifier's history has accuracy (and val_accuracy); a regression's
// has mae, val_mae and val_r2 instead.
type History struct {
	Loss        []float64 `json:"loss"`
	Accuracy    []float64 `json:"accuracy,omitempty"`
	ValLoss     []float64 `json:"val_loss,omitempty"`
	ValAccuracy []float64 `json:"val_accuracy,omitempty"`
	MAE         []float64 `json:"mae,omitempty"`
	ValMAE      []float64 `json:"val_mae,omitempty"`
	ValR2       []float64 `json:"val_r2,omitempty"`
	// LR is the learning rate of each epoch's first step, recorded when a
	// schedule (FitConfig.Schedule) or a callback that changes the rate
	// (ReduceLROnPlateau) is in use. Keras records the optimizer's rate at
	// the epoch's end (ReduceLROnPlateau's logs["learning_rate"]), the same
	// value when the rate changes only between epochs.
	LR []float64 `json:"lr,omitempty"`
	// StoppedEpoch is the epoch (from 1) after which a callback stopped
	// training (EarlyStopping, TerminateOnNaN), 0 if none did. Keras's
	// EarlyStopping.stopped_epoch counts from 0.
	StoppedEpoch int `json:"stopped_epoch,omitempty"`
	// BestEpoch is the epoch (from 1) whose weights the model holds after
	// an EarlyStopping with RestoreBestWeights restored them, 0 if none was
	// restored (the model then holds the last epoch's weights).
	BestEpoch int `json:"best_epoch,omitempty"`
	// EpochSeconds is the wall time of each epoch's training pass, without
	// validation.
	EpochSeconds []float64 `json:"-"`
}

// Epochs is the number of completed epochs.
func (h *History) Epochs() int { return len(h.Loss) }

func (h *History) add(l EpochLogs) {
	h.Loss = append(h.Loss, l.Loss)
	regression := l.Task == data.TaskRegression
	if regression {
		h.MAE = append(h.MAE, l.MAE)
	} else {
		h.Accuracy = append(h.Accuracy, l.Accuracy)
	}
	if l.HasValidation {
		h.ValLoss = append(h.ValLoss, l.ValLoss)
		if regression {
			h.ValMAE = append(h.ValMAE, l.ValMAE)
			h.ValR2 = append(h.ValR2, l.ValR2)
		} else {
			h.ValAccuracy = append(h.ValAccuracy, l.ValAccuracy)
		}
	}
	if l.HasLR {
		h.LR = append(h.LR, l.LR)
	}
	h.EpochSeconds = append(h.EpochSeconds, l.Seconds)
}

// Series returns the per-epoch values of the metric named as in Keras's
// logs ("loss", "accuracy", "mae", "val_loss", "val_accuracy", "val_mae",
// "val_r2", "learning_rate"), or nil.
func (h *History) Series(name string) []float64 {
	switch name {
	case "loss":
		return h.Loss
	case "accuracy":
		return h.Accuracy
	case "mae":
		return h.MAE
	case "val_loss":
		return h.ValLoss
	case "val_accuracy":
		return h.ValAccuracy
	case "val_mae":
		return h.ValMAE
	case "val_r2":
		return h.ValR2
	case "learning_rate", "lr":
		return h.LR
	}
	return nil
}

// clone returns a deep copy of h (an empty History for nil).
func (h *History) clone() *History {
	if h == nil {
		return &History{}
	}
	return &History{
		Loss: append([]float64(nil), h.Loss...), Accuracy: append([]float64(nil), h.Accuracy...),
		ValLoss: append([]float64(nil), h.ValLoss...), ValAccuracy: append([]float64(nil), h.ValAccuracy...),
		MAE: append([]float64(nil), h.MAE...), ValMAE: append([]float64(nil), h.ValMAE...),
		ValR2: append([]float64(nil), h.ValR2...), LR: append([]float64(nil), h.LR...),
		StoppedEpoch: h.StoppedEpoch, BestEpoch: h.BestEpoch,
		EpochSeconds: append([]float64(nil), h.EpochSeconds...),
	}
}
