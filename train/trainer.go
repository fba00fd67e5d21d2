package train

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/descent-ml/descent/backend"
	"github.com/descent-ml/descent/data"
	"github.com/descent-ml/descent/model"
	"github.com/descent-ml/descent/predict"
)

// Trainer trains one model with one optimizer and loss on one engine.
type Trainer struct {
	model     *model.Sequential
	eng       backend.Engine
	pred      *predict.Predictor // for Evaluate and Predict, made on first use
	busy      atomic.Bool        // set while a method runs: detects use from two goroutines
	opt       Optimizer
	loss      Loss
	batchSize int
	// fused is the loss's fused softmax gradient when the last layer is a
	// softmax and the loss has one (SoftmaxFusedLoss): the step then
	// back-propagates ∂L/∂logits, e.g. (p − y)/N, from the logits.
	fused SoftmaxFusedLoss
	hooks []GradientHook
	// dropoutSeed keys the dropout masks (WithDropoutSeed); micro counts
	// the forward passes since the last update (see computeGradients).
	dropoutSeed, micro uint64
	sg                 StepGradients // handed to the hooks, reused every step
	last               int           // samples in the batch of the last ComputeGradients, 0 if none pending
	task               data.Task     // of the source of the batch in the buffers

	ws        *model.Workspace
	x, y      []float32   // batch inputs (batchSize, in) and targets (batchSize, out)
	labels    []int       // batch labels
	spare     batchBuffer // the second batch buffer of FitConfig.Prefetch
	perSample []float32   // per-sample losses of the batch
	grad      []float32   // ∂L/∂output or ∂L/∂logits, (batchSize, out)
	idx       []int       // sample order of the current epoch
}

// TrainerOption configures a Trainer (see NewTrainer).
type TrainerOption func(*Trainer) error

// WithGradientHooks adds hooks that run, in this order, between computing
// each batch's gradients and applying them (see GradientHook).
func WithGradientHooks(hooks ...GradientHook) TrainerOption {
	return func(t *Trainer) error {
		for i, h := range hooks {
			if h == nil {
				return fmt.Errorf("train: gradient hook %d is nil", i)
			}
		}
		t.hooks = append(t.hooks, hooks...)
		return nil
	}
}

// WithDropoutSeed seeds the dropout masks of the model's layers with a
// rate (model.Layer.Dropout); without it the seed is 0. The mask of a
// training step is a pure function of (seed, the optimizer's iterations,
// the forward passes since the last update, the layer) — see
// model.DropoutKey — so it depends neither on the engine nor on the
// thread count, and a run resumed from a checkpoint (which restores the
// iterations) draws the masks of the run never stopped. Evaluation and
// prediction never drop.
func WithDropoutSeed(seed uint64) TrainerOption {
	return func(t *Trainer) error {
		t.dropoutSeed = seed
		return nil
	}
}

// NewTrainer prepares to train m on engine e with the given optimizer, loss
// and batch size, allocating every buffer a step needs. It builds the
// optimizer's slots for m's parameters, which resets the optimizer: restore
// a saved state afterwards (Optimizer().SetState, as checkpoint.Restore does).
//
// A Trainer is used by one goroutine at a time. To answer predictions from
// other goroutines while it trains, give them a predict.Predictor made from
// a snapshot of the model (predict.New, Predictor.Swap).
func NewTrainer(m *model.Sequential, e backend.Engine, opt Optimizer, loss Loss, batchSize int, opts ...TrainerOption) (*Trainer, error) {
	switch {
	case m == nil:
		return nil, errors.New("train: nil model")
	case e == nil:
		return nil, errors.New("train: nil engine")
	case opt == nil:
		return nil, errors.New("train: nil optimizer")
	case loss == nil:
		return nil, errors.New("train: nil loss")
	case batchSize < 1:
		return nil, fmt.Errorf("train: batch size must be ≥ 1, got %d", batchSize)
	}
	if _, ok := loss.(ClassIndexLoss); ok {
		// data.Source hands the trainer one-hot targets, for which
		// categorical cross-entropy is the same loss.
		return nil, fmt.Errorf("train: the trainer feeds one-hot targets, and %s takes class indices: use categorical_crossentropy, which equals sparse_categorical_crossentropy on them", loss.Name())
	}
	ws, err := m.NewWorkspace(e, batchSize)
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	out := m.Output()
	layers := m.Layers()
	t := &Trainer{
		model: m, eng: e, opt: opt, loss: loss, batchSize: batchSize, ws: ws,
		x:         make([]float32, batchSize*m.Input()),
		y:         make([]float32, batchSize*out),
		labels:    make([]int, batchSize),
		perSample: make([]float32, batchSize),
		grad:      make([]float32, batchSize*out),
	}
	if f, ok := loss.(SoftmaxFusedLoss); ok && layers[len(layers)-1].Activation == model.Softmax {
		t.fused = f
	}
	for _, o := range opts {
		if err := o(t); err != nil {
			ws.Close()
			return nil, err
		}
	}
	opt.Build(m.NumParams())
	return t, nil
}

