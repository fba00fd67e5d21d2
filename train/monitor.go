package train

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// monitor is the comparison of Keras's MonitorCallback
// (keras/src/callbacks/monitor_callback.py): which logged value, and
// whether lower or higher is better, by at least minDelta.
type monitor struct {
	name     string
	less     bool
	minDelta float64 // signed as Keras: negative when lower is better
}

// newMonitor resolves name ("" is "val_loss") and mode ("auto", "min",
// "max"; "" is "auto") as Keras does: auto minimises a loss and the error
// metrics, maximises accuracy and r2.
func newMonitor(who, name, mode string, minDelta float64) (monitor, error) {
	if name == "" {
		name = "val_loss"
	}
	m := monitor{name: name}
	switch mode {
	case "min":
		m.less = true
	case "max":
	case "", "auto":
		switch strings.TrimPrefix(name, "val_") {
		case "loss", "mae", "mse":
			m.less = true
		case "accuracy", "r2":
		default:
			return m, fmt.Errorf("%s: cannot tell whether %q should be minimised or maximised: set the mode to min or max", who, name)
		}
	default:
		return m, fmt.Errorf("%s: unknown mode %q (want auto, min or max)", who, mode)
	}
	if !slices.Contains(logKeys, name) {
		return m, fmt.Errorf("%s: unknown monitor %q (want loss, accuracy, mae, val_loss, val_accuracy, val_mae, val_r2 or learning_rate)", who, name)
	}
	if math.IsNaN(minDelta) || math.IsInf(minDelta, 0) {
		return m, fmt.Errorf("%s: min delta must be finite, got %v", who, minDelta)
	}
	m.minDelta = math.Abs(minDelta)
	if m.less {
		m.minDelta = -m.minDelta
	}
	return m, nil
}

// improves is Keras's _is_improvement against a reference (none: true).
func (m monitor) improves(v float64, ref float64, hasRef bool) bool {
	if !hasRef {
		return true
	}
	if m.less {
		return v-m.minDelta < ref
	}
	return v-m.minDelta > ref
}

// value returns the monitored value of the epoch, or an error naming what
// the epoch has. Keras warns and skips the epoch; a Go caller gets the
// mistake at once.
func (m monitor) value(who string, l EpochLogs) (float64, error) {
	v, ok := l.Value(m.name)
	if !ok {
		return 0, fmt.Errorf("%s: epoch %d has no %s (it has %s)", who, l.Epoch, m.name, strings.Join(l.Keys(), ", "))
	}
	return v, nil
}

// replay returns the monitored series of a resumed Fit's history.
func (m monitor) replay(who string, h *History) ([]float64, error) {
	s := h.Series(m.name)
	if len(s) != h.Epochs() {
		return nil, fmt.Errorf("%s: the resumed history has %d epochs and %d values of %s", who, h.Epochs(), len(s), m.name)
	}
	return s, nil
}

// CheckMonitor reports whether Keras's callbacks can monitor name ("" is
// "val_loss") in mode ("" or "auto", "min", "max"): a value Fit logs,
// whose direction auto mode can tell.
func CheckMonitor(name, mode string) error {
	_, err := newMonitor("monitor", name, mode, 0)
	return err
}
