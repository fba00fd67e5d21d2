package data

import (
	"fmt"
	"strings"
)

// Task is what a data set's targets are, and so what a network trained on
// it outputs and which loss and metrics apply.
type Task int

// The tasks. TaskAuto is not a task of any Source: it asks InferTask (and
// NewEncoding) to choose from the targets.
const (
	TaskAuto Task = iota
	// TaskClassification: one class of K ≥ 2 per sample, one-hot targets;
	// a softmax output, categorical cross-entropy, accuracy.
	TaskClassification
	// TaskBinary: one of two classes per sample, a 0/1 target; one sigmoid
	// output, binary cross-entropy, accuracy and ROC AUC.
	TaskBinary
	// TaskRegression: real-valued targets; a linear output, mean squared
	// error, MAE and R².
	TaskRegression
)

var taskNames = [...]string{"auto", "classification", "binary", "regression"}

// String returns the task's name as --task spells it.
func (t Task) String() string {
	if t >= 0 && int(t) < len(taskNames) {
		return taskNames[t]
	}
	return fmt.Sprintf("Task(%d)", int(t))
}

// ParseTask reads a task name: auto, classification, binary or regression.
func ParseTask(s string) (Task, error) {
	for i, n := range taskNames {
		if n == s {
			return Task(i), nil
		}
	}
	return 0, fmt.Errorf("unknown task %q (want %s)", s, strings.Join(taskNames[:], ", "))
}

// TaskOf returns the task of src's targets (see Source).
func TaskOf(src Source) Task {
	switch {
	case src.Classes() == 0:
		return TaskRegression
	case src.Targets() == 1 && src.Classes() == 2:
		return TaskBinary
	}
	return TaskClassification
}
