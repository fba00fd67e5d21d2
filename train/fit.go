package train

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/descent-ml/descent/data"
)

// FitConfig configures Fit.
type FitConfig struct {
	// Epochs is the number of passes over the training data (≥ 1).
	Epochs int
	// Seed seeds the shuffling of the training samples, reshuffled every
	// epoch (Keras's shuffle=True).
	Seed uint64
	// NoShuffle keeps the samples in order.
	NoShuffle bool
	// Validation, if not nil, is evaluated after every epoch.
	Validation data.Source
	// Callbacks observe the training (progress lines, early stopping...).
	Callbacks []Callback
	// Resume, if not nil, continues a Fit with the same data, seed and
	// batch size from where it stood (a FitState handed to OnState, e.g.
	// restored from a checkpoint): the sample order of every epoch is
	// replayed from Seed, so the steps that follow are those of a Fit that
	// was never stopped. The model's Params and the optimizer's state must
	// be restored by the caller first (Optimizer.SetState).
	Resume *FitState
	// OnState, if not nil, is called after every step, at the end of every
	// epoch (after validation and the callbacks) and when Fit stops on ctx,
	// with where the Fit stands (package checkpoint writes checkpoints from
	// it). An error stops the Fit. It runs on the training goroutine.
	OnState func(FitState) error
	// Prefetch reads each batch on another goroutine while the one before
	// it trains, hiding the read behind the computation: for sources that
	// read from disk (data.StreamSource). The batches, and so the results,
	// are the same as without it; the source's Batch then runs on that
	// goroutine (never two at once).
	Prefetch bool
	// OnNonFinite says what a non-finite training or validation loss does:
	// stop (the default, NonFiniteStop: Fit returns a *DivergedError) or
	// nothing (NonFiniteContinue).
	OnNonFinite NonFinitePolicy
	// Schedule, if not nil, sets the optimizer's learning rate before every
	// step (Optimizer.SetLearningRate) to Schedule.At(step), step counting
	// the steps of this Fit before it from epoch 1 (a resumed Fit counts
	// the epochs it resumes after), as Keras applies a
	// LearningRateSchedule at optimizer.iterations.
	Schedule Schedule
	// RecordLR records each epoch's learning rate (EpochLogs.LR,
	// History.LR). It is implied by a Schedule and by a ReduceLROnPlateau
	// among the Callbacks.
	RecordLR bool
	// Distributed, if not nil, makes this Fit one rank of a data-parallel
	// job: each step trains this rank's shard of a global batch of
	// BatchSize × Size samples, and the ranks agree on metrics and on when
	// to stop (see Distributed). nil is the single-process Fit.
	Distributed *Distributed
}

// lrChanger marks the callbacks that change the learning rate, whose
// presence makes Fit record it.
type lrChanger interface{ changesLearningRate() }

// A FitState is where a Fit stands: Step steps of epoch Epoch are done
// (Epoch counts from 1), with the running sums of the epoch so far; Done
// says the epoch is complete (validated, in History).
type FitState struct {
	Epoch, Step, Steps int
	LossSum            float64 // sum of the per-sample losses of the epoch so far
	Correct, Seen      int     // correct predictions and samples of the epoch so far
	AbsErrorSum        float64 // a regression's sum of per-sample absolute errors so far
	Done               bool
	// Reason is why OnState is called: StateStep, StateEpoch or StateStopped.
	Reason StateReason
	// History holds the completed epochs. It is Fit's own: copy what must outlive the call.
	History *History
}

// StateReason says why Fit calls OnState.
type StateReason int

const (
	StateStep    StateReason = iota // a step is done
	StateEpoch                      // an epoch is done
	StateStopped                    // Fit stops: ctx was cancelled
)

