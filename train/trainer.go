package train

import (
	"errors"
	"fmt"
	"math"

	"github.com/descent-ml/descent/backend"
	"github.com/descent-ml/descent/data"
	"github.com/descent-ml/descent/model"
)

// Trainer trains one model with one optimizer and loss on one engine.
type Trainer struct {
	model     *model.Sequential
	opt       Optimizer
	loss      Loss
	batchSize int
	// fused is true when the last layer is softmax and the loss categorical
	// cross-entropy: the step then back-propagates (p − y)/N from the logits.
	fused bool

	ws        *model.Workspace
	x, y      []float32 // batch inputs (batchSize, in) and one-hot targets (batchSize, out)
	labels    []int     // batch labels
	perSample []float32 // per-sample losses of the batch
	grad      []float32 // ∂L/∂output or ∂L/∂logits, (batchSize, out)
	idx       []int     // sample order of the current epoch
	batchIdx  []int     // scratch for Evaluate/Predict
}

// NewTrainer prepares to train m on engine e with the given optimizer, loss
// and batch size, allocating every buffer a step needs. It builds the
// optimizer's slots for m's parameters.
func NewTrainer(m *model.Sequential, e backend.Engine, opt Optimizer, loss Loss, batchSize int) (*Trainer, error) {
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
	case loss.Name() == (SparseCategoricalCrossentropyLoss{}).Name():
		// data.Source hands the trainer one-hot targets, for which
		// categorical cross-entropy is the same loss.
		return nil, errors.New("train: the trainer feeds one-hot targets: use categorical_crossentropy, which equals sparse_categorical_crossentropy on them")
	}
	ws, err := m.NewWorkspace(e, batchSize)
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	out := m.Output()
	layers := m.Layers()
	t := &Trainer{
		model: m, opt: opt, loss: loss, batchSize: batchSize, ws: ws,
		fused:     layers[len(layers)-1].Activation == model.Softmax && loss.Name() == "categorical_crossentropy",
		x:         make([]float32, batchSize*m.Input()),
		y:         make([]float32, batchSize*out),
		labels:    make([]int, batchSize),
		perSample: make([]float32, batchSize),
		grad:      make([]float32, batchSize*out),
		batchIdx:  make([]int, batchSize),
	}
	opt.Build(m.NumParams())
	return t, nil
}

// Close releases what the trainer holds outside Go's heap: the native plans
// of engines that fuse layers (oneDNN). The trainer must not be used
// afterwards. Long-lived processes must call it; a CLI run may let exit do it.
func (t *Trainer) Close() error { return t.ws.Close() }

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
	if src.Classes() != t.model.Output() {
		return fmt.Errorf("train: %s has %d classes, the model outputs %d", what, src.Classes(), t.model.Output())
	}
	return nil
}

// Step trains on one batch of n samples held in the trainer's buffers
// (filled by loadBatch): forward, loss, backward, optimizer update. It
// returns the sum of the per-sample losses and the number of correct
// predictions, and allocates nothing.
func (t *Trainer) step(n int) (lossSum float64, correct int, err error) {
	out := t.model.Output()
	probs, err := t.model.Forward(t.ws, t.x, n)
	if err != nil {
		return 0, 0, err
	}
	y := t.y[:n*out]
	t.loss.PerSample(y, probs, n, out, t.perSample)
	for _, l := range t.perSample[:n] {
		lossSum += float64(l)
	}
	correct = countCorrect(probs, t.labels[:n], out)
	of := model.GradOutput
	if t.fused {
		SoftmaxCrossentropyGrad(y, probs, n, out, t.grad)
		of = model.GradLogits
	} else {
		t.loss.Gradient(y, probs, n, out, t.grad)
	}
	if err := t.model.Backward(t.ws, t.grad[:n*out], of); err != nil {
		return 0, 0, err
	}
	t.opt.Step(t.model.Params, t.ws.Grads)
	return lossSum, correct, nil
}

// TrainBatch trains on the samples idx of src (at most the batch size) and
// returns their mean loss and accuracy before the update, as Keras reports
// them. Once warm it allocates nothing.
func (t *Trainer) TrainBatch(src data.Source, idx []int) (loss, accuracy float64, err error) {
	if err := t.check(src, "training data"); err != nil {
		return 0, 0, err
	}
	n := len(idx)
	if n < 1 || n > t.batchSize {
		return 0, 0, fmt.Errorf("train: batch of %d samples, want 1..%d", n, t.batchSize)
	}
	for i, j := range idx {
		if j < 0 || j >= src.Len() {
			return 0, 0, fmt.Errorf("train: batch index %d is sample %d, outside the data's 0..%d", i, j, src.Len()-1)
		}
	}
	t.loadBatch(src, idx)
	sum, correct, err := t.step(n)
	if err != nil {
		return 0, 0, err
	}
	return sum / float64(n), float64(correct) / float64(n), nil
}

func (t *Trainer) loadBatch(src data.Source, idx []int) {
	n := len(idx)
	src.Batch(idx, t.x[:n*src.Features()], t.y[:n*src.Classes()], t.labels[:n])
}

// countCorrect counts rows whose arg-max equals the label (Keras's
// categorical accuracy; ties go to the lowest index, as numpy's argmax).
func countCorrect(probs []float32, labels []int, classes int) int {
	c := 0
	for r, label := range labels {
		if argmax(probs[r*classes:(r+1)*classes]) == label {
			c++
		}
	}
	return c
}

func argmax(row []float32) int {
	best := 0
	for j, v := range row {
		if v > row[best] || (math.IsNaN(float64(v)) && !math.IsNaN(float64(row[best]))) {
			best = j
		}
	}
	return best
}
