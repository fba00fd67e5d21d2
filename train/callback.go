package train

import "github.com/descent-ml/descent/data"

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