// Fit trains for cfg.Epochs epochs over src in batches of the trainer's batch
// size (the last, partial batch is kept), reshuffling every epoch, and
// returns the history. It stops between two steps when ctx is cancelled and
// then returns the history so far together with an error wrapping ctx.Err().
// Unless cfg.OnNonFinite is NonFiniteContinue, it stops at the first step
// whose loss is not finite (and after an epoch whose validation loss is not)
// and returns the history of the completed epochs with a *DivergedError.
//
// A callback's OnEpochEnd returning ErrStopTraining ends the Fit normally
// after that epoch (History.StoppedEpoch); callbacks that are also
// TrainCallbacks hear of the start (OnTrainBegin, with the resumed history)
// and of a normal end (OnTrainEnd). With cfg.Schedule, the optimizer's
// learning rate is set before every step.
func (t *Trainer) Fit(ctx context.Context, src data.Source, cfg FitConfig) (*History, error) {
	if err := t.enter(); err != nil {
		return nil, err
	}
	defer t.leave()
	if err := t.check(src, "training data"); err != nil {
		return nil, err
	}
	if cfg.Validation != nil {
		if err := t.check(cfg.Validation, "validation data"); err != nil {
			return nil, err
		}
	}
	if cfg.Epochs < 1 {
		return nil, fmt.Errorf("train: epochs must be ≥ 1, got %d", cfg.Epochs)
	}
	if cfg.Schedule != nil {
		if err := CheckSchedule(cfg.Schedule); err != nil {
			return nil, err
		}
	}
	if cfg.OnNonFinite != NonFiniteStop && cfg.OnNonFinite != NonFiniteContinue {
		return nil, fmt.Errorf("train: unknown OnNonFinite %v", cfg.OnNonFinite)
	}
	n := src.Len()
	if n == 0 {
		return nil, errors.New("train: training data is empty")
	}
	idx, rng := t.sampleOrder(n, cfg.Seed)
	steps := (n + t.batchSize - 1) / t.batchSize
	var ds *distState
	if d := cfg.Distributed; d != nil {
		global, err := d.check(t.batchSize, n)
		if err != nil {
			return nil, err
		}
		ds = newDistState(d, global, ctx)
		steps = n / global               // the short last global batch is dropped
		ctx = context.WithoutCancel(ctx) // the stop flags of every step say when
	}
	h := &History{}
	first, at := 1, FitState{}
	if r := cfg.Resume; r != nil {
		var err error
		if first, at, err = resumeAt(r, steps, cfg.Epochs); err != nil {
			return nil, err
		}
		h = r.History.clone()
		for e := 1; e < first && !cfg.NoShuffle; e++ {
			shuffle(rng, idx) // replay the orders of the epochs done
		}
	}
	recordLR := cfg.RecordLR || cfg.Schedule != nil
	for _, cb := range cfg.Callbacks {
		if _, ok := cb.(lrChanger); ok {
			recordLR = true
		}
	}
	for _, cb := range cfg.Callbacks {
		if tc, ok := cb.(TrainCallback); ok {
			if err := tc.OnTrainBegin(t, h); err != nil {
				return h, fmt.Errorf("train: %w", err)
			}
		}
	}
	for epoch := first; epoch <= cfg.Epochs; epoch++ {
		if !cfg.NoShuffle {
			shuffle(rng, idx)
		}
		for _, cb := range cfg.Callbacks {
			cb.OnEpochBegin(epoch, cfg.Epochs, steps)
		}
		if epoch != first {
			at = FitState{}
		}
		at.Epoch, at.Steps, at.History = epoch, steps, h
		lr := t.opt.LearningRate()
		if cfg.Schedule != nil {
			lr = cfg.Schedule.At((epoch - 1) * steps)
		}
		logs, err := t.epoch(ctx, src, idx, &at, cfg, ds)
		if err != nil {
			return h, err
		}
		logs.LR, logs.HasLR = lr, recordLR
		if cfg.Validation != nil {
			start := time.Now()
			var ev Evaluation
			if ds == nil || ds.d.Rank == 0 {
				ev, err = t.evaluateLocked(ctx, cfg.Validation, false)
			}
			if err == nil && ds != nil {
				err = ds.shareValidation(&ev)
			}
			logs.ValLoss, logs.ValAccuracy, logs.ValMAE, logs.ValR2 = ev.Loss, ev.Accuracy, ev.MAE, ev.R2
			if err != nil {
				return h, t.stopped(cfg, at, fmt.Errorf("train: epoch %d: validation: %w", epoch, err))
			}
			if cfg.OnNonFinite == NonFiniteStop && !finite(logs.ValLoss) {
				return h, &DivergedError{Epoch: epoch, Step: steps, Steps: steps, Validation: true, Loss: logs.ValLoss}
			}
			logs.HasValidation = true
			logs.ValidationSecs = time.Since(start).Seconds()
		}
		h.add(logs)
		stop := false
		for _, cb := range cfg.Callbacks {
			if err := cb.OnEpochEnd(logs); errors.Is(err, ErrStopTraining) {
				stop = true
			} else if err != nil {
				return h, fmt.Errorf("train: epoch %d: %w", epoch, err)
			}
		}
		if ds != nil {
			if stop, err = ds.agreeStop(stop); err != nil {
				return h, fmt.Errorf("train: epoch %d: %w", epoch, err)
			}
		}
		if cfg.OnState != nil {
			at.Done, at.Reason = true, StateEpoch
			if err := cfg.OnState(at); err != nil {
				return h, fmt.Errorf("train: epoch %d: %w", epoch, err)
			}
		}
		if stop {
			h.StoppedEpoch = epoch
			break
		}
	}
	for _, cb := range cfg.Callbacks {
		if tc, ok := cb.(TrainCallback); ok {
			if err := tc.OnTrainEnd(t, h); err != nil {
				return h, fmt.Errorf("train: %w", err)
			}
		}
	}
	return h, nil
}

