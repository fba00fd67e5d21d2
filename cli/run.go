package cli

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/descent-ml/descent/backend"
	"github.com/descent-ml/descent/model"
	"github.com/descent-ml/descent/report"
	"github.com/descent-ml/descent/train"
)

// fitted is a network trained by fitNetwork and how it did on the test set.
type fitted struct {
	model   *model.Sequential
	history *train.History
	// test holds every metric measured on the test set after training
	// (test.Classes the predicted class of every test sample); testLoss
	// and testAccuracy are its loss and accuracy (NaN where there is no
	// test result), pred its Classes.
	test                   train.Evaluation
	testLoss, testAccuracy float64
	rocAUC                 float64 // a binary task's test ROC AUC, else NaN
	pred                   []int
	// seconds is the wall time of training, validation and test.
	seconds float64
	// diverged is set when training stopped on a non-finite loss (--on-nan
	// stop): history then holds the completed epochs, and there is no test
	// result.
	diverged *train.DivergedError
	// interrupted is set when a signal stopped the run before its test
	// pass: history holds the completed epochs, and there is no test result.
	interrupted bool
	// rangeTest is the range test that chose the learning rate (--lr
	// auto), or nil.
	rangeTest *report.RangeTest
	// distributed is a data-parallel run's ranks and final weights' hashes.
	distributed *distInfo
}

// historyOrNil is f's history, nil when f is.
func (f *fitted) historyOrNil() *train.History {
	if f == nil {
		return nil
	}
	return f.history
}

// openEngine opens cfg's backend with --threads auto sized for cfg's step
// (stepWork) and this process's share of the CPUs (cfg.dist.cpus), prints its notice (if any) to stderr and records the backend
// and thread count actually used in cfg.
func openEngine(env Env, cfg *NetConfig) (backend.Engine, error) {
	eng, notice, err := openBackend(cfg.Backend, cfg.Precision, cfg.Threads, cfg.stepWork(), cfg.dist.cpus())
	if err != nil {
		return nil, err
	}
	if notice != "" {
		fmt.Fprintln(env.Stderr, notice)
	}
	cfg.Backend, cfg.Threads = eng.Name(), eng.Threads()
	return eng, nil
}

// fitNetwork builds the network cfg describes with weights drawn from
// cfg.Seed, trains it on sets.train (validating on sets.val after every
// epoch, when there is one) with the callbacks, then evaluates and predicts
// sets.tst. The same cfg gives the same initial weights and sample order,
// whatever else the caller runs before. When training stops early (Ctrl-C)
// it returns the error together with the model and the history of the
// completed epochs (history may be nil if Fit failed before starting); when
// it stops on a non-finite loss (cfg.OnNaN "stop"), f.diverged says where
// and there is no test result.
func fitNetwork(ctx context.Context, eng backend.Engine, cfg NetConfig, sets dataSets, callbacks ...train.Callback) (*fitted, error) {
	return fitNetworkWith(ctx, eng, cfg, sets, nil, callbacks...)
}

// fitNetworkWith is fitNetwork, resuming from and writing checkpoints as k
// says (nil: neither).
func fitNetworkWith(ctx context.Context, eng backend.Engine, cfg NetConfig, sets dataSets, k *ckptRun, callbacks ...train.Callback) (*fitted, error) {
	start := time.Now()
	m, err := newNetwork(cfg, sets.task)
	if err != nil {
		return nil, err
	}
	m.Init(rand.New(rand.NewPCG(cfg.Seed, 0)))
	// What the sources do to the raw features before the first layer, and
	// what the outputs mean: recorded in the model file, so that evaluate,
	// predict, serve and embedding programs apply the same to raw inputs.
	m.Preprocessing = sets.pre
	m.Labels = sets.outputLabels(m)
	opt, err := newOptimizer(cfg.Optimizer, cfg.LR, cfg.Momentum)
	if err != nil {
		return nil, err
	}
	loss, opts, err := applyRegularization(cfg.Regularization, m, opt, taskLoss(sets.task))
	if err != nil {
		return nil, err
	}
	batch, dropoutSeed := cfg.BatchSize, cfg.Seed
	var dist *train.Distributed
	if d := cfg.dist; d != nil {
		var h train.GradientHook
		shapes := []runShape{{"parameter count", uint64(len(m.Params))}, {"training samples", uint64(sets.train.Len())},
			{"validation samples", uint64(lenOf(sets.val))}, {"--batch-size", uint64(cfg.BatchSize)},
			{"--epochs", uint64(cfg.Epochs)}, {"--seed", cfg.Seed}}
		if h, dist, err = d.prepare(m.Params, shapes); err != nil {
			return nil, err
		}
		// The allreduce first, so that clipping sees the global gradient.
		opts = append([]train.TrainerOption{train.WithGradientHooks(h)}, opts...)
		batch, dropoutSeed = d.shard(batch), d.dropoutSeed(dropoutSeed)
	}
	opts = append(opts, train.WithDropoutSeed(dropoutSeed))
	tr, err := train.NewTrainer(m, eng, opt, loss, batch, opts...)
	if err != nil {
		return nil, err
	}
	defer tr.Close()
	fit := train.FitConfig{Epochs: cfg.Epochs, Seed: cfg.Seed, Callbacks: callbacks, Prefetch: sets.stream, Distributed: dist}
	if fit.OnNonFinite, err = train.ParseNonFinitePolicy(cmp.Or(cfg.OnNaN, "stop")); err != nil {
		return nil, usagef("--on-nan: %v", err)
	}
	if sets.val != nil {
		fit.Validation = sets.val
	}
	if err := cfg.callbackConfig.setup(&fit, cfg, sets); err != nil {
		return nil, err
	}
	if err := k.setup(tr, &fit, cfg.dist == nil || cfg.dist.rank == 0); err != nil {
		return nil, err
	}
	if d := cfg.dist; d != nil && k != nil && k.resume != nil {
		// Every rank read --resume itself: refuse to go on from different
		// weights (a folder that is not the same on every machine).
		if err := d.sameWeights(m.Params); err != nil {
			return nil, fmt.Errorf("--resume %s: %w", k.from, err)
		}
	}
	hist, err := tr.Fit(ctx, sets.train, fit)
	f := &fitted{model: m, history: hist, rocAUC: math.NaN()}
	if d := cfg.dist; d != nil && agreed(err) && hist != nil {
		// Every rank left Fit together: gather their final weights.
		var gerr error
		if f.distributed, gerr = d.gatherHashes(m.Params); gerr != nil {
			return f, gerr
		}
	}
	if errors.As(err, &f.diverged) {
		f.testLoss, f.testAccuracy = math.NaN(), math.NaN()
		f.seconds = time.Since(start).Seconds()
	}
	if err != nil {
		// Interrupted: the epochs completed so far are returned with the
		// error, for the caller to keep.
		return f, err
	}
	if f.test, err = tr.Measure(ctx, sets.tst, true); err != nil {
		return f, err // the trained model and its history are kept
	}
	f.testLoss, f.testAccuracy, f.pred = f.test.Loss, f.test.Accuracy, f.test.Classes
	measureAUC(sets.task, f, sets.testLabels)
	f.seconds = time.Since(start).Seconds()
	return f, nil
}
