package train

import "math"

// Nadam is Adam with Nesterov momentum (Dozat, 2015), following Keras 3
// (keras/src/optimizers/nadam.py). With lr the learning rate, β₁ = Beta1,
// β₂ = Beta2, ε = Epsilon, g the gradient, w a parameter and t the 1-based
// step number (Iterations()+1), one step is
//
//	uₜ   = β₁·(1 − ½·0.96ᵗ)                  (the momentum cache)
//	Πₜ   = Πₜ₋₁·uₜ,  Π₀ = 1                  (Keras's _u_product)
//	m ← m + (g − m)·(1−β₁)
//	v ← v + (g² − v)·(1−β₂)
//	m̂ = uₜ₊₁·m / (1 − Πₜ·uₜ₊₁) + (1 − uₜ)·g / (1 − Πₜ)
//	v̂ = v / (1 − β₂ᵗ)
//	w ← w − lr·m̂ / (√v̂ + ε)                 (ε outside the square root)
//
// with m and v starting at zero. Slots, in order: m, v.
//
// The product Πₜ is the one piece of state that is not per parameter. It is
// not stored in the State: it is a function of the iteration counter and β₁
// alone, so SetState recomputes it from Iterations with the very
// multiplications Step makes, in the same order, and a resumed run is
// bit-identical to an uninterrupted one (TestOptimizerStateRoundTrip). That
// keeps OptimizerState — and the checkpoint format — "a counter and
// per-parameter slots" for every optimizer. Πₜ is kept in float64 (Keras
// keeps it in the variables' float32); the scalars are then rounded to
// float32 once per step.
type Nadam struct {
	optimizerBase
	// Beta1 is β₁, the decay of the first moment (Keras default 0.9).
	Beta1 float64
	// Beta2 is β₂, the decay of the second moment (Keras default 0.999).
	Beta2 float64
	// Epsilon is ε (Keras default 1e-7).
	Epsilon float64

	m, v     []float32
	uProduct float64 // Πₜ after Iterations() steps
}

// NewNadam returns Nadam with the given settings, in Keras's argument
// order. The Keras defaults are NewNadam(0.001, 0.9, 0.999, 1e-7).
func NewNadam(lr, beta1, beta2, epsilon float64) *Nadam {
	o := &Nadam{Beta1: beta1, Beta2: beta2, Epsilon: epsilon, uProduct: 1}
	o.lr = lr
	return o
}

var _ Optimizer = (*Nadam)(nil)

// Name returns "nadam".
func (o *Nadam) Name() string { return "nadam" }

// Build allocates the slots for n parameters and resets the state.
func (o *Nadam) Build(n int) {
	s := o.build(n, true, true)
	o.m, o.v = s[0], s[1]
	o.uProduct = 1
}

// momentumCache is uₜ = β₁·(1 − ½·0.96ᵗ).
func (o *Nadam) momentumCache(t int64) float64 {
	return o.Beta1 * (1 - 0.5*math.Pow(0.96, float64(t)))
}

// SetState restores s (see Optimizer) and recomputes Πₜ for its
// iteration count, as Step would have reached it.
func (o *Nadam) SetState(s OptimizerState) error {
	if err := o.optimizerBase.SetState(s); err != nil {
		return err
	}
	// Past some 900 steps 0.96ᵏ is too small to change 1 − ½·0.96ᵏ, so
	// every later uₖ is β₁ exactly; after some 7,000 more (β₁ = 0.9) Π is
	// a subnormal that Π·β₁ rounds back to (or 0). From such a fixed point
	// nothing changes any more, and the loop may stop.
	p := 1.0
	for k := int64(1); k <= o.iterations; k++ {
		u := o.momentumCache(k)
		next := p * u
		if next == p && u == o.Beta1 {
			break
		}
		p = next
	}
	o.uProduct = p
	return nil
}

// Step applies one Nadam update to params in place.
func (o *Nadam) Step(params, grads []float32) {
	o.beginStep(params, grads)
	t := o.iterations + 1
	u, uNext := o.momentumCache(t), o.momentumCache(t+1)
	o.uProduct *= u // Keras updates _u_product before the variables
	prod, prodNext := o.uProduct, o.uProduct*uNext

	// m̂ = cm·m + cg·g and v̂ = cv·v.
	cm := float32(uNext / (1 - prodNext))
	cg := float32((1 - u) / (1 - prod))
	cv := float32(1 / (1 - math.Pow(o.Beta2, float64(t))))
	lr, eps := float32(o.lr), float32(o.Epsilon)
	b1, b2 := float32(1-o.Beta1), float32(1-o.Beta2)
	g, m, v := grads[:len(params)], o.m[:len(params)], o.v[:len(params)]
	for i := range params {
		m[i] += (g[i] - m[i]) * b1
		v[i] += (g[i]*g[i] - v[i]) * b2
		mHat := cm*m[i] + cg*g[i]
		vHat := cv * v[i]
		params[i] -= lr * mHat / (float32(math.Sqrt(float64(vHat))) + eps)
	}
	o.iterations++
}
