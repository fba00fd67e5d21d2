package cli

import (
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/descent-ml/descent/data"
	"github.com/descent-ml/descent/model"
	"github.com/descent-ml/descent/report"
	"github.com/descent-ml/descent/train"
)

// trainFlags are the flags of descent train; sweep and compare reuse them.
func trainFlags() []ucli.Flag {
	return append(append(dataFlags(),
		&ucli.StringFlag{Name: "hidden", Value: "128,128", Usage: "hidden layer widths, comma-separated"},
		&ucli.StringFlag{Name: "activation", Value: "sigmoid", Usage: "hidden activation: linear, sigmoid, tanh, relu"},
		&ucli.StringFlag{Name: "optimizer", Value: "adam", Usage: "sgd, momentum, nesterov, rmsprop, adam, adamw or nadam"},
		&ucli.StringFlag{Name: "lr", Usage: lrUsage, DefaultText: "Keras's default for the optimizer: 0.01 for SGD, 0.001 otherwise"},
		&ucli.Float64Flag{Name: "momentum", Usage: "momentum", DefaultText: "0.9 for momentum and nesterov, 0 otherwise"},
		&ucli.IntFlag{Name: "epochs", Value: 10, Usage: "passes over the training data"},
		&ucli.IntFlag{Name: "batch-size", Value: 128, Usage: "samples per step"},
		&ucli.Float64Flag{Name: "val-split", Value: 0.1, Usage: "fraction of the training images held out for validation, split as scikit-learn's train_test_split(random_state=42); 0 for none"},
		&ucli.Uint64Flag{Name: "seed", Value: 1, Usage: "seed of the weight initialisation and the shuffling"},
		&ucli.StringFlag{Name: "backend", Value: "auto", Usage: "compute backend: auto, dnnl, openblas, gonum"},
		&ucli.StringFlag{Name: "threads", Value: "auto", Usage: threadsUsage()},
		&ucli.StringFlag{Name: "precision", Value: "f32", Usage: "dense-layer GEMM precision: f32, or bf16 (dnnl backend, a CPU with AVX512-BF16 or AMX; weights, optimizer state, loss and softmax stay f32)"},
		&ucli.StringFlag{Name: "history", Usage: "write the history, test result and configuration as JSON to this file"},
		&ucli.StringFlag{Name: "save", Usage: "save the trained model to this file (atomically)"},
		&ucli.BoolFlag{Name: "quiet", Usage: "print only the final results"},
		&ucli.StringFlag{Name: "on-nan", Value: "stop", Usage: "what a non-finite (NaN, Inf) loss does: stop (exit status 3, outputs so far written) or continue (train on and report NaN, as Keras does)"},
	), append(append(regularizeFlags(), callbackFlags()...), modelFlags()...)...)
}

func trainCommand(env Env) *ucli.Command {
	return &ucli.Command{
		Name:  "train",
		Usage: "train a network on MNIST (or Fashion-MNIST) and report on the test set",
		Description: "Defaults are the tutorial's: 784→128 sigmoid→128 sigmoid→10 softmax, " +
			"categorical cross-entropy, Adam at lr 0.001, batch 128, 10 epochs, 10% validation.",
		Flags: append(append(trainFlags(),
			&ucli.StringFlag{Name: "out", Usage: "also write a run folder: history (JSON, CSV), the validation curves (PNG, SVG), classification report, confusion matrix and report.html, as descent compare does"},
			&ucli.StringFlag{Name: "distributed", Value: "auto", Usage: distributedUsage}),
			checkpointFlags()...),
		Action: func(c *ucli.Context) error {
			cfg, err := readNetConfig(c)
			if err != nil {
				return err
			}
			env := env
			d, err := startDistributed(c, &env, &cfg)
			if err == nil {
				err = runTrain(c, env, cfg)
			}
			return d.finish(env, err)
		},
	}
}

// readNetConfig reads and checks the training flags.
func readNetConfig(c *ucli.Context) (NetConfig, error) {
	return readNetConfigFor(c, c.String("optimizer"))
}

