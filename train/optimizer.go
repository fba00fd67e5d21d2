package train

// Optimizer updates a flat parameter buffer from a flat gradient buffer of the
// same length (see package model for the layout). One call to Step is one
// training iteration.
//
// Each rule lives in its own file (sgd.go, rmsprop.go, adam.go, adamw.go,
// nadam.go) and follows the Keras 3 formulas and defaults; the shared
// plumbing (learning rate, decoupled weight decay, iteration counter, slot
// allocation, state for checkpoints) lives once in the embedded base type.
// Keras's gradient clipping (clipnorm, clipvalue, global_clipnorm) is not
// part of the optimizer here but a GradientHook (ClipNorm, ClipValue,
// ClipGlobalNorm), which runs before Step as Keras clips before updating.
type Optimizer interface {
	// Name is the optimizer's name as accepted by --optimizer.
	Name() string
	// Build allocates the optimizer's slots for n parameters. It must be
	// called once before Step; calling it again resets the state.
	Build(n int)
	// Step applies one update in place: params ← params − update(grads).
	// It allocates nothing. len(params) and len(grads) must equal the n
	// given to Build.
	Step(params, grads []float32)
	// Iterations is the number of Steps taken since Build.
	Iterations() int64
	// LearningRate is the step size the next Step uses; SetLearningRate
	// changes it between steps (schedules, the range test,
	// ReduceLROnPlateau). It is configuration, not State.
	LearningRate() float64
	SetLearningRate(lr float64)
	// State returns the optimizer's mutable state (iteration counter and
	// slot buffers, in a fixed order) for checkpoints; SetState restores it.
	State() OptimizerState
	// SetState restores a state returned by State of an optimizer with the
	// same configuration and parameter count.
	SetState(OptimizerState) error
}

// OptimizerState is the serialisable state of an Optimizer: everything that
// changes during training. Configuration (learning rate, betas...) is not
// part of it.
type OptimizerState struct {
	// Iterations is the number of steps taken.
	Iterations int64
	// Slots holds the optimizer's per-parameter buffers, each of the
	// parameter count, in the order the optimizer documents (e.g. Adam:
	// m, v and, with amsgrad, v̂).
	Slots [][]float32
}

// WeightDecayer is implemented by every optimizer of this package (SGD,
// RMSprop, Adam, AdamW, Nadam): the decoupled weight decay of Keras 3's
// weight_decay= argument (keras/src/optimizers/base_optimizer.py,
// _apply_weight_decay), applied to every parameter before the rule's
// update as
//
//	w ← w − w·wd·lr
//
// It is configuration, like the learning rate, not part of the State.
type WeightDecayer interface {
	WeightDecay() float64
	SetWeightDecay(wd float64)
}
