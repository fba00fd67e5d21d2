package cli

import (
	"fmt"
	"math"

	"github.com/descent-ml/descent/data"
	"github.com/descent-ml/descent/metrics"
	"github.com/descent-ml/descent/report"
)

// testScores is the test section of the history file: the loss and the
// task's metrics, {"loss", "accuracy"} for classes (binary adds
// "roc_auc"), {"loss", "mse", "mae", "r2"} for a regression. A metric that
// could not be measured (a diverged or interrupted run) is null.
type testScores struct {
	Loss     report.Float  `json:"loss"`
	Accuracy *report.Float `json:"accuracy,omitempty"`
	ROCAUC   *report.Float `json:"roc_auc,omitempty"`
	MSE      *report.Float `json:"mse,omitempty"`
	MAE      *report.Float `json:"mae,omitempty"`
	R2       *report.Float `json:"r2,omitempty"`
}

// scoresOf returns f's test scores for the task (null where f has none).
func scoresOf(task data.Task, f *fitted) testScores {
	p := func(v float64) *report.Float { r := report.Float(v); return &r }
	s := testScores{Loss: report.Float(f.testLoss)}
	noResult := f.diverged != nil || f.interrupted || math.IsNaN(f.testLoss)
	pick := func(v float64) *report.Float {
		if noResult {
			return p(math.NaN())
		}
		return p(v)
	}
	switch task {
	case data.TaskRegression:
		s.MSE, s.MAE, s.R2 = pick(f.test.MSE), pick(f.test.MAE), pick(f.test.R2)
	case data.TaskBinary:
		s.Accuracy, s.ROCAUC = pick(f.testAccuracy), pick(f.rocAUC)
	default:
		s.Accuracy = pick(f.testAccuracy)
	}
	return s
}

// testLine is the one-line test result a run prints.
func testLine(task data.Task, f *fitted) string {
	switch task {
	case data.TaskRegression:
		return fmt.Sprintf("test: loss %.4f - mse %.4f - mae %.4f - r2 %.4f", f.testLoss, f.test.MSE, f.test.MAE, f.test.R2)
	case data.TaskBinary:
		return fmt.Sprintf("test: loss %.4f - accuracy %.4f - roc_auc %.4f", f.testLoss, f.testAccuracy, f.rocAUC)
	}
	return fmt.Sprintf("test: loss %.4f - accuracy %.4f", f.testLoss, f.testAccuracy)
}

// measureAUC sets f.rocAUC from the test outputs of a binary task (NaN
// otherwise, or when both classes do not occur in the test set).
func measureAUC(task data.Task, f *fitted, labels []int) {
	f.rocAUC = math.NaN()
	if task != data.TaskBinary || len(f.test.Outputs) != len(labels) {
		return
	}
	scores := make([]float64, len(labels))
	for i, p := range f.test.Outputs {
		scores[i] = float64(p)
	}
	if auc, err := metrics.ROCAUC(labels, scores); err == nil {
		f.rocAUC = auc
	}
}

// regressionReport is the regression counterpart of the classification
// report: the test metrics, with scikit-learn's names.
func regressionReport(f *fitted) string {
	return fmt.Sprintf("regression on %d test samples\n\n  mean_squared_error   %.6g\n  mean_absolute_error  %.6g\n  r2_score             %.4f\n",
		f.test.Samples, f.test.MSE, f.test.MAE, f.test.R2)
}
