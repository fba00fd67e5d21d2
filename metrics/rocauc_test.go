package metrics_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/descent-ml/descent/metrics"
)

// The expected values are scikit-learn 1.2.1's roc_auc_score on the same
// inputs (the first is its documentation's example), or counted by hand
// from the pairs.
func TestROCAUC(t *testing.T) {
	tests := []struct {
		name   string
		y      []int
		scores []float64
		want   float64
	}{
		{"sklearn docs example", []int{0, 0, 1, 1}, []float64{0.1, 0.4, 0.35, 0.8}, 0.75},
		{"perfect", []int{0, 1, 0, 1}, []float64{0.1, 0.9, 0.2, 0.8}, 1},
		{"inverted", []int{1, 0}, []float64{0.1, 0.9}, 0},
		// pairs (pos, neg): (0.5, 0.5) tie ½, (0.5, 0.2) 1, (0.9, 0.5) 1, (0.9, 0.2) 1: 3.5/4
		{"tie counts one half", []int{1, 0, 1, 0}, []float64{0.5, 0.5, 0.9, 0.2}, 0.875},
		{"all tied", []int{1, 0, 0}, []float64{0.3, 0.3, 0.3}, 0.5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := metrics.ROCAUC(tt.y, tt.scores)
			require.NoError(t, err)
			assert.InDelta(t, tt.want, got, 1e-15)
		})
	}
	_, err := metrics.ROCAUC([]int{1, 1}, []float64{0.2, 0.3})
	assert.ErrorContains(t, err, "only one class")
	_, err = metrics.ROCAUC([]int{2, 0}, []float64{0.2, 0.3})
	assert.ErrorContains(t, err, "labels 0 and 1")
	_, err = metrics.ROCAUC([]int{1}, []float64{0.2, 0.3})
	assert.ErrorContains(t, err, "1 labels but 2 scores")
}
