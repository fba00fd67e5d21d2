package train

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
)

// TerminateOnNaN is Keras's TerminateOnNaN callback
// (keras/src/callbacks/terminate_on_nan.py) in descent's one mechanism for
// it, the NonFinitePolicy: FitConfig{OnNonFinite: TerminateOnNaN} stops at
// the first step whose loss is NaN or infinite. Unlike Keras, which ends
// fit normally, Fit then returns a *DivergedError (with the history of the
// completed epochs), and it also stops on a non-finite validation loss.
// It is the default.
const TerminateOnNaN = NonFiniteStop

// EarlyStopping is Keras's EarlyStopping callback
// (keras/src/callbacks/early_stopping.py): it stops training when the
// monitored value has not improved by more than MinDelta for Patience
// epochs, and with RestoreBestWeights puts back, when Fit ends, the weights
// of the epoch with the best value (History.BestEpoch says which). Make one
// with NewEarlyStopping; its fields are Keras's arguments, with Keras's
// defaults as zero values (Monitor "" is "val_loss", Mode "" is "auto").
//
// A Fit it stops ends normally, with History.StoppedEpoch set (from 1;
// Keras's stopped_epoch counts from 0). A resumed Fit rebuilds the wait and
// the best value from the resumed history; the weights of epochs before the
// resume are not in a checkpoint, so when the best epoch is among them and
// no later epoch beats it, nothing is restored (BestEpoch stays 0).
type EarlyStopping struct {
	Monitor            string
	MinDelta           float64
	Patience           int
	Mode               string
	Baseline           *float64 // nil: none (Keras's None)
	RestoreBestWeights bool
	StartFromEpoch     int
	// Log, if not nil, receives Keras's verbose=1 messages ("Epoch 7:
	// early stopping", "Restoring model weights from the end of the best
	// epoch: 4.").
	Log io.Writer

	mon          monitor
	t            *Trainer
	best         float64
	hasBest      bool
	wait         int
	bestEpoch    int
	stopped      int
	weights      []float32
	weightsEpoch int
}

// NewEarlyStopping returns an EarlyStopping on monitor ("" for val_loss)
// with the given patience and Keras's other defaults (min_delta 0, mode
// auto, no baseline, restore_best_weights False, start_from_epoch 0).
func NewEarlyStopping(monitor string, patience int) *EarlyStopping {
	return &EarlyStopping{Monitor: monitor, Patience: patience}
}

// OnTrainBegin checks the configuration and resets the state, rebuilt from
// h when the Fit resumes.
func (e *EarlyStopping) OnTrainBegin(t *Trainer, h *History) error {
	var err error
	if e.mon, err = newMonitor("early stopping", e.Monitor, e.Mode, e.MinDelta); err != nil {
		return err
	}
	if e.Patience < 0 || e.StartFromEpoch < 0 {
		return fmt.Errorf("early stopping: patience and start_from_epoch must be ≥ 0, got %d and %d", e.Patience, e.StartFromEpoch)
	}
	e.t, e.hasBest, e.wait, e.bestEpoch, e.stopped, e.weightsEpoch = t, false, 0, 0, 0, 0
	if e.RestoreBestWeights && len(e.weights) != t.Model().NumParams() {
		e.weights = make([]float32, t.Model().NumParams())
	}
	past, err := e.mon.replay("early stopping", h)
	if err != nil {
		return err
	}
	for i, v := range past {
		e.observe(i+1, v, nil)
	}
	e.stopped = 0
	return nil
}

// observe is Keras's on_epoch_end for epoch (from 1) with value v; params
// are the weights to keep on an improvement (nil when replaying). It
// reports whether training should stop.
func (e *EarlyStopping) observe(epoch int, v float64, params []float32) bool {
	if epoch-1 < e.StartFromEpoch {
		return false
	}
	e.wait++
	if e.mon.improves(v, e.best, e.hasBest) {
		e.best, e.hasBest, e.bestEpoch = v, true, epoch
		if params != nil && e.RestoreBestWeights {
			copy(e.weights, params)
			e.weightsEpoch = epoch
		}
		if e.Baseline == nil || e.mon.improves(v, *e.Baseline, true) {
			e.wait = 0
		}
		return false
	}
	if e.wait >= e.Patience && epoch > 1 {
		e.stopped = epoch
		return true
	}
	return false
}

// OnEpochBegin does nothing.
func (e *EarlyStopping) OnEpochBegin(epoch, epochs, steps int) {}

// OnBatchEnd does nothing.
func (e *EarlyStopping) OnBatchEnd(BatchLogs) {}

