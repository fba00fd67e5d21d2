package train

import "math"

// Adam is the Adam optimizer (Kingma & Ba), following Keras 3
// (keras/src/optimizers/adam.py). With lr the learning rate, β₁ = Beta1,
// β₂ = Beta2, ε = Epsilon, g the gradient, w a parameter and t the
// 1-based step number (Iterations()+1), one step is
//
//	α = lr·√(1−β₂ᵗ) / (1−β₁ᵗ)
//	m ← m + (g − m)·(1−β₁)
//	v ← v + (g² − v)·(1−β₂)
//	AMSGrad: v̂ ← max(v̂, v), and v̂ replaces v below
//	w ← w − α·m / (√v + ε)              (ε outside the square root)
//
// with m, v and v̂ starting at zero. Slots, in order: m, v, and v̂ if AMSGrad.
//
// The learning rate (lr) and the decoupled weight decay (SetWeightDecay,
// applied before the update) live in the embedded base type that every
// optimizer shares; both may be changed between steps.
type Adam struct {
	optimizerBase
	// Beta1 is β₁, the decay of the first moment (Keras default 0.9).
	Beta1 float64
	// Beta2 is β₂, the decay of the second moment (Keras default 0.999).
	Beta2 float64
	// Epsilon is ε (Keras default 1e-7).
	Epsilon float64
	// AMSGrad uses the running maximum of v (Keras default false). A change
	// takes effect at the next Build.
	AMSGrad bool

	m, v, vhat []float32
}

// NewAdam returns Adam with the given settings, in Keras's argument order.
// The Keras defaults are NewAdam(0.001, 0.9, 0.999, 1e-7, false).
func NewAdam(lr, beta1, beta2, epsilon float64, amsgrad bool) *Adam {
	o := &Adam{Beta1: beta1, Beta2: beta2, Epsilon: epsilon, AMSGrad: amsgrad}
	o.lr = lr
	return o
}

var _ Optimizer = (*Adam)(nil)

// Name returns "adam".
func (o *Adam) Name() string { return "adam" }

// Build allocates the slots for n parameters and resets the state.
func (o *Adam) Build(n int) {
	s := o.build(n, true, true, o.AMSGrad)
	o.m, o.v, o.vhat = s[0], s[1], s[2]
}

// Step applies one Adam update to params in place.
func (o *Adam) Step(params, grads []float32) {
	o.beginStep(params, grads)
	t := float64(o.iterations + 1)
	alpha := float32(o.lr * math.Sqrt(1-math.Pow(o.Beta2, t)) / (1 - math.Pow(o.Beta1, t)))
	b1, b2, eps := float32(1-o.Beta1), float32(1-o.Beta2), float32(o.Epsilon)
	vhat := o.vhat
	g, m, v := grads[:len(params)], o.m[:len(params)], o.v[:len(params)]
	if vhat == nil {
		// The same update as the loop below, in adam_kernel.go (with an
		// AVX2 version in adam_amd64.s).
		adamKernel(params, g, m, v, alpha, b1, b2, eps)
		o.iterations++
		return
	}
	for i := range params {
		m[i] += (g[i] - m[i]) * b1
		v[i] += (g[i]*g[i] - v[i]) * b2
		vi := v[i]
		if vhat != nil {
			vhat[i] = max(vhat[i], vi)
			vi = vhat[i]
		}
		params[i] -= alpha * m[i] / (float32(math.Sqrt(float64(vi))) + eps)
	}
	o.iterations++
}
