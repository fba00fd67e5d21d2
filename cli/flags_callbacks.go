package cli

import (
	"fmt"
	"strings"

	ucli "github.com/urfave/cli/v2"

	"github.com/descent-ml/descent/data"
	"github.com/descent-ml/descent/train"
)

// callbackFlags are the flags of Keras's callbacks and of the learning-rate
// schedules, for descent train (sweep and compare take them too, but not
// the two that name files: one run's files would be replaced by the next).
func callbackFlags() []ucli.Flag {
	return []ucli.Flag{
		&ucli.IntFlag{Name: "early-stopping", Usage: "stop when --monitor has not improved (by more than --min-delta) for `PATIENCE` epochs, as Keras's EarlyStopping; the history's stopped_epoch says when"},
		&ucli.StringFlag{Name: "monitor", Value: "val_loss", Usage: "what --early-stopping, --reduce-lr-on-plateau and --save-best watch: loss, val_loss, accuracy, val_accuracy (classes), mae, val_mae, val_r2 (regression); minimised or maximised as its name says"},
		&ucli.Float64Flag{Name: "min-delta", Usage: "the least change of --monitor that counts as an improvement for --early-stopping and --reduce-lr-on-plateau (--save-best has none, as Keras's ModelCheckpoint)", DefaultText: "0 for --early-stopping, 1e-4 for --reduce-lr-on-plateau (Keras's defaults)"},
		&ucli.BoolFlag{Name: "restore-best", Usage: "with --early-stopping, end with the weights of the best epoch (the history's best_epoch); off by default, as Keras's restore_best_weights"},
		&ucli.IntFlag{Name: "reduce-lr-on-plateau", Usage: "multiply the learning rate by --lr-factor when --monitor has not improved for `PATIENCE` epochs, as Keras's ReduceLROnPlateau"},
		&ucli.Float64Flag{Name: "lr-factor", Value: 0.1, Usage: "--reduce-lr-on-plateau's factor, in (0, 1)"},
		&ucli.Float64Flag{Name: "min-lr", Usage: "--reduce-lr-on-plateau's lowest learning rate"},
		&ucli.StringFlag{Name: "save-best", Usage: "save the model to this `FILE` (atomically) after every epoch that improves --monitor, as Keras's ModelCheckpoint(save_best_only=True)"},
		&ucli.StringFlag{Name: "csv-log", Usage: "write one line per epoch to this `FILE` as Keras's CSVLogger"},
		&ucli.StringFlag{Name: "lr-schedule", Usage: "learning-rate schedule, applied every step from --lr: step (×--lr-decay every --lr-step-epochs), exponential (the same decay, smoothly per step), cosine (Keras's CosineDecay to 0 over the run), onecycle (PyTorch's OneCycleLR up to --lr)"},
		&ucli.Float64Flag{Name: "lr-decay", Value: 0.5, Usage: "step and exponential: the factor per --lr-step-epochs"},
		&ucli.IntFlag{Name: "lr-step-epochs", Value: 1, Usage: "step and exponential: epochs per --lr-decay"},
		&ucli.IntFlag{Name: "warmup", Usage: "with --lr-schedule, rise linearly from 0 to --lr over the first `EPOCHS` epochs (Keras's CosineDecay warm-up; for onecycle, the rising phase)"},
		&ucli.IntFlag{Name: "verbose", Usage: "progress as Keras's fit(verbose=): 0 none, 1 the bar, 2 one line per epoch", DefaultText: "1 on a terminal, 2 otherwise"},
	}
}

// callbackConfig is what the callback flags say; the NetConfig records it.
type callbackConfig struct {
	EarlyStopping     *int    `json:"early_stopping,omitempty"` // patience
	Monitor           string  `json:"monitor,omitempty"`
	MinDelta          float64 `json:"min_delta,omitempty"`
	RestoreBest       bool    `json:"restore_best,omitempty"`
	ReduceLROnPlateau *int    `json:"reduce_lr_on_plateau,omitempty"` // patience
	LRFactor          float64 `json:"lr_factor,omitempty"`
	MinLR             float64 `json:"min_lr,omitempty"`
	LRSchedule        string  `json:"lr_schedule,omitempty"`
	LRDecay           float64 `json:"lr_decay,omitempty"`
	LRStepEpochs      int     `json:"lr_step_epochs,omitempty"`
	Warmup            int     `json:"warmup,omitempty"`

	minDeltaSet      bool
	saveBest, csvLog string
	verbose          int // 0: auto
	quietProgress    bool
}

