package train

import (
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/descent-ml/descent/data"
)

// Progress is a Callback that prints what Keras 3's ProgbarLogger prints
// during fit (keras/src/callbacks/progbar_logger.py, keras/src/utils/
// progbar.py), in its two forms:
//
// Verbose 2, one line per epoch, written when the epoch (and its
// validation) ends:
//
//	Epoch 1/10
//	422/422 - 1s - 2ms/step - accuracy: 0.9512 - loss: 0.1663 - val_accuracy: 0.9577 - val_loss: 0.1412
//
// Verbose 1, the bar, redrawn in place at most every 50 ms (each redraw
// starts with a backspace per character drawn before and "\r", as Keras
// does on a POSIX system, and ends padded with spaces to the width of the
// one it replaces), with the estimated time left while the epoch runs and
// the elapsed time at its end:
//
//	422/422 ━━━━━━━━━━━━━━━━━━━━ 1s 2ms/step - accuracy: 0.9512 - loss: 0.1663 - val_accuracy: 0.9577 - val_loss: 0.1412
//
// in Keras's colours (bold count and time, green done and white pending
// bar). The rules followed, each Keras's:
//   - "Epoch i/n" precedes each epoch only when n > 1;
//   - the times are measured from OnEpochBegin to OnEpochEnd, so they
//     include the validation, as Keras's on_epoch_end follows it;
//   - the time per step is the elapsed time over the steps, except in the
//     bar once a step after the first is shown: then it leaves the first
//     step out, (now − end of step 1)/(steps − 1). With verbose 2 Keras
//     updates the bar only at the epoch's end, so the first step counts;
//   - the time per step is written in s (when ≥ 1 s, or 0), ms (≥ 1 ms)
//     or us, rounded to a whole number, the elapsed time in whole seconds
//     (rounded, half to even, as Python's format);
//   - a value v is written with 4 decimals, or as %.4e when |v| ≤ 1e-3
//     (verbose 1) or v ≤ 1e-3 (verbose 2, which tests v, not |v|);
//   - the values are the logs' in their order: the training metrics
//     (accuracy, loss; loss, mae), the validation ones, then
//     learning_rate when it is recorded (EpochLogs.HasLR).
type Progress struct {
	W io.Writer
	// Verbose is Keras's verbose: 1 for the bar, 2 for a line per epoch;
	// 0 chooses 1 when Live, else 2.
	Verbose int
	// Live says the output is a terminal (see Verbose).
	Live bool
	// Now is the clock (time.Now when nil); tests set it.
	Now func() time.Time

	epochs       int
	start, first time.Time // the epoch's start; the end of its first step
	hasFirst     bool
	last         time.Time // the last redraw
	prevWidth    int
	buf          []byte
}

// NewProgress returns a Progress writing to w: Keras's bar (verbose 1)
// if live (a terminal), else its line per epoch (verbose 2).
func NewProgress(w io.Writer, live bool) *Progress { return &Progress{W: w, Live: live} }

func (p *Progress) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

func (p *Progress) verbose() int {
	if p.Verbose != 0 {
		return p.Verbose
	}
	if p.Live {
		return 1
	}
	return 2
}

// OnEpochBegin prints "Epoch i/n" (when n > 1) and starts the epoch's clock.
func (p *Progress) OnEpochBegin(epoch, epochs, steps int) {
	if epochs > 1 {
		fmt.Fprintf(p.W, "Epoch %d/%d\n", epoch, epochs)
	}
	p.epochs = epochs
	p.start, p.hasFirst, p.last, p.prevWidth = p.now(), false, time.Time{}, 0
}

// perStep is progbar.py's _estimate_step_duration at step current.
func (p *Progress) perStep(current int, now time.Time) float64 {
	if current == 0 {
		return 0
	}
	var per float64
	if p.hasFirst && current > 1 {
		per = now.Sub(p.first).Seconds() / float64(current-1)
	} else {
		per = now.Sub(p.start).Seconds() / float64(current)
	}
	if current == 1 {
		p.first, p.hasFirst = now, true
	}
	return per
}