// readNetConfigFor reads and checks the training flags for the named
// optimizer (descent compare has no --optimizer flag).
func readNetConfigFor(c *ucli.Context, optimizer string) (NetConfig, error) {
	cfg := NetConfig{
		Dataset: c.String("dataset"), Input: 28 * 28, Classes: 10,
		Activation: c.String("activation"), Optimizer: optimizer,
		BatchSize: c.Int("batch-size"), Epochs: c.Int("epochs"), Seed: c.Uint64("seed"),
		ValSplit: c.Float64("val-split"), Backend: c.String("backend"), OnNaN: c.String("on-nan"),
	}
	if c.Args().Present() {
		return cfg, usagef("unexpected argument %q", c.Args().First())
	}
	var err error
	if cfg.data, err = readDataOptions(c, cfg.ValSplit); err != nil {
		return cfg, err
	}
	cfg.Data, cfg.Normalize = cfg.data.path, cfg.data.normalize
	if cfg.Hidden, err = parseInts("--hidden", c.String("hidden")); err != nil {
		return cfg, err
	}
	if cfg.Threads, err = parseThreads(c.String("threads")); err != nil {
		return cfg, err
	}
	switch p := c.String("precision"); p {
	case "f32", "":
	case "bf16":
		cfg.Precision = p
	default:
		return cfg, usagef("--precision: unknown precision %q (want f32 or bf16)", p)
	}
	if err := readModelFlags(c, &cfg); err != nil {
		return cfg, err
	}
	act, err := model.ParseActivation(cfg.Activation)
	if err != nil || act == model.Softmax {
		return cfg, usagef("--activation: %q is not a hidden activation (want linear, sigmoid, tanh or relu)", cfg.Activation)
	}
	cfg.LR, cfg.Momentum = train.DefaultLearningRate(cfg.Optimizer), train.DefaultMomentum(cfg.Optimizer)
	if c.IsSet("lr") {
		lr, auto, err := parseLR("--lr", c.String("lr"))
		if err != nil {
			return cfg, err
		}
		if !auto { // auto: the default until the range test has run
			cfg.LR = lr
		}
		cfg.LRAuto = auto
	}
	if c.IsSet("momentum") {
		cfg.Momentum = c.Float64("momentum")
	}
	if err := checkLR("--lr", cfg.LR); err != nil {
		return cfg, err
	}
	switch {
	case !(cfg.Momentum >= 0 && cfg.Momentum < 1):
		return cfg, usagef("--momentum: must be in [0, 1), got %v", cfg.Momentum)
	case cfg.Epochs < 1:
		return cfg, usagef("--epochs: must be ≥ 1, got %d", cfg.Epochs)
	case cfg.BatchSize < 1:
		return cfg, usagef("--batch-size: must be ≥ 1, got %d", cfg.BatchSize)
	case !(cfg.ValSplit >= 0 && cfg.ValSplit < 1):
		return cfg, usagef("--val-split: must be in [0, 1), got %v", cfg.ValSplit)
	}
	if _, err := newOptimizer(cfg.Optimizer, cfg.LR, cfg.Momentum); err != nil {
		return cfg, err
	}
	if _, err := train.ParseNonFinitePolicy(cfg.OnNaN); err != nil {
		return cfg, usagef("--on-nan: %q: want stop or continue", cfg.OnNaN)
	}
	if err := readRegularizeFlags(c, &cfg); err != nil {
		return cfg, err
	}
	if err := readCallbackFlags(c, &cfg); err != nil {
		return cfg, err
	}
	return cfg, checkTrainingSize(cfg)
}

// mnist locates (unless dir is given) and loads MNIST and splits off the
// validation set, as train does.
func mnist(dir string, valSplit float64) (trainSet, valSet, testSet *data.Dataset, err error) {
	if dir == "" {
		if dir, err = data.LocateMNIST(); err != nil {
			return nil, nil, nil, err
		}
	}
	full, test, err := data.LoadMNIST(dir)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("mnist: %w", err)
	}
	trIdx, valIdx, err := data.TrainTestSplit(full.Len(), valSplit, 42)
	if err != nil {
		return nil, nil, nil, usagef("--val-split: %v", err)
	}
	trainSet, valSet, err = full.SplitInPlace(trIdx, valIdx) // no second copy of the images
	if err != nil {
		return nil, nil, nil, err
	}
	return trainSet, valSet, test, nil
}

// runResult is what one training run produced; it is the history file's content.
//
// Metrics go through report's JSON types, which write a non-finite value
// (a diverged run's NaN loss) as null instead of failing after training.
type runResult struct {
	History      report.History `json:"history"`
	EpochSeconds report.Series  `json:"epoch_seconds"`
	Test         testScores     `json:"test"`
	Config       NetConfig      `json:"config"`
	// Report is the scikit-learn-style classification report on the test set.
	Report string `json:"classification_report"`
	// Diverged says where training stopped on a non-finite loss.
	Diverged *report.Divergence `json:"diverged,omitempty"`
	// Distributed records a data-parallel run's ranks and final weights
	// (absent for a single process).
	Distributed *distInfo `json:"distributed,omitempty"`
}

