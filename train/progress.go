package train

import (
	"fmt"
	"github.com/descent-ml/descent/data"
	"io"
	"math"
	"strings"
	"time"
)

// Progress is a Callback that prints Keras's per-epoch lines:
//
//	Epoch 1/10
//	422/422 - 1s 2ms/step - accuracy: 0.9512 - loss: 0.1663 - val_accuracy: 0.9577 - val_loss: 0.1412
//
// Metrics are printed in alphabetical order, like Keras 3. When Live is set
// (the output is a terminal) it also redraws a progress bar in place while
// the epoch runs, at most every 50 ms.
type Progress struct {
	W    io.Writer
	Live bool
	// Now is the clock (time.Now when nil); tests set it.
	Now func() time.Time

	last time.Time
	buf  []byte
}

// NewProgress returns a Progress writing to w, with a live bar if live.
func NewProgress(w io.Writer, live bool) *Progress { return &Progress{W: w, Live: live} }

func (p *Progress) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

// OnEpochBegin prints "Epoch i/n".
func (p *Progress) OnEpochBegin(epoch, epochs, steps int) {
	fmt.Fprintf(p.W, "Epoch %d/%d\n", epoch, epochs)
	p.last = time.Time{}
}

// OnBatchEnd redraws the live bar (terminal only, throttled).
func (p *Progress) OnBatchEnd(l BatchLogs) {
	if !p.Live || l.Step == l.Steps {
		return
	}
	now := p.now()
	if now.Sub(p.last) < 50*time.Millisecond {
		return
	}
	p.last = now
	const width = 20
	done := width * l.Step / l.Steps
	p.buf = p.buf[:0]
	name, value := "accuracy", l.Accuracy
	if l.Task == data.TaskRegression {
		name, value = "mae", l.MAE
	}
	p.buf = fmt.Appendf(p.buf, "\r%*d/%d %s%s %s - %s: %s - loss: %s\x1b[K",
		digits(l.Steps), l.Step, l.Steps,
		strings.Repeat("━", done), strings.Repeat("─", width-done),
		stepTime(l.Seconds, l.Step), name, metric(value), metric(l.Loss))
	p.W.Write(p.buf)
}

// OnEpochEnd prints the epoch's summary line.
func (p *Progress) OnEpochEnd(l EpochLogs) error {
	if p.Live {
		io.WriteString(p.W, "\r\x1b[K")
	}
	var line string
	if l.Task == data.TaskRegression {
		line = fmt.Sprintf("%d/%d - %s - loss: %s - mae: %s", l.Steps, l.Steps,
			stepTime(l.Seconds, l.Steps), metric(l.Loss), metric(l.MAE))
		if l.HasValidation {
			line += fmt.Sprintf(" - val_loss: %s - val_mae: %s - val_r2: %s", metric(l.ValLoss), metric(l.ValMAE), metric(l.ValR2))
		}
	} else {
		line = fmt.Sprintf("%d/%d - %s - accuracy: %s - loss: %s", l.Steps, l.Steps,
			stepTime(l.Seconds, l.Steps), metric(l.Accuracy), metric(l.Loss))
		if l.HasValidation {
			line += fmt.Sprintf(" - val_accuracy: %s - val_loss: %s", metric(l.ValAccuracy), metric(l.ValLoss))
		}
	}
	_, err := fmt.Fprintln(p.W, line)
	return err
}

// stepTime formats elapsed time and time per step as Keras 3's progress bar
// does: "3s 6ms/step", with us/ms/s chosen by magnitude.
func stepTime(seconds float64, steps int) string {
	per := seconds / float64(max(steps, 1))
	var unit string
	switch {
	case per >= 1 || per == 0:
		unit = fmt.Sprintf("%.0fs/step", per)
	case per >= 1e-3:
		unit = fmt.Sprintf("%.0fms/step", per*1e3)
	default:
		unit = fmt.Sprintf("%.0fus/step", per*1e6)
	}
	return fmt.Sprintf("%.0fs %s", math.Floor(seconds), unit)
}

// metric formats a value as Keras's progress bar does: 4 decimals, or
// scientific notation below 1e-3.
func metric(v float64) string {
	if math.Abs(v) > 1e-3 || v == 0 {
		return fmt.Sprintf("%.4f", v)
	}
	return fmt.Sprintf("%.4e", v)
}

func digits(n int) int { return len(fmt.Sprint(n)) }
