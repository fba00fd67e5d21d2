package backend

// DensePlanner is implemented by engines that run a whole dense layer
// natively — GEMM, bias and activation fused — rather than through Sgemm
// plus Go loops. The model uses it when the engine offers it.
//
// A plan is made once per (layer shape, batch size) and reused for every
// step; the last partial batch of an epoch gets its own plan.
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
	// Close releases the plan's native resources.
	Close() error
}
