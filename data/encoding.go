package data

import (
	"fmt"
	"math"
	"slices"
	"strconv"
)

// MaxClasses is the most classes a classification task may have.
const MaxClasses = maxClasses

// Encoding says how a Table's target values become a Source's targets: the
// task, and for a classification or binary task the class values, in
// ascending order, so that the label of a sample is the index of its
// target value in Values (as scikit-learn's LabelEncoder numbers classes).
type Encoding struct {
	Task Task
	// Values are the class values of a classification or binary task,
	// ascending; nil for a regression.
	Values []float64
}

// InferTask chooses a task from targets y, for --task auto:
//
//   - every target a whole number and exactly two distinct values:
//     TaskBinary;
//   - every target a whole number, 3 to MaxClasses distinct values that
//     form a run of consecutive integers (0…K−1, 1…K, …): TaskClassification;
//   - anything else: TaskRegression.
//
// The run rule keeps integer-valued measurements (the diabetes data set's
// disease progression, 25 to 346 with gaps) a regression, while class
// numbers, which have no gaps, are classes. A caller that knows better
// names the task.
func InferTask(y []float64) Task {
	values, whole := distinctWhole(y, MaxClasses+1)
	switch {
	case !whole || len(values) > MaxClasses || len(values) < 2:
		return TaskRegression
	case len(values) == 2:
		return TaskBinary
	case values[len(values)-1]-values[0] == float64(len(values)-1):
		return TaskClassification
	}
	return TaskRegression
}

// distinctWhole returns the sorted distinct values of y, stopping once
// there are more than limit, and whether every value is a whole number.
func distinctWhole(y []float64, limit int) (values []float64, whole bool) {
	seen := map[float64]bool{}
	for _, v := range y {
		if v != math.Trunc(v) {
			return nil, false
		}
		if !seen[v] {
			seen[v] = true
			values = append(values, v)
			if len(values) > limit {
				break
			}
		}
	}
	slices.Sort(values)
	return values, true
}

// NewEncoding makes the encoding of the training targets y for task
// (TaskAuto: InferTask chooses). A classification or binary task needs
// whole-number targets (at most MaxClasses distinct values; exactly two for
// binary); the error names the first target that is not.
func NewEncoding(task Task, y []float64) (Encoding, error) {
	if task == TaskAuto {
		task = InferTask(y)
	}
	if task == TaskRegression {
		return Encoding{Task: task}, nil
	}
	if task != TaskClassification && task != TaskBinary {
		return Encoding{}, fmt.Errorf("data: unknown task %v", task)
	}
	for i, v := range y {
		if v != math.Trunc(v) {
			return Encoding{}, fmt.Errorf("%w: the target of sample %d is %v, not a class number (for real-valued targets use the task regression)", ErrBadTable, i, v)
		}
	}
	values, _ := distinctWhole(y, MaxClasses)
	switch {
	case len(values) > MaxClasses:
		return Encoding{}, fmt.Errorf("%w: more than %d distinct target values: too many classes (for a real-valued target use the task regression)", ErrBadTable, MaxClasses)
	case task == TaskBinary && len(values) != 2:
		return Encoding{}, fmt.Errorf("%w: the task binary needs exactly two target values, the data has %d (%s)", ErrBadTable, len(values), formatValues(values, 5))
	case len(values) < 2:
		return Encoding{}, fmt.Errorf("%w: every target is %v: a classifier needs at least two classes", ErrBadTable, formatValues(values, 1))
	}
	return Encoding{Task: task, Values: values}, nil
}

// Classes is the number of classes (0 for a regression).
func (e Encoding) Classes() int { return len(e.Values) }

// Targets is the width of a target row: K one-hot values for a
// classification, one otherwise.
func (e Encoding) Targets() int {
	if e.Task == TaskClassification {
		return len(e.Values)
	}
	return 1
}

// ClassNames returns the class values as names ("0", "1", "7", "-1"), in
// label order; nil for a regression.
func (e Encoding) ClassNames() []string {
	if e.Values == nil {
		return nil
	}
	names := make([]string, len(e.Values))
	for i, v := range e.Values {
		names[i] = strconv.FormatFloat(v, 'g', -1, 64)
	}
	return names
}

// put writes the target of row r into yRow (one target row: Targets()
// values) and, for a task with classes, its label into labels[i]: the
// value itself for a regression, 0/1 for binary, one-hot for classes.
// rowLabels holds every row's class (nil for a regression).
func (e Encoding) put(yRow []float32, labels []int, i int, value float64, rowLabels []int, r int) {
	switch e.Task {
	case TaskRegression:
		yRow[0] = float32(value)
	case TaskBinary:
		yRow[0] = float32(rowLabels[r])
		labels[i] = rowLabels[r]
	default:
		clear(yRow)
		yRow[rowLabels[r]] = 1
		labels[i] = rowLabels[r]
	}
}

// label returns the class index of target value v, or −1.
func (e Encoding) label(v float64) int {
	i, ok := slices.BinarySearch(e.Values, v)
	if !ok {
		return -1
	}
	return i
}

// formatValues lists up to max values.
func formatValues(vs []float64, max int) string {
	s := ""
	for i, v := range vs {
		if i == max {
			return s + ", …"
		}
		if i > 0 {
			s += ", "
		}
		s += strconv.FormatFloat(v, 'g', -1, 64)
	}
	return s
}