// readCallbackFlags reads and checks the callback flags into cfg.
func readCallbackFlags(c *ucli.Context, cfg *NetConfig) error {
	k := &cfg.callbackConfig
	if c.IsSet("early-stopping") {
		p := c.Int("early-stopping")
		if p < 0 {
			return usagef("--early-stopping: the patience must be ≥ 0, got %d", p)
		}
		k.EarlyStopping = &p
		k.RestoreBest = c.Bool("restore-best")
	} else if c.Bool("restore-best") {
		return usagef("--restore-best: only with --early-stopping")
	}
	if c.IsSet("reduce-lr-on-plateau") {
		p := c.Int("reduce-lr-on-plateau")
		if p < 0 {
			return usagef("--reduce-lr-on-plateau: the patience must be ≥ 0, got %d", p)
		}
		k.ReduceLROnPlateau = &p
		k.LRFactor, k.MinLR = c.Float64("lr-factor"), c.Float64("min-lr")
		if !(k.LRFactor > 0 && k.LRFactor < 1) {
			return usagef("--lr-factor: must be in (0, 1), got %v", k.LRFactor)
		}
		if !(k.MinLR >= 0) {
			return usagef("--min-lr: must be ≥ 0, got %v", k.MinLR)
		}
	}
	k.saveBest, k.csvLog = c.String("save-best"), c.String("csv-log")
	if name := c.Command.Name; name != "train" && name != "" && (k.saveBest != "" || k.csvLog != "") {
		return usagef("--save-best and --csv-log name one run's file: only descent train takes them")
	}
	if k.monitors() {
		k.Monitor = c.String("monitor")
		if err := train.CheckMonitor(k.Monitor, "auto"); err != nil {
			return usagef("--monitor: %q: want loss, val_loss, accuracy, val_accuracy, mae, val_mae or val_r2", k.Monitor)
		}
		if k.minDeltaSet = c.IsSet("min-delta"); k.minDeltaSet {
			k.MinDelta = c.Float64("min-delta")
			if !(k.MinDelta >= 0) {
				return usagef("--min-delta: must be ≥ 0, got %v", k.MinDelta)
			}
		}
	}
	switch s := c.String("lr-schedule"); s {
	case "":
		for _, f := range []string{"warmup", "lr-decay", "lr-step-epochs"} {
			if c.IsSet(f) {
				return usagef("--%s: only with --lr-schedule", f)
			}
		}
	case "step", "exponential", "cosine", "onecycle":
		if k.ReduceLROnPlateau != nil {
			return usagef("--lr-schedule and --reduce-lr-on-plateau both set the learning rate: choose one")
		}
		k.LRSchedule, k.Warmup = s, c.Int("warmup")
		if k.Warmup < 0 || k.Warmup >= cfg.Epochs {
			return usagef("--warmup: must be in [0, --epochs), got %d", k.Warmup)
		}
		if s == "step" || s == "exponential" {
			k.LRDecay, k.LRStepEpochs = c.Float64("lr-decay"), c.Int("lr-step-epochs")
			if !(k.LRDecay > 0) || k.LRStepEpochs < 1 {
				return usagef("--lr-decay must be > 0 and --lr-step-epochs ≥ 1, got %v and %d", k.LRDecay, k.LRStepEpochs)
			}
		}
	default:
		return usagef("--lr-schedule: %q: want step, exponential, cosine or onecycle", s)
	}
	if c.IsSet("verbose") {
		switch v := c.Int("verbose"); v {
		case 0:
			k.quietProgress = true
		case 1, 2:
			k.verbose = v
		default:
			return usagef("--verbose: want 0, 1 or 2, got %d", v)
		}
	}
	return nil
}

// newProgress returns the progress callback of a run, or nil for
// --verbose 0.
func newProgress(env Env, cfg NetConfig) train.Callback {
	if cfg.quietProgress {
		return nil
	}
	p := train.NewProgress(env.Stdout, env.IsTerminal)
	p.Verbose = cfg.verbose
	return p
}

// monitors says whether a callback watches --monitor: --early-stopping,
// --reduce-lr-on-plateau or --save-best.
func (k callbackConfig) monitors() bool {
	return k.EarlyStopping != nil || k.ReduceLROnPlateau != nil || k.saveBest != ""
}

