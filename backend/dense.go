package backend

// DensePlanner is implemented by engines that run a whole dense layer
// natively — GEMM, bias and activation fused — rather than through Sgemm
// plus Go loops. The model uses it when the engine offers it.
//
// A plan is made once per (layer shape, batch size) and reused for every
// step; the last partial batch of an epoch gets its own plan.
//
// Concurrency: a plan is used by one goroutine at a time, but different
// plans of one engine may run at the same time on any goroutines (and so OS
// threads): an engine keeps no state shared between its plans that a call
// writes. Closing the engine before its plans is allowed and never a crash:
// the plans go on working until they are closed, and PlanDense fails.
type DensePlanner interface {
	Engine
	// PlanDense prepares a dense layer y = act(x·W + b) for batches of
	// exactly batch rows: x (batch, in), W (in, out) row-major as in package
	// model, b (out), y (batch, out).
	PlanDense(batch, in, out int, act Activation) (DensePlan, error)
}

// DensePlan runs one dense layer shape. Slices must have at least the
// lengths the shape implies; implementations keep no reference to them after
// a call returns. A plan is used by one goroutine at a time.
type DensePlan interface {
	// Forward computes y = act(x·W + b).
	Forward(x, w, b, y []float32) error
	// ActivationBackward turns dy = ∂L/∂y into ∂L/∂z in place, from the
	// forward output y (see model.ActivationBackward for the formulas).
	ActivationBackward(y, dy []float32) error
	// Backward computes dW = xᵀ·dz, db = Σ_rows dz and, when dx is not nil,
	// dx = dz·Wᵀ, from dz = ∂L/∂z. dW and db are overwritten.
	Backward(x, w, dz, dw, db, dx []float32) error
	// Close releases the plan's native resources; later calls fail.
	Close() error
}

// AfterForwardPlan is implemented by plans that can skip work in a
// backward pass following their own forward pass on the same x and W,
// unchanged in between (e.g. the dnnl backend's bf16 plans reuse the bf16
// copies the forward made instead of converting again). Package model calls
// BackwardAfterForward instead of Backward within one Forward/Backward pair.
type AfterForwardPlan interface {
	// BackwardAfterForward is Backward, for a caller that vouches that x
	// and w hold what the plan's last Forward read. Its results are those
	// of Backward.
	BackwardAfterForward(x, w, dz, dw, db, dx []float32) error
}

// ForwardPlanner is implemented by engines that can make forward-only plans
// for inference: no backward primitives and no memory for them. A Predictor
// uses it when the engine offers it, and falls back to PlanDense (or to
// Sgemm plus Go loops) otherwise.
type ForwardPlanner interface {
	Engine
	// PlanDenseForward prepares y = act(x·W + b) for batches of exactly
	// batch rows, with the shapes of DensePlanner.PlanDense.
	PlanDenseForward(batch, in, out int, act Activation) (ForwardPlan, error)
}

// ForwardPlan runs the forward pass of one dense layer shape. Like a
// DensePlan it keeps no reference to the slices after a call returns and is
// used by one goroutine at a time; different plans of one engine may run at
// the same time on any goroutines.
type ForwardPlan interface {
	// Forward computes y = act(x·W + b), overwriting y.
	Forward(x, w, b, y []float32) error
	// Close releases the plan's native resources; later calls fail.
	Close() error
}