// resumeAt checks r against this Fit and returns the epoch to start at and
// the state within it.
func resumeAt(r *FitState, steps, epochs int) (int, FitState, error) {
	switch {
	case r.History == nil:
		return 0, FitState{}, errors.New("train: resume: no history")
	case r.History.Epochs() != r.Epoch-1+btoi(r.Done):
		return 0, FitState{}, fmt.Errorf("train: resume: a history of %d epochs at epoch %d", r.History.Epochs(), r.Epoch)
	case r.Steps != steps:
		return 0, FitState{}, fmt.Errorf("train: resume: the state has %d steps per epoch, this Fit %d (other data or batch size)", r.Steps, steps)
	case r.Epoch < 1 || r.Step < 0 || r.Step > steps || (r.Done && r.Step != steps):
		return 0, FitState{}, fmt.Errorf("train: resume: impossible position epoch %d step %d of %d", r.Epoch, r.Step, steps)
	case r.Epoch > epochs:
		return 0, FitState{}, fmt.Errorf("train: resume: the state is in epoch %d, past the last of this Fit (%d)", r.Epoch, epochs)
	}
	if r.Done {
		return r.Epoch + 1, FitState{}, nil
	}
	at := *r
	at.Reason = StateStep
	return r.Epoch, at, nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// stopped reports a stop on ctx to OnState, then returns err.
func (t *Trainer) stopped(cfg FitConfig, at FitState, err error) error {
	if cfg.OnState != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		at.Reason = StateStopped
		if e := cfg.OnState(at); e != nil {
			return fmt.Errorf("%w (and at the stop: %v)", err, e)
		}
	}
	return err
}