// OnEpochEnd returns ErrStopTraining when the patience is spent, an error
// if the epoch lacks the monitored value.
func (e *EarlyStopping) OnEpochEnd(l EpochLogs) error {
	v, err := e.mon.value("early stopping", l)
	if err != nil {
		return err
	}
	if e.t == nil {
		return fmt.Errorf("early stopping: OnTrainBegin was not called (pass it in FitConfig.Callbacks)")
	}
	if e.observe(l.Epoch, v, e.t.Model().Params) {
		return ErrStopTraining
	}
	return nil
}

// OnTrainEnd restores the best weights (RestoreBestWeights) and records
// the epoch kept in h.BestEpoch.
func (e *EarlyStopping) OnTrainEnd(t *Trainer, h *History) error {
	if e.stopped > 0 && e.Log != nil {
		fmt.Fprintf(e.Log, "Epoch %d: early stopping\n", e.stopped)
	}
	if e.RestoreBestWeights && e.weightsEpoch > 0 && e.weightsEpoch == e.bestEpoch {
		if e.Log != nil {
			fmt.Fprintf(e.Log, "Restoring model weights from the end of the best epoch: %d.\n", e.bestEpoch)
		}
		copy(t.Model().Params, e.weights)
		h.BestEpoch = e.bestEpoch
	}
	return nil
}

// BestEpoch is the epoch (from 1) with the best monitored value so far, 0
// before any.
func (e *EarlyStopping) BestEpoch() int { return e.bestEpoch }

// StoppedEpoch is the epoch (from 1) after which it stopped training, 0 if
// it did not.
func (e *EarlyStopping) StoppedEpoch() int { return e.stopped }

// ReduceLROnPlateau is Keras's ReduceLROnPlateau callback
// (keras/src/callbacks/reduce_lr_on_plateau.py): when the monitored value
// has not improved by more than MinDelta for Patience epochs, it multiplies
// the optimizer's learning rate by Factor (not below MinLR), then waits
// Cooldown epochs before counting again. Make one with
// NewReduceLROnPlateau, which sets Keras's defaults. It does not combine
// with a FitConfig.Schedule, which sets the rate before every step (Keras
// refuses to set the rate of a schedule too).
//
// A resumed Fit replays the resumed history's monitored values from the
// optimizer's rate at the start, reaching the rate, wait and cooldown of a
// Fit never stopped.
type ReduceLROnPlateau struct {
	Monitor  string
	Factor   float64
	Patience int
	Mode     string
	MinDelta float64
	Cooldown int
	MinLR    float64
	// Log, if not nil, receives Keras's verbose=1 message ("Epoch 5:
	// ReduceLROnPlateau reducing learning rate to 0.0001.").
	Log io.Writer

	mon      monitor
	opt      Optimizer
	best     float64
	hasBest  bool
	wait     int
	cooldown int
}

// NewReduceLROnPlateau returns a ReduceLROnPlateau on monitor ("" for
// val_loss) with Keras's defaults: factor 0.1, patience 10, mode auto,
// min_delta 1e-4, cooldown 0, min_lr 0.
func NewReduceLROnPlateau(monitor string) *ReduceLROnPlateau {
	return &ReduceLROnPlateau{Monitor: monitor, Factor: 0.1, Patience: 10, MinDelta: 1e-4}
}

func (r *ReduceLROnPlateau) changesLearningRate() {}

// OnTrainBegin checks the configuration and resets the state, rebuilt from
// h when the Fit resumes.
func (r *ReduceLROnPlateau) OnTrainBegin(t *Trainer, h *History) error {
	var err error
	if r.mon, err = newMonitor("reduce lr on plateau", r.Monitor, r.Mode, r.MinDelta); err != nil {
		return err
	}
	if !(r.Factor > 0 && r.Factor < 1) || r.Patience < 0 || r.Cooldown < 0 || !(r.MinLR >= 0) {
		return fmt.Errorf("reduce lr on plateau: want a factor in (0, 1) (Keras refuses ≥ 1), patience, cooldown and min_lr ≥ 0, got %v, %d, %d, %v",
			r.Factor, r.Patience, r.Cooldown, r.MinLR)
	}
	r.opt, r.hasBest, r.wait, r.cooldown = t.Optimizer(), false, 0, 0
	past, err := r.mon.replay("reduce lr on plateau", h)
	if err != nil {
		return err
	}
	log := r.Log
	r.Log = nil
	for i, v := range past {
		r.observe(i+1, v)
	}
	r.Log = log
	return nil
}

func (r *ReduceLROnPlateau) observe(epoch int, v float64) {
	if r.cooldown > 0 {
		r.cooldown--
		r.wait = 0
	}
	if r.mon.improves(v, r.best, r.hasBest) {
		r.best, r.hasBest, r.wait = v, true, 0
		return
	}
	if r.cooldown > 0 {
		return
	}
	r.wait++
	if r.wait < r.Patience {
		return
	}
	// Keras compares the old rate with min_lr as float32.
	if old := r.opt.LearningRate(); old > float64(float32(r.MinLR)) {
		lr := max(old*r.Factor, r.MinLR)
		r.opt.SetLearningRate(lr)
		if r.Log != nil {
			fmt.Fprintf(r.Log, "\nEpoch %d: ReduceLROnPlateau reducing learning rate to %s.\n", epoch, pyFloat(lr))
		}
		r.cooldown, r.wait = r.Cooldown, 0
	}
}