// setup adds to fit the callbacks and the schedule cfg asks for, for a run
// on sets.
func (k callbackConfig) setup(fit *train.FitConfig, cfg NetConfig, sets dataSets) error {
	if k.monitors() {
		if err := checkMonitor(k.Monitor, sets); err != nil {
			return err
		}
	}
	if k.EarlyStopping != nil {
		fit.Callbacks = append(fit.Callbacks, &train.EarlyStopping{Monitor: k.Monitor, Patience: *k.EarlyStopping,
			MinDelta: k.MinDelta, RestoreBestWeights: k.RestoreBest})
	}
	if k.ReduceLROnPlateau != nil {
		r := train.NewReduceLROnPlateau(k.Monitor)
		r.Patience, r.Factor, r.MinLR = *k.ReduceLROnPlateau, k.LRFactor, k.MinLR
		if k.minDeltaSet {
			r.MinDelta = k.MinDelta
		}
		fit.Callbacks = append(fit.Callbacks, r)
	}
	if k.saveBest != "" {
		fit.Callbacks = append(fit.Callbacks, &train.ModelCheckpoint{Path: k.saveBest, Monitor: k.Monitor, SaveBestOnly: true})
	}
	if k.csvLog != "" {
		fit.Callbacks = append(fit.Callbacks, &train.CSVLogger{Path: k.csvLog})
	}
	if k.LRSchedule == "" {
		return nil
	}
	spe := (sets.train.Len() + cfg.BatchSize - 1) / cfg.BatchSize
	if cfg.dist != nil {
		spe = sets.train.Len() / cfg.BatchSize // a distributed Fit drops the short global batch
	}
	total, warm := cfg.Epochs*spe, k.Warmup*spe
	var s train.Schedule
	switch k.LRSchedule {
	case "step":
		s = train.StepDecay{Initial: cfg.LR, Factor: k.LRDecay, StepSize: k.LRStepEpochs * spe}
	case "exponential":
		s = train.ExponentialDecay{Initial: cfg.LR, DecaySteps: k.LRStepEpochs * spe, Rate: k.LRDecay}
	case "cosine":
		s = train.CosineDecay{Initial: cfg.LR, DecaySteps: total - warm}
		if warm > 0 {
			s = train.CosineDecay{Initial: 0, WarmupTarget: cfg.LR, WarmupSteps: warm, DecaySteps: total - warm}
		}
		warm = 0
	case "onecycle":
		oc := train.OneCycle{MaxLR: cfg.LR, TotalSteps: total}
		if warm > 0 {
			oc.PctStart = float64(k.Warmup) / float64(cfg.Epochs)
		}
		s, warm = oc, 0
	}
	if warm > 0 {
		s = train.Warmup{Steps: warm, Then: s}
	}
	if err := train.CheckSchedule(s); err != nil {
		return usagef("--lr-schedule %s: %v", k.LRSchedule, err)
	}
	fit.Schedule = s
	return nil
}

// checkMonitor refuses a --monitor the run cannot have: a validation value
// without validation data, another task's metric.
func checkMonitor(m string, sets dataSets) error {
	if strings.HasPrefix(m, "val_") && sets.val == nil {
		return usagef("--monitor %s: there is no validation data (--val-split 0): monitor loss, or keep a validation split", m)
	}
	regression := sets.task == data.TaskRegression
	switch strings.TrimPrefix(m, "val_") {
	case "accuracy":
		if regression {
			return usagef("--monitor %s: a regression has no accuracy (monitor val_loss, val_mae or val_r2)", m)
		}
	case "mae", "r2":
		if !regression {
			return usagef("--monitor %s: only a regression has %s (monitor val_loss or val_accuracy)", m, strings.TrimPrefix(m, "val_"))
		}
	}
	return nil
}

// stoppedLine says where early stopping ended a run, "" if it did not.
func stoppedLine(h *train.History) string {
	if h == nil || h.StoppedEpoch == 0 {
		return ""
	}
	s := fmt.Sprintf("descent: early stopping after epoch %d", h.StoppedEpoch)
	if h.BestEpoch > 0 {
		s += fmt.Sprintf("; the weights of epoch %d (the best) restored", h.BestEpoch)
	}
	return s
}
