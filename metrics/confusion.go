package metrics

import "fmt"

// ConfusionMatrix counts, for labels in [0, numClasses), how often each true
// class was predicted as each class: m[t][p] is the number of samples with
// yTrue == t and yPred == p (rows are true classes, columns predictions, as
// in scikit-learn's confusion_matrix). It fails when the slices differ in
// length, numClasses is negative, or a label is out of range.
func ConfusionMatrix(yTrue, yPred []int, numClasses int) ([][]int, error) {
	if len(yTrue) != len(yPred) {
		return nil, lengthError(yTrue, yPred)
	}
	if numClasses < 0 {
		return nil, fmt.Errorf("metrics: numClasses %d is negative", numClasses)
	}
	cells := make([]int, numClasses*numClasses)
	m := make([][]int, numClasses)
	for i := range m {
		m[i] = cells[i*numClasses : (i+1)*numClasses : (i+1)*numClasses]
	}
	for i, t := range yTrue {
		p := yPred[i]
		if t < 0 || t >= numClasses {
			return nil, fmt.Errorf("metrics: yTrue[%d] = %d is outside [0, %d)", i, t, numClasses)
		}
		if p < 0 || p >= numClasses {
			return nil, fmt.Errorf("metrics: yPred[%d] = %d is outside [0, %d)", i, p, numClasses)
		}
		m[t][p]++
	}
	return m, nil
}

// lengthError is scikit-learn's check_consistent_length message.
func lengthError(yTrue, yPred []int) error {
	return fmt.Errorf("metrics: found input variables with inconsistent numbers of samples: [%d, %d]",
		len(yTrue), len(yPred))
}
