package bench

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/descent-ml/descent/backend"
	"github.com/descent-ml/descent/data"
	"github.com/descent-ml/descent/model"
	"github.com/descent-ml/descent/train"
)

// EpochConfig says what to time.
type EpochConfig struct {
	// Engines are the backends to compare; the first is the baseline of the
	// ratios unless Baseline names another.
	Engines  []backend.Engine
	Baseline string
	// Train is the training data of one epoch (54000 MNIST images in the
	// tutorial).
	Train data.Source
	// Epochs per engine, run interleaved: epoch 1 on every engine, then
	// epoch 2 on every engine, …
	Epochs int
	// NewModel builds the network (the same seed for every engine, so that
	// their losses can be compared); NewOptimizer the optimizer.
	NewModel     func() (*model.Sequential, error)
	NewOptimizer func() train.Optimizer
	BatchSize    int
	Seed         uint64
}

// EngineResult is one engine's timings.
type EngineResult struct {
	Engine  string
	Threads int
	// Seconds holds each epoch's training-pass wall time.
	Seconds []float64
	// Loss holds each epoch's mean training loss.
	Loss []float64
}

// Median is the median epoch time.
func (r EngineResult) Median() float64 { return Median(r.Seconds) }

// newTrainer builds the benchmark's network with the weights drawn from seed
// (the same for every engine or setting, so their losses can be compared)
// and a trainer for it on e.
func newTrainer(e backend.Engine, newModel func() (*model.Sequential, error), newOpt func() train.Optimizer, batchSize int, seed uint64) (*train.Trainer, error) {
	m, err := newModel()
	if err != nil {
		return nil, err
	}
	m.Init(rand.New(rand.NewPCG(seed, 0)))
	return train.NewTrainer(m, e, newOpt(), train.CategoricalCrossentropyLoss{}, batchSize)
}

// closeAll closes the trainers made so far.
func closeAll(trainers []*train.Trainer) {
	for _, tr := range trainers {
		if tr != nil {
			tr.Close()
		}
	}
}

// Epochs trains the same network from the same initial weights on each
// engine for cfg.Epochs epochs, interleaving the engines epoch by epoch.
func Epochs(ctx context.Context, cfg EpochConfig) ([]EngineResult, error) {
	if cfg.Epochs < 1 || len(cfg.Engines) == 0 {
		return nil, fmt.Errorf("bench: need at least one engine and one epoch")
	}
	trainers := make([]*train.Trainer, len(cfg.Engines))
	defer closeAll(trainers)
	results := make([]EngineResult, len(cfg.Engines))
	for i, e := range cfg.Engines {
		var err error
		if trainers[i], err = newTrainer(e, cfg.NewModel, cfg.NewOptimizer, cfg.BatchSize, cfg.Seed); err != nil {
			return nil, err
		}
		results[i] = EngineResult{Engine: e.Name(), Threads: e.Threads()}
	}
	for ep := 0; ep < cfg.Epochs; ep++ {
		for i, tr := range trainers {
			// One epoch per call, reshuffled with the same seed on every
			// engine, so the engines see the same batches.
			h, err := tr.Fit(ctx, cfg.Train, train.FitConfig{Epochs: 1, Seed: cfg.Seed + uint64(ep)})
			if err != nil {
				return nil, fmt.Errorf("bench: %s: %w", results[i].Engine, err)
			}
			results[i].Seconds = append(results[i].Seconds, h.EpochSeconds[0])
			results[i].Loss = append(results[i].Loss, h.Loss[0])
		}
	}
	return results, nil
}
