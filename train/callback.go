package train

// EpochLogs are the metrics of one epoch. Loss and Accuracy are means over
// the epoch's training batches, weighted by batch size and taken before each
// batch's update (as Keras reports them); the validation metrics are
// measured after the epoch.
type EpochLogs struct {
	Epoch, Epochs    int // Epoch counts from 1
	Steps            int // batches in the epoch
	Loss, Accuracy   float64
	HasValidation    bool
	ValLoss          float64
	ValAccuracy      float64
	Seconds          float64 // training pass wall time, without validation
	ValidationSecs   float64 // validation wall time
	SamplesTrained   int
	SamplesPerSecond float64
}

// BatchLogs are the running means of the epoch so far, after batch Step of
// Steps (both counted from 1).
type BatchLogs struct {
	Epoch, Step, Steps int
	Loss, Accuracy     float64
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
