package cli

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/descent-ml/descent/report"
	"github.com/descent-ml/descent/train"
)

// A train.History converts without sharing memory; absent series stay nil
// (omitted from history.json), except a classifier's accuracy, which is
// never null; a regression's has no accuracy at all.
func TestHistoryOf(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   *train.History
		want report.History
	}{
		{"classes", &train.History{Loss: []float64{1, 2}, Accuracy: []float64{0.5, 0.6}},
			report.History{Loss: report.Series{1, 2}, Accuracy: report.Series{0.5, 0.6}}},
		{"classes, no epoch", &train.History{},
			report.History{Loss: report.Series{}, Accuracy: report.Series{}}},
		{"regression", &train.History{Loss: []float64{9, 4}, MAE: []float64{3, 2}, ValLoss: []float64{10, 5},
			ValMAE: []float64{3.1, 2.1}, ValR2: []float64{-1, 0.5}},
			report.History{Loss: report.Series{9, 4}, MAE: report.Series{3, 2}, ValLoss: report.Series{10, 5},
				ValMAE: report.Series{3.1, 2.1}, ValR2: report.Series{-1, 0.5}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := historyOf(tc.in)
			assert.Equal(t, tc.want, got)
			if len(tc.in.Loss) > 0 {
				tc.in.Loss[0] = 99
				assert.NotEqual(t, 99.0, got.Loss[0], "no shared memory")
			}
		})
	}
}
