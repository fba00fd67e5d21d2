package train

import (
	"bytes"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/descent-ml/descent/data"
)

// clock is a test clock that the test advances.
type clock struct{ t time.Time }

func (c *clock) now() time.Time      { return c.t }
func (c *clock) add(d time.Duration) { c.t = c.t.Add(d) }
func newClock() *clock               { return &clock{t: time.Unix(1000, 0)} }

// Verbose 2: the lines of progbar.py's verbose == 2 branch, each rule named.
func TestProgressVerbose2(t *testing.T) {
	var buf bytes.Buffer
	c := newClock()
	p := &Progress{W: &buf, Verbose: 2, Now: c.now}
	p.OnEpochBegin(1, 10, 422)
	c.add(10 * time.Millisecond)
	p.OnBatchEnd(BatchLogs{Epoch: 1, Step: 1, Steps: 422, Loss: 2.3, Accuracy: 0.1}) // verbose 2 prints nothing per batch
	c.add(390 * time.Millisecond)
	// "{count} - {elapsed:.0f}s - {per step}": 0.4 s over 422 steps is
	// 947.9 us, rounded: the first step is not left out with verbose 2.
	p.OnEpochEnd(EpochLogs{Epoch: 1, Epochs: 10, Steps: 422, Loss: 0.16634, Accuracy: 0.95123,
		HasValidation: true, ValLoss: 0.14118, ValAccuracy: 0.95771})
	p.OnEpochBegin(2, 10, 422)
	c.add(2500 * time.Millisecond)
	// 2.5 s is written "2s" (Python rounds half to even); 5.92 ms per
	// step "6ms"; 4.2e-4 ≤ 1e-3 takes %.4e.
	p.OnEpochEnd(EpochLogs{Epoch: 2, Epochs: 10, Steps: 422, Loss: 0.00042, Accuracy: 1})
	p.OnEpochBegin(3, 10, 3)
	c.add(4500 * time.Millisecond)
	// 1.5 s per step is ≥ 1: whole seconds, "2s/step" (half to even).
	p.OnEpochEnd(EpochLogs{Epoch: 3, Epochs: 10, Steps: 3, Loss: 1, Accuracy: 0.5, LR: 0.001, HasLR: true})
	assert.Equal(t, strings.Join([]string{
		"Epoch 1/10",
		"422/422 - 0s - 948us/step - accuracy: 0.9512 - loss: 0.1663 - val_accuracy: 0.9577 - val_loss: 0.1412",
		"Epoch 2/10",
		"422/422 - 2s - 6ms/step - accuracy: 1.0000 - loss: 4.2000e-04",
		"Epoch 3/10",
		// learning_rate comes last (appended to the logs by the callback
		// that records it); 0.001 is not > 1e-3: %.4e.
		"3/3 - 4s - 2s/step - accuracy: 0.5000 - loss: 1.0000 - learning_rate: 1.0000e-03",
		""}, "\n"), buf.String())
}

// Verbose 2 tests v > 1e-3, not |v|: a negative value (an r²) is written
// with %.4e; a single-epoch fit prints no "Epoch 1/1"; NaN is "nan".
func TestProgressVerbose2Regression(t *testing.T) {
	var buf bytes.Buffer
	c := newClock()
	p := &Progress{W: &buf, Verbose: 2, Now: c.now}
	p.OnEpochBegin(1, 1, 12)
	c.add(1200 * time.Millisecond) // 100 ms per step
	p.OnEpochEnd(EpochLogs{Epoch: 1, Epochs: 1, Steps: 12, Task: data.TaskRegression, Loss: 2.5, MAE: math.NaN(),
		HasValidation: true, ValLoss: 3, ValMAE: 1.25, ValR2: -0.5})
	assert.Equal(t, "12/12 - 1s - 100ms/step - loss: 2.5000 - mae: nan - val_loss: 3.0000 - val_mae: 1.2500 - val_r2: -5.0000e-01\n", buf.String())
}

