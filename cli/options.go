package cli

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"github.com/descent-ml/descent/backend"
	"github.com/descent-ml/descent/backend/registry"
	"github.com/descent-ml/descent/bindings/libdnnl"
	"github.com/descent-ml/descent/data"
	"github.com/descent-ml/descent/model"
	"github.com/descent-ml/descent/train"
)

// NetConfig describes a network and how to train it: what --dataset,
// --hidden, --activation, --optimizer, --lr, --momentum and --batch-size
// say. It is recorded in the history file.
type NetConfig struct {
	Dataset string `json:"dataset"`
	// Data is --data (a user's file or folder), "" for the built-in data
	// set located automatically; Task what the network learns.
	Data       string  `json:"data,omitempty"`
	Task       string  `json:"task"`
	Normalize  string  `json:"normalize,omitempty"`
	Input      int     `json:"input"`
	Hidden     []int   `json:"hidden"`
	Activation string  `json:"activation"`
	Classes    int     `json:"classes"`
	Optimizer  string  `json:"optimizer"`
	LR         float64 `json:"lr"`
	Momentum   float64 `json:"momentum"`
	BatchSize  int     `json:"batch_size"`
	Epochs     int     `json:"epochs"`
	Seed       uint64  `json:"seed"`
	ValSplit   float64 `json:"val_split"`
	Backend    string  `json:"backend"`
	// Precision is --precision: "bf16", or "" for f32 (the default).
	Precision string `json:"precision,omitempty"`
	Threads   int    `json:"threads"`
	// OnNaN is --on-nan: what a non-finite loss does, "stop" or "continue".
	OnNaN string `json:"on_nan"`
	// Regularization is what --weight-decay, --clipnorm, --clipvalue,
	// --global-clipnorm and --label-smoothing say (flags_regularize.go).
	Regularization
	// The callbacks and the schedule (cli/flags_callbacks.go), recorded
	// when set.
	callbackConfig
	// Dropout is --dropout: the rate after every hidden layer, 0 for none.
	Dropout float64 `json:"dropout,omitempty"`
	// LRAuto says LR is the range test's suggestion (--lr auto).
	LRAuto bool `json:"lr_auto,omitempty"`

	data dataOptions // what the data flags say (not recorded: Data, Task and Normalize are)
	// dist is this process's place in a data-parallel run (--distributed),
	// nil for a single process.
	dist *distRun
}

// fit completes cfg for the data it trains on: the input and output sizes
// and the task, and checks that the network fits in memory and the batch
// in the data.
func (cfg *NetConfig) fit(sets dataSets) error {
	cfg.Input, cfg.Task, cfg.Dataset = sets.train.Features(), sets.task.String(), sets.info.name
	cfg.Classes = sets.train.Classes()
	if sets.task == data.TaskRegression {
		cfg.Classes = sets.train.Targets()
	}
	if cfg.Normalize == "" {
		cfg.Normalize = sets.pre.Kind
	}
	if err := checkTrainingSize(*cfg); err != nil {
		return err
	}
	return checkBatchFits(cfg.BatchSize, sets.train.Len())
}

// newOptimizer builds the named optimizer (train.NewOptimizerByName); an
// unknown name is a usage error.
func newOptimizer(name string, lr, momentum float64) (train.Optimizer, error) {
	if !slices.Contains(train.OptimizerNames(), name) {
		return nil, usagef("--optimizer: unknown optimizer %q (want one of: %s)", name, strings.Join(train.OptimizerNames(), ", "))
	}
	return train.NewOptimizerByName(name, lr, momentum)
}

// newModel builds input → hidden… (activation) → the task's output layer:
// outputs softmax units for classes, one sigmoid unit for a binary task,
// outputs linear units for a regression.
func newModel(input int, hidden []int, act model.Activation, outputs int, task data.Task) (*model.Sequential, error) {
	var layers []model.Layer
	for _, h := range hidden {
		layers = append(layers, model.Dense(h, act))
	}
	switch task {
	case data.TaskBinary:
		layers = append(layers, model.Dense(1, model.Sigmoid))
	case data.TaskRegression:
		layers = append(layers, model.Dense(outputs, model.Linear))
	default:
		layers = append(layers, model.Dense(outputs, model.Softmax))
	}
	return model.NewSequential(input, layers...)
}

