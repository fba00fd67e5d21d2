package train

import (
	"context"
	"errors"
	"fmt"
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
	// OnNonFinite says what a non-finite training or validation loss does:
	// stop (the default, NonFiniteStop: Fit returns a *DivergedError) or
	// nothing (NonFiniteContinue).
	OnNonFinite NonFinitePolicy
}

// Fit trains for cfg.Epochs epochs over src in batches of the trainer's batch
// size (the last, partial batch is kept), reshuffling every epoch, and
// returns the history. It stops between two steps when ctx is cancelled and
// then returns the history so far together with an error wrapping ctx.Err().
// Unless cfg.OnNonFinite is NonFiniteContinue, it stops at the first step
// whose loss is not finite (and after an epoch whose validation loss is not)
// and returns the history of the completed epochs with a *DivergedError.
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
	if cfg.OnNonFinite != NonFiniteStop && cfg.OnNonFinite != NonFiniteContinue {
		return nil, fmt.Errorf("train: unknown OnNonFinite %v", cfg.OnNonFinite)
	}
	n := src.Len()
	if n == 0 {
		return nil, errors.New("train: training data is empty")
	}
	if cap(t.idx) < n {
		t.idx = make([]int, n)
	}
	idx := t.idx[:n]
	for i := range idx {
		idx[i] = i
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x5eed5eed))
	steps := (n + t.batchSize - 1) / t.batchSize
	h := &History{}
	for epoch := 1; epoch <= cfg.Epochs; epoch++ {
		if !cfg.NoShuffle {
			shuffle(rng, idx)
		}
		for _, cb := range cfg.Callbacks {
			cb.OnEpochBegin(epoch, cfg.Epochs, steps)
		}
		logs, err := t.epoch(ctx, src, idx, epoch, cfg)
		if err != nil {
			return h, err
		}
		if cfg.Validation != nil {
			start := time.Now()
			logs.ValLoss, logs.ValAccuracy, _, err = t.evaluateLocked(ctx, cfg.Validation, false)
			if err != nil {
				return h, fmt.Errorf("train: epoch %d: validation: %w", epoch, err)
			}
			if cfg.OnNonFinite == NonFiniteStop && !finite(logs.ValLoss) {
				return h, &DivergedError{Epoch: epoch, Step: steps, Steps: steps, Validation: true, Loss: logs.ValLoss}
			}
			logs.HasValidation = true
			logs.ValidationSecs = time.Since(start).Seconds()
		}
		h.add(logs)
		for _, cb := range cfg.Callbacks {
			if err := cb.OnEpochEnd(logs); err != nil {
				return h, fmt.Errorf("train: epoch %d: %w", epoch, err)
			}
		}
	}
	return h, nil
}

// epoch runs one training pass over src in the order idx.
func (t *Trainer) epoch(ctx context.Context, src data.Source, idx []int, epoch int, cfg FitConfig) (EpochLogs, error) {
	n := len(idx)
	steps := (n + t.batchSize - 1) / t.batchSize
	var lossSum float64
	var correct, seen int
	start := time.Now()
	for s := 0; s < steps; s++ {
		if err := ctx.Err(); err != nil {
			return EpochLogs{}, fmt.Errorf("train: epoch %d, step %d: %w", epoch, s+1, err)
		}
		batch := idx[s*t.batchSize : min((s+1)*t.batchSize, n)]
		t.loadBatch(src, batch)
		l, c, err := t.step(len(batch))
		if err != nil {
			return EpochLogs{}, fmt.Errorf("train: epoch %d, step %d: %w", epoch, s+1, err)
		}
		if cfg.OnNonFinite == NonFiniteStop && !finite(l) {
			return EpochLogs{}, &DivergedError{Epoch: epoch, Step: s + 1, Steps: steps, Loss: l / float64(len(batch))}
		}
		lossSum += l
		correct += c
		seen += len(batch)
		if len(cfg.Callbacks) > 0 {
			bl := BatchLogs{Epoch: epoch, Step: s + 1, Steps: steps,
				Loss: lossSum / float64(seen), Accuracy: float64(correct) / float64(seen),
				Seconds: time.Since(start).Seconds()}
			for _, cb := range cfg.Callbacks {
				cb.OnBatchEnd(bl)
			}
		}
	}
	secs := time.Since(start).Seconds()
	return EpochLogs{
		Epoch: epoch, Epochs: cfg.Epochs, Steps: steps,
		Loss: lossSum / float64(n), Accuracy: float64(correct) / float64(n),
		Seconds: secs, SamplesTrained: n, SamplesPerSecond: float64(n) / secs,
	}, nil
}

// shuffle is the Fisher–Yates shuffle driven by rng (allocation-free).
func shuffle(rng *rand.Rand, idx []int) {
	for i := len(idx) - 1; i > 0; i-- {
		j := rng.IntN(i + 1)
		idx[i], idx[j] = idx[j], idx[i]
	}
}
