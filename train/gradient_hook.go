package train

// StepGradients is what a GradientHook sees of one training step: the
// batch's gradients, after the backward pass and before the optimizer's
// update. The trainer owns it and its slices; a hook must not keep them.
type StepGradients struct {
	// Iterations is the optimizer's update count before this step.
	Iterations int64
	// Samples is the number of samples in the batch.
	Samples int
	// Params are the model's parameters (read only: the update follows).
	Params []float32
	// Grads is ∂L/∂Params, L the mean loss over the batch, laid out like
	// Params. A hook may change it in place (clip, average across ranks).
	Grads []float32
	// SkipUpdate, set by a hook, skips this step's optimizer update (e.g.
	// while gradients accumulate); the hooks after it still run.
	SkipUpdate bool
}

// GradientHook sits between computing a batch's gradients and applying
// them: the place for gradient clipping, accumulation and, in data-parallel
// training, the allreduce that averages every rank's gradients. It runs on
// the training goroutine once per step, in the order the hooks were given
// (WithGradientHooks); an error stops the step before the update, and Fit
// returns it. A warm hook should allocate nothing, as the step does not.
type GradientHook interface {
	OnGradients(g *StepGradients) error
}

// GradientHookFunc adapts a function to GradientHook.
type GradientHookFunc func(g *StepGradients) error

// OnGradients calls f(g).
func (f GradientHookFunc) OnGradients(g *StepGradients) error { return f(g) }
