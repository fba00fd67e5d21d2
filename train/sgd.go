package train

// SGD is stochastic gradient descent with optional (Nesterov) momentum,
// following Keras 3 (keras/src/optimizers/sgd.py). With lr the learning
// rate, μ the momentum, g the gradient and w a parameter, one step is
//
//	μ = 0:               w ← w − lr·g
//	μ ≠ 0:               m ← μ·m − lr·g;  w ← w + m
//	μ ≠ 0, Nesterov:     m ← μ·m − lr·g;  w ← w + μ·m − lr·g
//
// with m starting at zero (Nesterov uses the updated m). Nesterov without momentum is plain SGD, as in
// Keras. Slots: the momentum m, only when Momentum ≠ 0 at Build.
//
// The learning rate (lr) and the decoupled weight decay (SetWeightDecay,
// applied before the update) live in the embedded base type that every
// optimizer shares; both may be changed between steps.
type SGD struct {
	optimizerBase
	// Momentum is μ (Keras default 0). Build allocates m only if it is
	// non-zero; switching between zero and non-zero takes effect at the
	// next Build.
	Momentum float64
	// Nesterov selects Nesterov momentum (Keras default false).
	Nesterov bool

	m []float32
}

// NewSGD returns SGD with the given learning rate, momentum and Nesterov
// flag, in Keras's argument order. The Keras defaults are
// NewSGD(0.01, 0, false).
func NewSGD(lr, momentum float64, nesterov bool) *SGD {
	o := &SGD{Momentum: momentum, Nesterov: nesterov}
	o.lr = lr
	return o
}

var _ Optimizer = (*SGD)(nil)

// Name returns "sgd".
func (o *SGD) Name() string { return "sgd" }

// Build allocates the momentum slot (if Momentum ≠ 0) for n parameters and
// resets the state.
func (o *SGD) Build(n int) {
	o.m = o.build(n, o.Momentum != 0)[0]
}

// Step applies one SGD update to params in place.
func (o *SGD) Step(params, grads []float32) {
	o.beginStep(params, grads)
	lr, mu, nesterov := float32(o.lr), float32(o.Momentum), o.Nesterov
	g := grads[:len(params)]
	if o.m == nil {
		for i := range params {
			params[i] -= lr * g[i]
		}
	} else {
		m := o.m[:len(params)]
		for i := range params {
			m[i] = mu*m[i] - lr*g[i]
			if nesterov {
				params[i] += mu*m[i] - lr*g[i]
			} else {
				params[i] += m[i]
			}
		}
	}
	o.iterations++
}