// OnBatchEnd redraws the bar (verbose 1, at most every 50 ms).
func (p *Progress) OnBatchEnd(l BatchLogs) {
	if p.verbose() != 1 {
		return
	}
	now := p.now()
	per := p.perStep(l.Step, now)
	if now.Sub(p.last) < 50*time.Millisecond {
		return
	}
	keys, values := []string{"accuracy", "loss"}, []float64{l.Accuracy, l.Loss}
	if l.Task == data.TaskRegression {
		keys, values = []string{"loss", "mae"}, []float64{l.Loss, l.MAE}
	}
	p.bar(l.Step, l.Steps, now, per, false, keys, values)
}

// bar draws progbar.py's verbose=1 message.
func (p *Progress) bar(current, target int, now time.Time, per float64, finalize bool, keys []string, values []float64) {
	p.buf = p.buf[:0]
	for range p.prevWidth {
		p.buf = append(p.buf, '\b')
	}
	p.buf = append(p.buf, '\r')
	count := fmt.Sprintf("%*d/%d", digits(target), current, target)
	const width = 20
	done := int(width * float64(current) / float64(target))
	barText := "\x1b[1m" + count + "\x1b[0m "
	special := 8
	if done > 0 {
		barText += "\x1b[32m" + strings.Repeat("━", done) + "\x1b[0m"
		special += 9
	}
	barText += "\x1b[37m" + strings.Repeat("━", width-done) + "\x1b[0m"
	special += 9
	var info string
	if !finalize {
		eta := per * float64(target-current)
		var f string
		switch {
		case eta > 3600:
			f = fmt.Sprintf("%d:%02d:%02d", int(eta/3600), int(math.Mod(eta, 3600)/60), int(math.Mod(eta, 60)))
		case eta > 60:
			f = fmt.Sprintf("%d:%02d", int(eta/60), int(math.Mod(eta, 60)))
		default:
			f = fmt.Sprintf("%ds", int(eta))
		}
		info = " \x1b[1m" + f + "\x1b[0m"
	} else {
		info = fmt.Sprintf(" \x1b[1m%.0fs\x1b[0m", now.Sub(p.start).Seconds())
	}
	special += 8
	info += formatTime(per)
	for i, k := range keys {
		info += " - " + k + ": " + metric(values[i], true)
	}
	total := len([]rune(barText)) + len([]rune(info)) - special
	p.buf = append(p.buf, barText...)
	p.buf = append(p.buf, info...)
	for range p.prevWidth - total {
		p.buf = append(p.buf, ' ')
	}
	if finalize {
		p.buf = append(p.buf, '\n')
	}
	p.W.Write(p.buf)
	p.prevWidth = total
	p.last = now
}

// OnEpochEnd prints the epoch's final line.
func (p *Progress) OnEpochEnd(l EpochLogs) error {
	now := p.now()
	keys := l.Keys()
	values := make([]float64, len(keys))
	for i, k := range keys {
		values[i], _ = l.Value(k)
	}
	if p.verbose() == 1 {
		p.bar(l.Steps, l.Steps, now, p.perStep(l.Steps, now), true, keys, values)
		return nil
	}
	line := fmt.Sprintf("%*d/%d - %.0fs -%s", digits(l.Steps), l.Steps, l.Steps, now.Sub(p.start).Seconds(), formatTime(p.perStep(l.Steps, now)))
	for i, k := range keys {
		line += " - " + k + ": " + metric(values[i], false)
	}
	_, err := fmt.Fprintln(p.W, line)
	return err
}

// formatTime is progbar.py's _format_time: " 3s/step", " 6ms/step",
// " 948us/step".
func formatTime(per float64) string {
	switch {
	case per >= 1 || per == 0:
		return fmt.Sprintf(" %.0fs/step", per)
	case per >= 1e-3:
		return fmt.Sprintf(" %.0fms/step", per*1e3)
	}
	return fmt.Sprintf(" %.0fus/step", per*1e6)
}

// metric formats a value as progbar.py does: 4 decimals, or %.4e when the
// value (its absolute value, when abs) is at most 1e-3.
func metric(v float64, abs bool) string {
	switch { // Python's spelling
	case math.IsNaN(v):
		return "nan"
	case math.IsInf(v, 1):
		return "inf"
	case math.IsInf(v, -1):
		return "-inf"
	}
	t := v
	if abs {
		t = math.Abs(v)
	}
	if t > 1e-3 {
		return fmt.Sprintf("%.4f", v)
	}
	return fmt.Sprintf("%.4e", v)
}

func digits(n int) int { return len(fmt.Sprint(n)) }