// OnEpochBegin does nothing.
func (r *ReduceLROnPlateau) OnEpochBegin(epoch, epochs, steps int) {}

// OnBatchEnd does nothing.
func (r *ReduceLROnPlateau) OnBatchEnd(BatchLogs) {}

// OnEpochEnd reduces the rate after Patience epochs without improvement.
func (r *ReduceLROnPlateau) OnEpochEnd(l EpochLogs) error {
	v, err := r.mon.value("reduce lr on plateau", l)
	if err != nil {
		return err
	}
	r.observe(l.Epoch, v)
	return nil
}

// OnTrainEnd does nothing.
func (r *ReduceLROnPlateau) OnTrainEnd(*Trainer, *History) error { return nil }

// ModelCheckpoint is Keras's ModelCheckpoint callback
// (keras/src/callbacks/model_checkpoint.py) with save_freq="epoch": after
// every epoch it saves the model to Path (model.Save: atomically), or with
// SaveBestOnly only when the monitored value improved on the best so far.
// Keras's file name templates ({epoch:02d}) and save_weights_only are not
// supported: Path is one file, always a whole model. A resumed Fit takes
// the best value of the resumed history, so it does not replace a better
// saved model.
type ModelCheckpoint struct {
	Path         string
	Monitor      string // "" is "val_loss"
	Mode         string // "" is "auto"
	SaveBestOnly bool
	// Log, if not nil, receives Keras's verbose=1 messages.
	Log io.Writer

	mon     monitor
	t       *Trainer
	best    float64
	hasBest bool
	// Saved counts the saves of the last Fit.
	Saved int
}

// OnTrainBegin checks the configuration and takes the best value of a
// resumed history.
func (c *ModelCheckpoint) OnTrainBegin(t *Trainer, h *History) error {
	if c.Path == "" {
		return fmt.Errorf("model checkpoint: no path")
	}
	var err error
	if c.mon, err = newMonitor("model checkpoint", c.Monitor, c.Mode, 0); err != nil {
		return err
	}
	c.t, c.hasBest, c.Saved = t, false, 0
	if !c.SaveBestOnly {
		return nil
	}
	past, err := c.mon.replay("model checkpoint", h)
	if err != nil {
		return err
	}
	for _, v := range past {
		if c.mon.improves(v, c.best, c.hasBest) {
			c.best, c.hasBest = v, true
		}
	}
	return nil
}

// OnEpochBegin does nothing.
func (c *ModelCheckpoint) OnEpochBegin(epoch, epochs, steps int) {}

// OnBatchEnd does nothing.
func (c *ModelCheckpoint) OnBatchEnd(BatchLogs) {}

// OnEpochEnd saves the model when it should.
func (c *ModelCheckpoint) OnEpochEnd(l EpochLogs) error {
	if c.SaveBestOnly {
		v, err := c.mon.value("model checkpoint", l)
		if err != nil {
			return err
		}
		if !c.mon.improves(v, c.best, c.hasBest) {
			if c.Log != nil {
				fmt.Fprintf(c.Log, "\nEpoch %d: %s did not improve from %.5f\n", l.Epoch, c.mon.name, c.best)
			}
			return nil
		}
		if c.Log != nil {
			best := "None"
			if c.hasBest {
				best = fmt.Sprintf("%.5f", c.best)
			}
			fmt.Fprintf(c.Log, "\nEpoch %d: %s improved from %s to %.5f, saving model to %s\n", l.Epoch, c.mon.name, best, v, c.Path)
		}
		c.best, c.hasBest = v, true
	} else if c.Log != nil {
		fmt.Fprintf(c.Log, "\nEpoch %d: saving model to %s\n", l.Epoch, c.Path)
	}
	if err := c.t.Model().Save(c.Path); err != nil {
		return fmt.Errorf("model checkpoint: %w", err)
	}
	c.Saved++
	return nil
}

// OnTrainEnd does nothing.
func (c *ModelCheckpoint) OnTrainEnd(*Trainer, *History) error { return nil }