// taskLoss is the task's loss, as Keras users pair them: categorical
// cross-entropy for classes, binary cross-entropy for one sigmoid output,
// mean squared error for a regression.
func taskLoss(task data.Task) train.Loss {
	switch task {
	case data.TaskBinary:
		return train.BinaryCrossentropyLoss{}
	case data.TaskRegression:
		return train.MeanSquaredErrorLoss{}
	}
	return train.CategoricalCrossentropyLoss{}
}

// parseInts parses "128,128" (an empty string is an empty list).
func parseInts(flag, s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		v, err := strconv.Atoi(f)
		if err != nil || v < 1 {
			return nil, usagef("%s: %q is not a positive integer", flag, f)
		}
		out = append(out, v)
	}
	return out, nil
}

// parseFloats parses "100,1,0.1" into finite numbers.
func parseFloats(flag, s string) ([]float64, error) {
	var out []float64
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		v, err := strconv.ParseFloat(f, 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, usagef("%s: %q is not a finite number", flag, f)
		}
		out = append(out, v)
	}
	return out, nil
}

// parseThreads reads --threads: "auto" or a positive integer up to
// maxThreads.
func parseThreads(s string) (int, error) {
	if s == "auto" || s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return 0, usagef("--threads: %q is not a positive integer or auto", s)
	}
	if n > maxThreads() {
		return 0, usagef("--threads: %d is more than 4 per CPU (at most %d on this machine's %d CPUs)", n, maxThreads(), runtime.NumCPU())
	}
	return n, nil
}

// openBackend opens the named backend and applies the thread setting
// (0 = auto) to every thread pool in the process with
// registry.SetThreadsOn: --threads N gives oneDNN's OpenMP team, OpenBLAS,
// gonum's workers and GOMAXPROCS all N; auto gives the backend
// registry.AutoThreads for the training step work (the zero Work where
// there is none): for dnnl one thread per 2 GFLOP of a step's GEMMs, up to
// NumCPU, so one for the tutorial network, whose small GEMMs do not pay
// for a second core on this class of 2-core machine, and where two pools
// fighting for two cores is the cliff PyTorch falls off; one for openblas;
// NumCPU for gonum (see bench/RESULTS.md). The unused native pools get one
// thread and GOMAXPROCS Go's default, NumCPU.
// GOMAXPROCS is set here, by the program, not by the library. It returns a
// notice to print when auto fell back from a native backend.
//
// precision is --precision ("" or "f32", "bf16"): bf16 on a backend other
// than dnnl is a usage error; on a CPU without bf16 an ordinary one.
//
// cpus is the number of CPUs this process may use (cpuShare): auto sizes
// the pool and GOMAXPROCS for them.
func openBackend(name, precision string, threads int, work registry.Work, cpus int) (backend.Engine, string, error) {
	prec, err := libdnnl.ParsePrecision(precision)
	if err != nil {
		return nil, "", usagef("--precision: %v", err)
	}
	e, notice, err := registry.Open(name, registry.WithPrecision(prec))
	if errors.Is(err, registry.ErrPrecision) {
		return nil, "", usagef("--precision %s: %v", prec, err)
	}
	if err != nil && prec != libdnnl.F32 {
		return nil, "", fmt.Errorf("--precision %s: %w", prec, err)
	}
	if err != nil {
		return nil, "", usagef("--backend: %v", err)
	}
	if _, err := registry.SetThreadsOn(e, threads, work, cpus); err != nil {
		return nil, "", fmt.Errorf("--threads %d: %w", threads, err)
	}
	procs := threads
	if threads == 0 {
		procs = cpus
	}
	runtime.GOMAXPROCS(procs)
	return e, notice, nil
}
