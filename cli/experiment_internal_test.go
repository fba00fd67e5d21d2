package cli

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/descent-ml/descent/report"
	"github.com/descent-ml/descent/train"
)

// A train.History converts without sharing memory, and absent validation
// series stay nil (omitted from history.json).
func TestHistoryOf(t *testing.T) {
	th := &train.History{Loss: []float64{1, 2}, Accuracy: []float64{0.5, 0.6}}
	got := historyOf(th)
	th.Loss[0] = 99
	assert.Equal(t, report.Series{1, 2}, got.Loss)
	assert.Equal(t, report.Series{0.5, 0.6}, got.Accuracy)
	assert.Nil(t, got.ValLoss)
	assert.Nil(t, got.ValAccuracy)
}
