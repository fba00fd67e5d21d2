package report

import "math"

// The tasks a run can have, as Run.Task spells them (the names of
// data.Task and descent's --task; report does not import data).
const (
	// TaskClassification: one class of K per sample; accuracy, the
	// classification report and the confusion matrix.
	TaskClassification = "classification"
	// TaskBinary: two classes with one sigmoid output; a classification,
	// with the test ROC AUC besides.
	TaskBinary = "binary"
	// TaskRegression: real-valued targets; MSE, MAE and R², and a
	// regression report instead of the classification report.
	TaskRegression = "regression"
)

// TaskName returns r's task: Run.Task, or TaskClassification when it is
// empty (a folder written before runs recorded their task).
func (r *Run) TaskName() string {
	if r == nil || r.Task == "" {
		return TaskClassification
	}
	return r.Task
}

// ExperimentTask is the task of an experiment's runs, which share one data
// set and so one task: the first run's (TaskClassification for none).
func ExperimentTask(runs []*Run) string {
	if len(runs) == 0 {
		return TaskClassification
	}
	return runs[0].TaskName()
}

// isRegression reports whether task is TaskRegression.
func isRegression(task string) bool { return task == TaskRegression }

// ptr returns a pointer to v as a Float.
func ptr(v float64) *Float {
	f := Float(v)
	return &f
}

// Value returns *f, or NaN for nil: a metric the run's task does not have
// (Scores.Accuracy of a regression) reads as one not measured.
func (f *Float) Value() float64 {
	if f == nil {
		return math.NaN()
	}
	return float64(*f)
}

// fill sets *p to NaN (written as null: not measured) where it is nil.
func fill(ps ...**Float) {
	for _, p := range ps {
		if *p == nil {
			*p = ptr(math.NaN())
		}
	}
}

// scores returns r.Test with the keys of r's task, null where it has none
// (a file that left one out, a Scores built without it), so that every run
// of a task writes the same keys and a folder read back writes the same
// summary: an old folder's "accuracy": null stays there.
func (r *Run) scores() Scores {
	s := r.Test
	switch r.TaskName() {
	case TaskRegression:
		fill(&s.MSE, &s.MAE, &s.R2)
	case TaskBinary:
		fill(&s.Accuracy, &s.ROCAUC)
	default:
		fill(&s.Accuracy)
	}
	return s
}
