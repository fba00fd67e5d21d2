package train

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// The expected lines are written out from Keras 3's progress bar format
// (keras/src/utils/progbar.py): metrics in alphabetical order, 4 decimals,
// elapsed whole seconds, then time per step in s, ms or us.
func TestProgressPlainLines(t *testing.T) {
	var buf bytes.Buffer
	p := NewProgress(&buf, false)
	p.OnEpochBegin(1, 10, 422)
	p.OnBatchEnd(BatchLogs{Epoch: 1, Step: 1, Steps: 422, Loss: 2.3, Accuracy: 0.1, Seconds: 0.01})
	p.OnEpochEnd(EpochLogs{Epoch: 1, Epochs: 10, Steps: 422, Loss: 0.16634, Accuracy: 0.95123,
		HasValidation: true, ValLoss: 0.14118, ValAccuracy: 0.95771, Seconds: 0.4})
	p.OnEpochBegin(2, 10, 422)
	p.OnEpochEnd(EpochLogs{Epoch: 2, Epochs: 10, Steps: 422, Loss: 0.00042, Accuracy: 1, Seconds: 2.5})
	p.OnEpochBegin(3, 10, 3)
	p.OnEpochEnd(EpochLogs{Epoch: 3, Epochs: 10, Steps: 3, Loss: 1, Accuracy: 0.5, Seconds: 4.5})
	assert.Equal(t, strings.Join([]string{
		"Epoch 1/10",
		"422/422 - 0s 948us/step - accuracy: 0.9512 - loss: 0.1663 - val_accuracy: 0.9577 - val_loss: 0.1412",
		"Epoch 2/10",
		"422/422 - 2s 6ms/step - accuracy: 1.0000 - loss: 4.2000e-04",
		"Epoch 3/10",
		"3/3 - 4s 2s/step - accuracy: 0.5000 - loss: 1.0000",
		""}, "\n"), buf.String())
}

func TestProgressLiveBar(t *testing.T) {
	var buf bytes.Buffer
	now := time.Unix(0, 0)
	p := &Progress{W: &buf, Live: true, Now: func() time.Time { return now }}
	p.OnEpochBegin(1, 1, 4)
	for step := 1; step <= 3; step++ {
		now = now.Add(30 * time.Millisecond) // only every other batch is drawn (50 ms throttle)
		p.OnBatchEnd(BatchLogs{Epoch: 1, Step: step, Steps: 4, Loss: 0.5, Accuracy: 0.75, Seconds: 0.01 * float64(step)})
	}
	p.OnEpochEnd(EpochLogs{Epoch: 1, Epochs: 1, Steps: 4, Loss: 0.5, Accuracy: 0.75, Seconds: 0.04})
	out := buf.String()
	assert.Equal(t, 2, strings.Count(out, "/4 ━"), "two redraws: %q", out)
	assert.Contains(t, out, "\r1/4 ━━━━━───────────────")
	assert.Contains(t, out, "\r3/4 ━━━━━━━━━━━━━━━─────")
	assert.True(t, strings.HasSuffix(out, "\r\x1b[K4/4 - 0s 10ms/step - accuracy: 0.7500 - loss: 0.5000\n"), "%q", out)
}
