package train

import "math"

// RMSprop divides the gradient by a moving root mean square of recent
// gradients, following Keras 3 (keras/src/optimizers/rmsprop.py). With lr
// the learning rate, ρ = Rho, μ = Momentum, ε = Epsilon, g the gradient and
// w a parameter, one step is
//
//	v ← ρ·v + (1−ρ)·g²
//	centered:  ḡ ← ρ·ḡ + (1−ρ)·g;  d = v − ḡ² + ε
//	otherwise: d = v + ε
//	inc = lr·g / √d                       (ε inside the square root)
//	μ > 0:     m ← μ·m + inc;  w ← w − m
//	otherwise: w ← w − inc
//
// with v, ḡ and m starting at zero. Slots, in order: v; m if Momentum > 0;
// ḡ if Centered (the Keras order).
//
// The learning rate (lr) and the decoupled weight decay (SetWeightDecay,
// applied before the update) live in the embedded base type that every
// optimizer shares; both may be changed between steps.
type RMSprop struct {
	optimizerBase
	// Rho is ρ, the decay of the moving averages (Keras default 0.9).
	Rho float64
	// Momentum is μ (Keras default 0). Build allocates m only if it is
	// positive; switching between zero and positive takes effect at the
	// next Build.
	Momentum float64
	// Epsilon is ε (Keras default 1e-7).
	Epsilon float64
	// Centered normalises by the estimated variance of the gradient rather
	// than its second moment (Keras default false). A change takes effect
	// at the next Build.
	Centered bool

	v, m, gbar []float32
}

// NewRMSprop returns RMSprop with the given settings, in Keras's argument
// order. The Keras defaults are NewRMSprop(0.001, 0.9, 0, 1e-7, false).
func NewRMSprop(lr, rho, momentum, epsilon float64, centered bool) *RMSprop {
	o := &RMSprop{Rho: rho, Momentum: momentum, Epsilon: epsilon, Centered: centered}
	o.lr = lr
	return o
}

var _ Optimizer = (*RMSprop)(nil)

// Name returns "rmsprop".
func (o *RMSprop) Name() string { return "rmsprop" }

// Build allocates the slots for n parameters and resets the state.
func (o *RMSprop) Build(n int) {
	s := o.build(n, true, o.Momentum > 0, o.Centered)
	o.v, o.m, o.gbar = s[0], s[1], s[2]
}

// Step applies one RMSprop update to params in place.
func (o *RMSprop) Step(params, grads []float32) {
	o.beginStep(params, grads)
	lr, rho, rho1 := float32(o.lr), float32(o.Rho), float32(1-o.Rho)
	mu, eps := float32(o.Momentum), float32(o.Epsilon)
	m, gbar := o.m, o.gbar
	g, v := grads[:len(params)], o.v[:len(params)]
	for i := range params {
		v[i] = rho*v[i] + rho1*(g[i]*g[i])
		d := v[i]
		if gbar != nil {
			gbar[i] = rho*gbar[i] + rho1*g[i]
			d -= gbar[i] * gbar[i]
		}
		d += eps
		inc := lr * g[i] / float32(math.Sqrt(float64(d)))
		if m != nil {
			m[i] = mu*m[i] + inc
			inc = m[i]
		}
		params[i] -= inc
	}
	o.iterations++
}