// CSVLogger is Keras's CSVLogger callback
// (keras/src/callbacks/csv_logger.py): one row per epoch, "epoch" (from 0,
// as Keras writes it) then the logged values under a header of the first
// epoch's keys, sorted; when those have no validation value, val_ columns
// of every key are added and written "NA", as Keras does. Values are
// written as Python writes a float (repr: 0.1663, 1e-05, nan), rows end
// in "\r\n" (Python's csv.excel dialect), and the file is written and
// closed every epoch, so it is complete after any epoch. With Append the
// rows go after those of an existing file, the header only if that file is
// empty. A resumed Fit (not Append) writes the rows of the resumed history
// first, so the file equals that of a Fit never stopped.
type CSVLogger struct {
	Path      string
	Separator rune // ',' when 0
	Append    bool

	header bool // the header is still to write
	keys   []string
	buf    []byte
}

// OnTrainBegin creates (or, with Append, opens) the file, and writes the
// rows of a resumed history.
func (c *CSVLogger) OnTrainBegin(t *Trainer, h *History) error {
	if c.Path == "" {
		return fmt.Errorf("csv logger: no path")
	}
	c.keys, c.header = nil, true
	flag := os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	if c.Append {
		flag = os.O_WRONLY | os.O_CREATE | os.O_APPEND
		if f, err := os.Open(c.Path); err == nil {
			line, _ := bufio.NewReader(f).ReadString('\n')
			f.Close()
			c.header = len(line) == 0
		}
	}
	f, err := os.OpenFile(c.Path, flag, 0o644)
	if err != nil {
		return fmt.Errorf("csv logger: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("csv logger: %w", err)
	}
	if c.Append || h.Epochs() == 0 {
		return nil
	}
	var keys []string
	for _, k := range logKeys {
		if len(h.Series(k)) == h.Epochs() {
			keys = append(keys, k)
		}
	}
	for i := range h.Epochs() {
		err := c.write(i, keys, func(k string) (float64, bool) {
			s := h.Series(k)
			if len(s) != h.Epochs() {
				return 0, false
			}
			return s[i], true
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// OnEpochBegin does nothing.
func (c *CSVLogger) OnEpochBegin(epoch, epochs, steps int) {}

// OnBatchEnd does nothing.
func (c *CSVLogger) OnBatchEnd(BatchLogs) {}

// OnEpochEnd appends the epoch's row.
func (c *CSVLogger) OnEpochEnd(l EpochLogs) error {
	return c.write(l.Epoch-1, l.Keys(), l.Value)
}

func (c *CSVLogger) write(epoch int, keys []string, value func(string) (float64, bool)) error {
	sep := string(c.sepRune())
	if c.keys == nil {
		c.keys = slices.Sorted(slices.Values(keys))
		if !slices.ContainsFunc(c.keys, func(k string) bool { return strings.HasPrefix(k, "val_") }) {
			for _, k := range slices.Clone(c.keys) {
				c.keys = append(c.keys, "val_"+k)
			}
		}
	}
	c.buf = c.buf[:0]
	if c.header {
		c.buf = append(c.buf, "epoch"...)
		for _, k := range c.keys {
			c.buf = append(append(c.buf, sep...), k...)
		}
		c.buf = append(c.buf, "\r\n"...)
	}
	c.buf = strconv.AppendInt(c.buf, int64(epoch), 10)
	for _, k := range c.keys {
		c.buf = append(c.buf, sep...)
		if v, ok := value(k); ok {
			c.buf = append(c.buf, pyFloat(v)...)
		} else {
			c.buf = append(c.buf, "NA"...)
		}
	}
	c.buf = append(c.buf, "\r\n"...)
	f, err := os.OpenFile(c.Path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return fmt.Errorf("csv logger: %w", err)
	}
	_, err = f.Write(c.buf)
	if e := f.Close(); err == nil {
		err = e
	}
	if err != nil {
		return fmt.Errorf("csv logger: %w", err)
	}
	c.header = false
	return nil
}

func (c *CSVLogger) sepRune() rune {
	if c.Separator == 0 {
		return ','
	}
	return c.Separator
}

// OnTrainEnd does nothing: the file is closed after every row.
func (c *CSVLogger) OnTrainEnd(*Trainer, *History) error { return nil }

// pyFloat formats v as Python's repr(float) does: the shortest digits
// that read back as v, in positional notation with at least one decimal
// when 1e-4 ≤ |v| < 1e16, else as d.ddde±XX; "nan", "inf", "-inf".
func pyFloat(v float64) string {
	switch {
	case math.IsNaN(v):
		return "nan"
	case math.IsInf(v, 1):
		return "inf"
	case math.IsInf(v, -1):
		return "-inf"
	case v == 0:
		if math.Signbit(v) {
			return "-0.0"
		}
		return "0.0"
	}
	e := strconv.FormatFloat(v, 'e', -1, 64) // d.ddde±XX, shortest
	mant, exp, _ := strings.Cut(e, "e")
	x, _ := strconv.Atoi(exp)
	if x < -4 || x >= 16 {
		return mant + "e" + exp[:1] + fmt.Sprintf("%02d", abs(x))
	}
	s := strconv.FormatFloat(v, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