// Close releases what the trainer holds outside Go's heap: the native plans
// of engines that fuse layers (oneDNN). The trainer must not be used
// afterwards. Long-lived processes must call it; a CLI run may let exit do it.
func (t *Trainer) Close() error {
	var err error
	if t.pred != nil {
		err = t.pred.Close()
		t.pred = nil
	}
	if e := t.ws.Close(); err == nil {
		err = e
	}
	return err
}

// ErrConcurrentUse is returned when a Trainer method is called while
// another goroutine is inside one: a Trainer serves one goroutine at a time
// (its buffers are shared by every step). Predict from other goroutines with
// a predict.Predictor instead.
var ErrConcurrentUse = errors.New("train: Trainer used from two goroutines at once (it serves one at a time; use a predict.Predictor for concurrent predictions)")

// enter marks the trainer busy; leave clears it.
func (t *Trainer) enter() error {
	if !t.busy.CompareAndSwap(false, true) {
		return ErrConcurrentUse
	}
	return nil
}

func (t *Trainer) leave() { t.busy.Store(false) }

// Model returns the model being trained.
func (t *Trainer) Model() *model.Sequential { return t.model }

// Optimizer returns the optimizer.
func (t *Trainer) Optimizer() Optimizer { return t.opt }

// BatchSize returns the batch size.
func (t *Trainer) BatchSize() int { return t.batchSize }

// check verifies that src fits the model.
func (t *Trainer) check(src data.Source, what string) error {
	if src == nil {
		return fmt.Errorf("train: %s: no data", what)
	}
	if src.Features() != t.model.Input() {
		return fmt.Errorf("train: %s has %d features per sample, the model takes %d", what, src.Features(), t.model.Input())
	}
	if src.Targets() != t.model.Output() {
		if src.Classes() == src.Targets() {
			return fmt.Errorf("train: %s has %d classes, the model outputs %d", what, src.Classes(), t.model.Output())
		}
		return fmt.Errorf("train: %s has %d targets per sample, the model outputs %d", what, src.Targets(), t.model.Output())
	}
	return nil
}

// A training step is three parts, so that what sits between the backward
// pass and the update has a place (GradientHook):
//
//	computeGradients  forward, loss, backward: ∂L/∂Params in Gradients()
//	runHooks          clipping, accumulation, an allreduce …
//	applyGradients    the optimizer's update of Params
//
// ComputeGradients, ApplyGradients and TrainBatch expose them; Fit runs
// all three for every batch. None allocates once warm.

// computeGradients runs forward, loss and backward on the n samples held in
// the trainer's buffers (filled by loadBatch), leaving ∂L/∂Params in
// t.ws.Grads. It returns the sum of the per-sample losses and of the task's
// metric (see batchMetric), both before the update.
func (t *Trainer) computeGradients(n int) (lossSum, metricSum float64, err error) {
	out := t.model.Output()
	key := model.DropoutKey{Seed: t.dropoutSeed, Step: uint64(t.opt.Iterations()), Sub: t.micro}
	probs, err := t.model.ForwardTraining(t.ws, t.x, n, key)
	if err != nil {
		return 0, 0, err
	}
	t.micro++
	y := t.y[:n*out]
	t.loss.PerSample(y, probs, n, out, t.perSample)
	for _, l := range t.perSample[:n] {
		lossSum += float64(l)
	}
	metricSum = batchMetric(t.task, probs, y, t.labels, n, out)
	of := model.GradOutput
	if t.fused != nil {
		t.fused.SoftmaxLogitsGradient(y, probs, n, out, t.grad)
		of = model.GradLogits
	} else {
		t.loss.Gradient(y, probs, n, out, t.grad)
	}
	if err := t.model.Backward(t.ws, t.grad[:n*out], of); err != nil {
		return 0, 0, err
	}
	t.last = n
	return lossSum, metricSum, nil
}