func runTrain(c *ucli.Context, env Env, cfg NetConfig) error {
	if err := checkOutputs(c); err != nil { // before training, not after
		return err
	}
	k, err := readCheckpointFlags(c)
	if err != nil {
		return err
	}
	sets, err := loadDataSets(c.Context, cfg.data)
	if err != nil {
		return err
	}
	if n := c.Int("train-limit"); n > 0 {
		sets.train = data.Head(sets.train, n)
	}
	if err := cfg.fit(sets); err != nil {
		return err
	}
	if err := printModelSummary(c, env, cfg, sets); err != nil {
		return err
	}
	eng, err := openEngine(env, &cfg)
	if err != nil {
		return err
	}
	// --lr auto before the checkpoint's identity, which holds the rate.
	rt, err := cfg.dist.autoLR(c, env, eng, &cfg, sets)
	if err != nil {
		return err
	}
	if k != nil {
		if err := k.identify(c.Context, cfg, sets, c.Int("train-limit")); err != nil {
			return err
		}
	}
	quiet := c.Bool("quiet")
	var callbacks []train.Callback
	if !quiet {
		for _, n := range sets.notes {
			fmt.Fprintf(env.Stdout, "descent: %s\n", n)
		}
		fmt.Fprintf(env.Stdout, "descent: %d training, %d validation, %d test samples; backend %s, %d thread(s); %s lr %g\n",
			sets.train.Len(), lenOf(sets.val), sets.tst.Len(), cfg.Backend, cfg.Threads, cfg.Optimizer, cfg.LR)
		if d := cfg.dist; d != nil {
			fmt.Fprintf(env.Stdout, "descent: data-parallel over %d MPI ranks: global batch %d = %d × %d; %d steps per epoch (the last %d sample(s) of each shuffled epoch dropped)\n",
				d.size, cfg.BatchSize, d.size, d.shard(cfg.BatchSize), sets.train.Len()/cfg.BatchSize, sets.train.Len()%cfg.BatchSize)
		}
		if p := newProgress(env, cfg); p != nil {
			callbacks = append(callbacks, p)
		}
	}
	f, err := fitNetworkWith(c.Context, eng, cfg, sets, k, callbacks...)
	if line := stoppedLine(f.historyOrNil()); line != "" && !quiet {
		fmt.Fprintln(env.Stdout, line)
	}
	if f != nil {
		f.rangeTest = rt
	}
	if f != nil && f.diverged != nil {
		return keepDiverged(c, env, cfg, f, sets, err)
	}
	if err != nil {
		saveInterrupted(c, env, f)
		k.interrupted(c, env)
		return keepPartialHistory(c, env, cfg, f, sets, err)
	}
	hist := f.history
	res := runResult{History: historyOf(hist), EpochSeconds: report.Series(hist.EpochSeconds), Config: cfg, Distributed: f.distributed}
	res.Test = scoresOf(sets.task, f)
	res.Report = testReport(sets, f)
	fmt.Fprintf(env.Stdout, "%s\n\n%s", testLine(sets.task, f), res.Report)
	return writeTrainOutputs(c, env, cfg, f, sets, res)
}

func lenOf(d data.Source) int {
	if d == nil {
		return 0
	}
	return d.Len()
}

// writeTrainFolder writes the --out folder of descent train: the same files
// as descent compare writes for one run, so descent report can rebuild it.
func writeTrainFolder(c *ucli.Context, env Env, cfg NetConfig, f *fitted, sets dataSets) error {
	now := time.Now()
	dir, err := outDir(c, now)
	if err != nil {
		return err
	}
	exp := &report.Experiment{Kind: "train", Command: commandLine(c), Dataset: cfg.Dataset, Created: now.Format(time.RFC3339),
		Title: fmt.Sprintf("%s at lr %g on %s", optimizerTitle(cfg.Optimizer), cfg.LR, datasetTitle(cfg.Dataset))}
	if exp.Config, err = json.Marshal(cfg); err != nil {
		return err
	}
	r, err := newRun(plannedRun{name: optimizerTitle(cfg.Optimizer), dir: cfg.Optimizer, cfg: cfg}, f, sets)
	if err != nil {
		return err
	}
	exp.Runs = []*report.Run{r}
	if f.rangeTest != nil {
		exp.RangeTests = []*report.RangeTest{f.rangeTest}
	}
	files, err := report.RunFiles(r)
	if err != nil {
		return err
	}
	page, err := report.PageFiles(exp)
	if err != nil {
		return err
	}
	if err := writeFiles(dir, append(files, page...)); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "\nreport: %s\n", filepath.Join(dir, report.PageFile))
	return nil
}

// keepPartialHistory writes --history and --out for a run that stopped
// early (Ctrl-C, SIGTERM) with the epochs it completed and no test result,
// so an interrupted run loses nothing it finished, and returns the run's
// error, saying what was written.
func keepPartialHistory(c *ucli.Context, env Env, cfg NetConfig, f *fitted, sets dataSets, runErr error) error {
	if f == nil || f.history == nil || f.history.Epochs() == 0 {
		return runErr
	}
	f.interrupted = true
	f.testLoss, f.testAccuracy = math.NaN(), math.NaN() // written as null: there is no test result
	res := runResult{History: historyOf(f.history), EpochSeconds: report.Series(f.history.EpochSeconds), Config: cfg,
		Report: testReport(sets, f), Distributed: f.distributed}
	res.Test = scoresOf(sets.task, f)
	written, notes := writePartialOutputs(c, env, cfg, f, sets, res)
	msg := ""
	if len(written) > 0 {
		msg = fmt.Sprintf("the %d completed epoch(s) are in %s", f.history.Epochs(), strings.Join(written, " and "))
	}
	if len(notes) > 0 {
		if msg != "" {
			msg += "; "
		}
		msg += strings.Join(notes, "; ")
	}
	if msg == "" {
		return runErr
	}
	return fmt.Errorf("%w (%s)", runErr, msg)
}
