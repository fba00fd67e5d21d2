package train

import (
	"math"

	"github.com/descent-ml/descent/data"
	"github.com/descent-ml/descent/predict"
)

// The metric Fit reports beside the loss follows the task, with Keras's
// names and definitions:
//
//	classification  accuracy  arg-max output = label (categorical_accuracy)
//	binary          accuracy  (p > 0.5) = label (binary_accuracy, threshold 0.5)
//	regression      mae       mean over outputs of |prediction − target|
//
// batchMetric returns the batch's sum of it over its n samples: the number
// of correct predictions, or the sum of the per-sample absolute errors.
func batchMetric(task data.Task, out []float32, y []float32, labels []int, n, width int) float64 {
	switch task {
	case data.TaskRegression:
		return sumAbsError(out[:n*width], y[:n*width], width)
	case data.TaskBinary:
		return float64(countCorrectBinary(out[:n], labels[:n]))
	}
	return float64(countCorrect(out[:n*width], labels[:n], width))
}

// countCorrect counts rows whose arg-max equals the label (Keras's
// categorical accuracy; ties go to the lowest index, as numpy's argmax).
func countCorrect(probs []float32, labels []int, classes int) int {
	c := 0
	for r, label := range labels {
		if predict.Argmax(probs[r*classes:(r+1)*classes]) == label {
			c++
		}
	}
	return c
}

// binaryClass is the class a positive probability predicts: 1 above 0.5
// (Keras's binary_accuracy threshold), 0 otherwise.
func binaryClass(p float32) int {
	if p > 0.5 {
		return 1
	}
	return 0
}

// countCorrectBinary counts samples whose thresholded probability equals
// the label.
func countCorrectBinary(p []float32, labels []int) int {
	c := 0
	for r, label := range labels {
		if binaryClass(p[r]) == label {
			c++
		}
	}
	return c
}

// sumAbsError is the sum over rows of each row's mean absolute error.
func sumAbsError(pred, y []float32, width int) float64 {
	var sum float64
	for r := 0; r < len(pred)/width; r++ {
		var row float64
		for j := r * width; j < (r+1)*width; j++ {
			row += math.Abs(float64(pred[j]) - float64(y[j]))
		}
		sum += row / float64(width)
	}
	return sum
}
