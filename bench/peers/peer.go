package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/descent-ml/descent/backend"
	"github.com/descent-ml/descent/backend/dnnl"
	"github.com/descent-ml/descent/backend/registry"
	"github.com/descent-ml/descent/data"
	"github.com/descent-ml/descent/model"
	"github.com/descent-ml/descent/train"
)

// epochResult is one training pass: its wall seconds and mean loss.
type epochResult struct {
	Seconds float64 `json:"seconds"`
	// CPUSeconds is the process's CPU time over the pass, all threads: on
	// a loaded machine, what the pass cost whatever the scheduler gave it.
	CPUSeconds float64 `json:"cpu_seconds"`
	Loss       float64 `json:"loss"`
	Error      string  `json:"error"`
}

// evalResult is the validation accuracy after an epoch.
type evalResult struct {
	Accuracy float64 `json:"val_accuracy"`
	Error    string  `json:"error"`
}

// system is one row of the table: something that trains the tutorial
// network one epoch at a time and evaluates it on the validation split.
type system interface {
	Train(ctx context.Context) (epochResult, error)
	Eval(ctx context.Context) (float64, error)
	Close()
}

// coprocess is a peer program (native/bench/step.c, scripts/peers/torch_train.py)
// answering "train" and "eval" lines with one JSON line each.
type coprocess struct {
	name  string
	cmd   *exec.Cmd
	in    io.WriteCloser
	out   *bufio.Scanner
	hello map[string]any
}

// startCoprocess starts argv with extra environment variables ("KEY=" unsets
// KEY) and reads its hello line; an {"error": ...} hello is returned as the error.
func startCoprocess(name string, argv []string, env []string) (*coprocess, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = withEnv(os.Environ(), env)
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%s: starting %s: %w", name, argv[0], err)
	}
	c := &coprocess{name: name, cmd: cmd, in: in, out: bufio.NewScanner(out)}
	if err := c.read(&c.hello); err != nil {
		c.Close()
		return nil, err
	}
	if e, ok := c.hello["error"]; ok {
		c.Close()
		return nil, fmt.Errorf("%s: %v", name, e)
	}
	return c, nil
}

// withEnv is base with the KEY=value entries of set replacing base's KEY;
// an empty value removes KEY.
func withEnv(base, set []string) []string {
	out := slices.Clone(base)
	for _, kv := range set {
		key, val, _ := strings.Cut(kv, "=")
		out = slices.DeleteFunc(out, func(e string) bool { return strings.HasPrefix(e, key+"=") })
		if val != "" {
			out = append(out, kv)
		}
	}
	return out
}

// read decodes the next line into v.
func (c *coprocess) read(v any) error {
	if !c.out.Scan() {
		if err := c.out.Err(); err != nil {
			return fmt.Errorf("%s: reading: %w", c.name, err)
		}
		return fmt.Errorf("%s: the process ended without answering (see its stderr above)", c.name)
	}
	if err := json.Unmarshal(c.out.Bytes(), v); err != nil {
		return fmt.Errorf("%s: bad answer %q: %w", c.name, c.out.Text(), err)
	}
	return nil
}

func (c *coprocess) ask(cmd string, v any) error {
	if _, err := fmt.Fprintln(c.in, cmd); err != nil {
		return fmt.Errorf("%s: writing %q: %w", c.name, cmd, err)
	}
	return c.read(v)
}

func (c *coprocess) Train(context.Context) (epochResult, error) {
	var r epochResult
	if err := c.ask("train", &r); err != nil {
		return r, err
	}
	if r.Error != "" {
		return r, fmt.Errorf("%s: %s", c.name, r.Error)
	}
	return r, nil
}

func (c *coprocess) Eval(context.Context) (float64, error) {
	var r evalResult
	if err := c.ask("eval", &r); err != nil {
		return 0, err
	}
	if r.Error != "" {
		return 0, fmt.Errorf("%s: %s", c.name, r.Error)
	}
	return r.Accuracy, nil
}

func (c *coprocess) Close() {
	c.in.Close()
	c.cmd.Wait()
}

// descentSystem trains in this process on one descent backend, one Fit
// epoch per Train, reshuffled with seed + epoch as bench.Epochs does.
type descentSystem struct {
	tr         *train.Trainer
	trainSet   data.Source
	valSet     data.Source
	seed       uint64
	epoch      int
	engineName string
}

// newDescent builds the tutorial network from params (the weights every
// system starts from) on backend name with --threads auto's rule.
func newDescent(name string, params []float32, trainSet, valSet data.Source, seed uint64) (*descentSystem, backend.Engine, error) {
	var opts []registry.Option
	if n, ok := strings.CutSuffix(name, "-bf16"); ok { // dnnl-bf16: --precision bf16
		name, opts = n, append(opts, registry.WithPrecision(dnnl.BF16))
	}
	e, _, err := registry.Open(name, opts...)
	if err != nil {
		return nil, nil, fmt.Errorf("descent %s: %w", name, err)
	}
	if _, err := registry.SetThreads(e, 0); err != nil {
		return nil, nil, fmt.Errorf("descent %s: threads: %w", name, err)
	}
	m, err := tutorialModel()
	if err != nil {
		return nil, nil, err
	}
	copy(m.Params, params)
	opt, err := train.NewOptimizerByName("adam", train.DefaultLearningRate("adam"), train.DefaultMomentum("adam"))
	if err != nil {
		return nil, nil, err
	}
	tr, err := train.NewTrainer(m, e, opt, train.CategoricalCrossentropyLoss{}, 128)
	if err != nil {
		return nil, nil, fmt.Errorf("descent %s: %w", name, err)
	}
	return &descentSystem{tr: tr, trainSet: trainSet, valSet: valSet, seed: seed, engineName: name}, e, nil
}

// tutorialModel is 784 → 128 sigmoid → 128 sigmoid → 10 softmax.
func tutorialModel() (*model.Sequential, error) {
	return model.NewSequential(784, model.Dense(128, model.Sigmoid), model.Dense(128, model.Sigmoid), model.Dense(10, model.Softmax))
}

// initialParams are Glorot-uniform kernels and zero biases drawn from seed,
// as bench.Epochs draws them.
func initialParams(seed uint64) ([]float32, error) {
	m, err := tutorialModel()
	if err != nil {
		return nil, err
	}
	m.Init(rand.New(rand.NewPCG(seed, 0)))
	return m.Params, nil
}

func (d *descentSystem) Train(ctx context.Context) (epochResult, error) {
	c0 := cpuSeconds()
	h, err := d.tr.Fit(ctx, d.trainSet, train.FitConfig{Epochs: 1, Seed: d.seed + uint64(d.epoch)})
	if err != nil {
		return epochResult{}, fmt.Errorf("descent %s: %w", d.engineName, err)
	}
	d.epoch++
	return epochResult{Seconds: h.EpochSeconds[0], CPUSeconds: cpuSeconds() - c0, Loss: h.Loss[0]}, nil
}

func (d *descentSystem) Eval(ctx context.Context) (float64, error) {
	_, acc, err := d.tr.Evaluate(ctx, d.valSet)
	return acc, err
}

func (d *descentSystem) Close() { d.tr.Close() }

// cpuSeconds is this process's user + system CPU time (all threads). Fit's
// set-up is inside the interval, unlike EpochSeconds; it is small beside an
// epoch.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}
