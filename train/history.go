package train

// History records the per-epoch metrics of a Fit, with Keras's names.
type History struct {
	Loss        []float64 `json:"loss"`
	Accuracy    []float64 `json:"accuracy"`
	ValLoss     []float64 `json:"val_loss,omitempty"`
	ValAccuracy []float64 `json:"val_accuracy,omitempty"`
	// EpochSeconds is the wall time of each epoch's training pass, without
	// validation.
	EpochSeconds []float64 `json:"-"`
}

// Epochs is the number of completed epochs.
func (h *History) Epochs() int { return len(h.Loss) }

func (h *History) add(l EpochLogs) {
	h.Loss = append(h.Loss, l.Loss)
	h.Accuracy = append(h.Accuracy, l.Accuracy)
	if l.HasValidation {
		h.ValLoss = append(h.ValLoss, l.ValLoss)
		h.ValAccuracy = append(h.ValAccuracy, l.ValAccuracy)
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
		EpochSeconds: append([]float64(nil), h.EpochSeconds...),
	}
}
