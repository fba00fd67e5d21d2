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
	h.EpochSeconds = append(h.EpochSeconds, l.Seconds)
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
		ValR2:        append([]float64(nil), h.ValR2...),
		EpochSeconds: append([]float64(nil), h.EpochSeconds...),
	}
}