// epoch runs one training pass over src in the order idx, from step
// at.Step on (with at's running sums), keeping at up to date. With ds, it
// is one rank's pass of a distributed Fit (see Distributed).
func (t *Trainer) epoch(ctx context.Context, src data.Source, idx []int, at *FitState, cfg FitConfig, ds *distState) (EpochLogs, error) {
	n := len(idx)
	epoch, steps := at.Epoch, at.Steps
	start := time.Now()
	batchOf := func(s int) []int { return idx[s*t.batchSize : min((s+1)*t.batchSize, n)] }
	if ds != nil {
		off := ds.d.Rank * t.batchSize
		batchOf = func(s int) []int { return idx[s*ds.global+off : s*ds.global+off+t.batchSize] }
		n = steps * ds.global
	}
	var pf *prefetcher
	if cfg.Prefetch {
		pf = t.newPrefetcher(src)
		own := batchBuffer{t.x, t.y, t.labels}
		defer func() { t.x, t.y, t.labels = own.x, own.y, own.labels }()
		defer pf.stop() // after the read in flight, if any
		t.task = data.TaskOf(src)
		if at.Step < steps {
			pf.start(ctx, batchOf(at.Step), at.Step%2)
		}
	}
	for s := at.Step; s < steps; s++ {
		if err := ctx.Err(); err != nil && ds == nil {
			return EpochLogs{}, t.stopped(cfg, *at, fmt.Errorf("train: epoch %d, step %d: %w", epoch, s+1, err))
		}
		if cfg.Schedule != nil {
			t.opt.SetLearningRate(cfg.Schedule.At((epoch-1)*steps + s))
		}
		batch := batchOf(s)
		var err error
		if pf != nil {
			if err = pf.wait(); err == nil {
				b := pf.bufs[s%2]
				t.x, t.y, t.labels = b.x, b.y, b.labels
				if s+1 < steps {
					pf.start(ctx, batchOf(s+1), (s+1)%2)
				}
			}
		} else {
			err = t.loadBatch(ctx, src, batch)
		}
		if err != nil {
			return EpochLogs{}, t.stopped(cfg, *at, fmt.Errorf("train: epoch %d, step %d: %w", epoch, s+1, err))
		}
		l, m, err := t.step(len(batch))
		if err != nil {
			return EpochLogs{}, fmt.Errorf("train: epoch %d, step %d: %w", epoch, s+1, err)
		}
		seen := len(batch)
		var stopped []int
		if ds != nil {
			if l, m, seen, stopped, err = ds.reduceStep(l, m, seen); err != nil {
				return EpochLogs{}, fmt.Errorf("train: epoch %d, step %d: %w", epoch, s+1, err)
			}
		}
		if cfg.OnNonFinite == NonFiniteStop && !finite(l) {
			return EpochLogs{}, &DivergedError{Epoch: epoch, Step: s + 1, Steps: steps, Loss: l / float64(seen)}
		}
		at.LossSum += l
		if t.task == data.TaskRegression {
			at.AbsErrorSum += m
		} else {
			at.Correct += int(m)
		}
		at.Seen += seen
		at.Step = s + 1
		if stopped != nil { // every rank stops after this step
			return EpochLogs{}, t.stopped(cfg, *at, ds.stopError(epoch, s+1, steps, stopped))
		}
		if len(cfg.Callbacks) > 0 {
			bl := BatchLogs{Epoch: epoch, Step: s + 1, Steps: steps, Task: t.task,
				Loss: at.LossSum / float64(at.Seen), Seconds: time.Since(start).Seconds()}
			bl.Accuracy, bl.MAE = at.metrics(t.task, at.Seen)
			for _, cb := range cfg.Callbacks {
				cb.OnBatchEnd(bl)
			}
		}
		if cfg.OnState != nil {
			if err := cfg.OnState(*at); err != nil {
				return EpochLogs{}, fmt.Errorf("train: epoch %d, step %d: %w", epoch, s+1, err)
			}
		}
	}
	secs := time.Since(start).Seconds()
	l := EpochLogs{
		Epoch: epoch, Epochs: cfg.Epochs, Steps: steps, Task: data.TaskOf(src),
		Loss:    at.LossSum / float64(n),
		Seconds: secs, SamplesTrained: n, SamplesPerSecond: float64(n) / secs,
	}
	l.Accuracy, l.MAE = at.metrics(l.Task, n)
	return l, nil
}

// metrics returns the epoch's running accuracy (classes) or MAE
// (regression) over its first n samples; the other one is NaN.
func (at *FitState) metrics(task data.Task, n int) (accuracy, mae float64) {
	if task == data.TaskRegression {
		return math.NaN(), at.AbsErrorSum / float64(n)
	}
	return float64(at.Correct) / float64(n), math.NaN()
}

// sampleOrder returns the identity order of n samples, in t.idx, and the
// shuffling stream of seed: what Fit (and FindLR, which follows Fit's
// batches) draw their epochs' orders from.
func (t *Trainer) sampleOrder(n int, seed uint64) ([]int, *rand.Rand) {
	if cap(t.idx) < n {
		t.idx = make([]int, n)
	}
	idx := t.idx[:n]
	for i := range idx {
		idx[i] = i
	}
	return idx, rand.New(rand.NewPCG(seed, 0x5eed5eed))
}

// shuffle is the Fisher–Yates shuffle driven by rng (allocation-free).
func shuffle(rng *rand.Rand, idx []int) {
	for i := len(idx) - 1; i > 0; i-- {
		j := rng.IntN(i + 1)
		idx[i], idx[j] = idx[j], idx[i]
	}
}