// Verbose 1: progbar.py's verbose == 1 branch: redraws at most every 50 ms,
// each after "\b" × the previous width and "\r"; bold count, green done and
// white pending bar of 20; ETA while running, elapsed at the end; the time
// per step leaves the first step out once past it.
func TestProgressVerbose1(t *testing.T) {
	var buf bytes.Buffer
	c := newClock()
	p := &Progress{W: &buf, Verbose: 1, Now: c.now}
	p.OnEpochBegin(1, 2, 4)
	for step := 1; step <= 4; step++ {
		c.add(30 * time.Millisecond) // steps end at 30, 60, 90, 120 ms: 1 and 3 are drawn
		p.OnBatchEnd(BatchLogs{Epoch: 1, Step: step, Steps: 4, Loss: 0.5, Accuracy: 0.75})
	}
	c.add(30 * time.Millisecond) // validation: the end is at 150 ms
	p.OnEpochEnd(EpochLogs{Epoch: 1, Epochs: 2, Steps: 4, Loss: 0.5, Accuracy: 0.75, HasValidation: true, ValLoss: 0.6, ValAccuracy: 0.5})
	const (
		b, r, g, w = "\x1b[1m", "\x1b[0m", "\x1b[32m", "\x1b[37m"
		metrics    = " - accuracy: 0.7500 - loss: 0.5000"
	)
	// Step 1: 30 ms per step (from the start), ETA 3 × 30 ms = "0s".
	// Width: "1/4 " + 20 + " 0s 30ms/step" + metrics = 4 + 20 + 13 + 34 = 71.
	step1 := "\r" + b + "1/4" + r + " " + g + strings.Repeat("━", 5) + r + w + strings.Repeat("━", 15) + r + " " + b + "0s" + r + " 30ms/step" + metrics
	// Step 3: (90 − 30) / 2 = 30 ms per step.
	step3 := strings.Repeat("\b", 71) + "\r" + b + "3/4" + r + " " + g + strings.Repeat("━", 15) + r + w + strings.Repeat("━", 5) + r + " " + b + "0s" + r + " 30ms/step" + metrics
	// End: (150 − 30) / 3 = 40 ms per step, elapsed 0.15 s = "0s"; the
	// pending bar is empty but still written.
	end := strings.Repeat("\b", 71) + "\r" + b + "4/4" + r + " " + g + strings.Repeat("━", 20) + r + w + r + " " + b + "0s" + r + " 40ms/step" + metrics +
		" - val_accuracy: 0.5000 - val_loss: 0.6000\n"
	assert.Equal(t, "Epoch 1/2\n"+step1+step3+end, buf.String())
}

// The ETA's three forms ("%ds", "%d:%02d", "%d:%02d:%02d") and the padding
// of a redraw shorter than the one before.
func TestProgressVerbose1ETA(t *testing.T) {
	var buf bytes.Buffer
	c := newClock()
	p := &Progress{W: &buf, Verbose: 1, Now: c.now}
	p.OnEpochBegin(1, 1, 40000)
	c.add(100 * time.Millisecond)
	p.OnBatchEnd(BatchLogs{Step: 1, Steps: 40000, Loss: 0.5, Accuracy: 0.75}) // 0.1 s × 39999 = 3999.9 s
	assert.Contains(t, buf.String(), b1("1:06:39")+" 100ms/step")
	buf.Reset()
	c.add(100 * time.Millisecond)
	// (0.2 − 0.1) s / 38999 steps = 2.56 us per step, ETA 2.6 ms.
	p.OnBatchEnd(BatchLogs{Step: 39000, Steps: 40000, Loss: 0.5, Accuracy: 0.75})
	assert.Contains(t, buf.String(), b1("0s")+" 3us/step")
	// The line before was 7 characters wider ("1:06:39 100ms/step"
	// against "0s 3us/step"): padded with 7 spaces.
	assert.True(t, strings.HasSuffix(buf.String(), "loss: 0.5000"+strings.Repeat(" ", 7)), "%q", buf.String())
	buf.Reset()
	p2 := &Progress{W: &buf, Verbose: 1, Now: c.now}
	p2.OnEpochBegin(1, 1, 1000)
	c.add(100 * time.Millisecond)
	p2.OnBatchEnd(BatchLogs{Step: 1, Steps: 1000, Loss: 0.5, Accuracy: 0.75}) // 99.9 s
	assert.Contains(t, buf.String(), b1("1:39"))
}

func b1(s string) string { return " \x1b[1m" + s + "\x1b[0m" }

// NewProgress chooses the bar on a terminal and the line otherwise.
func TestNewProgressChoosesVerbose(t *testing.T) {
	assert.Equal(t, 1, NewProgress(nil, true).verbose())
	assert.Equal(t, 2, NewProgress(nil, false).verbose())
}
