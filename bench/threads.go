package bench

import (
	"context"
	"fmt"
	"runtime"
	"slices"

	"github.com/descent-ml/descent/backend"
	"github.com/descent-ml/descent/data"
	"github.com/descent-ml/descent/model"
	"github.com/descent-ml/descent/train"
)

// ThreadSweepConfig says which thread settings of one engine to time.
type ThreadSweepConfig struct {
	Engine backend.Engine
	// Settings are --threads values: 0 for auto, n ≥ 1 otherwise.
	Settings []int
	// Apply applies one setting to every thread pool of the process and
	// returns the engine's thread count (registry.SetThreads).
	Apply func(e backend.Engine, n int) (int, error)
	// Backoffs, if set, counts the engine's contention backoffs so far
	// (bindings/libdnnl.Backoffs); the sweep records how many fell in each
	// setting's timed epochs.
	Backoffs func() int64
	// Train, Epochs, NewModel, NewOptimizer, BatchSize and Seed are as in
	// EpochConfig. One untimed warm-up epoch per setting comes first.
	Train        data.Source
	Epochs       int
	NewModel     func() (*model.Sequential, error)
	NewOptimizer func() train.Optimizer
	BatchSize    int
	Seed         uint64
}

// ThreadResult is one setting's timings.
type ThreadResult struct {
	Setting    int // the --threads value, 0 for auto
	Threads    int // the engine's thread count under it
	GOMAXPROCS int
	Seconds    []float64 // each timed epoch's training pass
	Loss       []float64
	Backoffs   int64 // contention backoffs during the timed epochs
}

// Median is the median epoch time.
func (r ThreadResult) Median() float64 { return Median(r.Seconds) }

// SettingName is "auto" or the thread count.
func (r ThreadResult) SettingName() string {
	if r.Setting == 0 {
		return "auto"
	}
	return fmt.Sprint(r.Setting)
}

// Median is the median of xs (the mean of the middle two for an even
// count), 0 for none; xs is left as it is.
func Median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// ThreadSweep trains the same network from the same weights once per
// setting, interleaving the settings epoch by epoch (thread settings are
// process-wide, so they cannot run side by side), after one untimed warm-up
// epoch each. It leaves the last setting applied.
func ThreadSweep(ctx context.Context, cfg ThreadSweepConfig) ([]ThreadResult, error) {
	if cfg.Epochs < 1 || len(cfg.Settings) == 0 || cfg.Engine == nil || cfg.Apply == nil {
		return nil, fmt.Errorf("bench: thread sweep needs an engine, Apply, settings and epochs")
	}
	trainers := make([]*train.Trainer, len(cfg.Settings))
	defer closeAll(trainers)
	results := make([]ThreadResult, len(cfg.Settings))
	for i, s := range cfg.Settings {
		var err error
		if trainers[i], err = newTrainer(cfg.Engine, cfg.NewModel, cfg.NewOptimizer, cfg.BatchSize, cfg.Seed); err != nil {
			return nil, err
		}
		results[i].Setting = s
	}
	for ep := -1; ep < cfg.Epochs; ep++ { // epoch -1 is the warm-up
		for i, tr := range trainers {
			n, err := cfg.Apply(cfg.Engine, cfg.Settings[i])
			if err != nil {
				return nil, fmt.Errorf("bench: threads %s: %w", results[i].SettingName(), err)
			}
			var backoffs int64
			if cfg.Backoffs != nil {
				backoffs = cfg.Backoffs()
			}
			h, err := tr.Fit(ctx, cfg.Train, train.FitConfig{Epochs: 1, Seed: cfg.Seed + uint64(ep+1)})
			if err != nil {
				return nil, fmt.Errorf("bench: threads %s: %w", results[i].SettingName(), err)
			}
			results[i].Threads, results[i].GOMAXPROCS = n, runtime.GOMAXPROCS(0)
			if ep >= 0 {
				results[i].Seconds = append(results[i].Seconds, h.EpochSeconds[0])
				results[i].Loss = append(results[i].Loss, h.Loss[0])
				if cfg.Backoffs != nil {
					results[i].Backoffs += cfg.Backoffs() - backoffs
				}
			}
		}
	}
	return results, nil
}