// runHooks hands the pending gradients to the hooks and reports whether
// the update should be applied.
func (t *Trainer) runHooks() (apply bool, err error) {
	t.sg = StepGradients{Iterations: t.opt.Iterations(), Samples: t.last, Params: t.model.Params, Grads: t.ws.Grads}
	for i, h := range t.hooks {
		if err := h.OnGradients(&t.sg); err != nil {
			return false, fmt.Errorf("train: gradient hook %d: %w", i, err)
		}
	}
	return !t.sg.SkipUpdate, nil
}

// applyGradients is the optimizer's update from t.ws.Grads.
func (t *Trainer) applyGradients() {
	t.opt.Step(t.model.Params, t.ws.Grads)
	t.last, t.micro = 0, 0
}

// step is one whole training step on the n samples in the buffers.
func (t *Trainer) step(n int) (lossSum, metricSum float64, err error) {
	lossSum, metricSum, err = t.computeGradients(n)
	if err != nil {
		return 0, 0, err
	}
	apply, err := t.runHooks()
	if err != nil {
		return 0, 0, err
	}
	if apply {
		t.applyGradients()
	}
	t.last = 0
	return lossSum, metricSum, nil
}

// ComputeGradients runs forward, loss and backward on the samples idx of
// src (at most the batch size) without updating the model, and returns
// their mean loss and metric: accuracy, or for a regression the mean
// absolute error (see Fit). The gradients are then in Gradients(), for
// the caller to inspect or change before ApplyGradients. The gradient hooks
// do not run (TrainBatch and Fit run them).
func (t *Trainer) ComputeGradients(src data.Source, idx []int) (loss, metric float64, err error) {
	if err := t.enter(); err != nil {
		return 0, 0, err
	}
	defer t.leave()
	if err := t.checkBatch(src, idx); err != nil {
		return 0, 0, err
	}
	if err := t.loadBatch(context.Background(), src, idx); err != nil {
		return 0, 0, err
	}
	sum, m, err := t.computeGradients(len(idx))
	if err != nil {
		return 0, 0, err
	}
	return sum / float64(len(idx)), m / float64(len(idx)), nil
}

// Gradients returns the trainer's gradient buffer, ∂L/∂Params laid out like
// the model's Params, as the last ComputeGradients (or step) left it. The
// slice is the trainer's own: it is overwritten by the next step.
func (t *Trainer) Gradients() []float32 { return t.ws.Grads }

// ApplyGradients updates the model's parameters with the optimizer from
// Gradients(). It fails unless ComputeGradients ran since the last update.
func (t *Trainer) ApplyGradients() error {
	if err := t.enter(); err != nil {
		return err
	}
	defer t.leave()
	if t.last == 0 {
		return errors.New("train: ApplyGradients without ComputeGradients")
	}
	t.applyGradients()
	return nil
}

// TrainBatch trains on the samples idx of src (at most the batch size):
// ComputeGradients, the gradient hooks, ApplyGradients. It returns their
// mean loss and metric (accuracy, or MAE for a regression) before the
// update, as Keras reports them. Once warm it allocates nothing.
func (t *Trainer) TrainBatch(src data.Source, idx []int) (loss, metric float64, err error) {
	if err := t.enter(); err != nil {
		return 0, 0, err
	}
	defer t.leave()
	if err := t.checkBatch(src, idx); err != nil {
		return 0, 0, err
	}
	n := len(idx)
	if err := t.loadBatch(context.Background(), src, idx); err != nil {
		return 0, 0, err
	}
	sum, m, err := t.step(n)
	if err != nil {
		return 0, 0, err
	}
	return sum / float64(n), m / float64(n), nil
}

// checkBatch verifies that idx is a batch of src's samples.
func (t *Trainer) checkBatch(src data.Source, idx []int) error {
	if err := t.check(src, "training data"); err != nil {
		return err
	}
	n := len(idx)
	if n < 1 || n > t.batchSize {
		return fmt.Errorf("train: batch of %d samples, want 1..%d", n, t.batchSize)
	}
	for i, j := range idx {
		if j < 0 || j >= src.Len() {
			return fmt.Errorf("train: batch index %d is sample %d, outside the data's 0..%d", i, j, src.Len()-1)
		}
	}
	return nil
}

// loadBatch reads the samples idx of src into the trainer's buffers.
func (t *Trainer) loadBatch(ctx context.Context, src data.Source, idx []int) error {
	n := len(idx)
	t.task = data.TaskOf(src)
	if err := src.Batch(ctx, idx, t.x[:n*src.Features()], t.y[:n*src.Targets()], t.labels[:n]); err != nil {
		return fmt.Errorf("train: reading a batch: %w", err)
	}
	return nil
}
