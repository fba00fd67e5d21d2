package train

import (
	"errors"
	"fmt"
	"math"

	"github.com/descent-ml/descent/model"
)

// ClipGlobalNorm returns a hook that rescales the gradients so that their
// global L2 norm is at most maxNorm, as Keras 3's global_clipnorm does
// (keras/src/optimizers/base_optimizer.py, clip_by_global_norm):
//
//	‖g‖ = √(Σᵢ gᵢ²)                      (accumulated in float64)
//	g  ← g · min(1, maxNorm / ‖g‖)
//
// A non-finite norm makes every gradient NaN, as in Keras (its scale is
// maxNorm·min(1/‖g‖, 1/maxNorm) + (‖g‖ − ‖g‖)), so a diverged step is not
// hidden. maxNorm must be positive and finite.
func ClipGlobalNorm(maxNorm float64) (GradientHook, error) {
	if !(maxNorm > 0) || math.IsInf(maxNorm, 0) {
		return nil, fmt.Errorf("train: global clip norm must be positive and finite, got %v", maxNorm)
	}
	return GradientHookFunc(func(g *StepGradients) error {
		var ss float64
		for _, v := range g.Grads {
			ss += float64(v) * float64(v)
		}
		norm := math.Sqrt(ss)
		scale := maxNorm*math.Min(1/norm, 1/maxNorm) + (norm - norm)
		if scale == 1 {
			return nil
		}
		s := float32(scale)
		for i := range g.Grads {
			g.Grads[i] *= s
		}
		return nil
	}), nil
}

// ClipNorm returns a hook that clips the gradient of each variable of m —
// each layer's kernel and each layer's bias, the variables Keras sees — to
// an L2 norm of at most maxNorm, as Keras 3's clipnorm does
// (keras/src/optimizers/base_optimizer.py, _clip_by_norm, applied to every
// gradient separately):
//
//	‖g‖ = √(Σᵢ gᵢ²)                      (over one variable, in float64)
//	g  ← g·maxNorm / max(‖g‖, maxNorm)
//
// A variable whose norm is at most maxNorm is left exactly as it is (Keras
// multiplies and divides by maxNorm, which is the identity up to a
// rounding); a NaN norm leaves the variable unchanged, so the NaN reaches
// the update, and an infinite element becomes NaN (∞·maxNorm/∞). The
// variable boundaries come from m's layer layout, [W₀ | b₀ | W₁ | b₁ | …]
// (see package model), read once here: the hook is for gradients of m or of
// a model of the same architecture. maxNorm must be positive and finite.
func ClipNorm(m *model.Sequential, maxNorm float64) (GradientHook, error) {
	if !(maxNorm > 0) || math.IsInf(maxNorm, 0) {
		return nil, fmt.Errorf("train: clip norm must be positive and finite, got %v", maxNorm)
	}
	if m == nil {
		return nil, errors.New("train: ClipNorm needs the model whose variables it clips")
	}
	// ends[k] is the end of variable k in the flat buffer, from the
	// model's own views of each layer's kernel and bias.
	var ends []int
	off := 0
	for l := range len(m.Layers()) {
		w, b := m.Layer(l)
		off += len(w)
		ends = append(ends, off)
		off += len(b)
		ends = append(ends, off)
	}
	if off != m.NumParams() {
		return nil, fmt.Errorf("train: ClipNorm: the layers account for %d parameters, the model has %d", off, m.NumParams())
	}
	c := float32(maxNorm)
	return GradientHookFunc(func(g *StepGradients) error {
		if len(g.Grads) != off {
			return fmt.Errorf("train: ClipNorm built for %d parameters, got %d gradients", off, len(g.Grads))
		}
		start := 0
		for _, end := range ends {
			v := g.Grads[start:end]
			start = end
			var ss float64
			for _, x := range v {
				ss += float64(x) * float64(x)
			}
			norm := math.Sqrt(ss)
			if !(norm > maxNorm) {
				continue
			}
			n := float32(norm)
			for i, x := range v {
				v[i] = x * c / n
			}
		}
		return nil
	}), nil
}

// ClipValue returns a hook that clips every gradient element to
// [−maxValue, maxValue], as Keras 3's clipvalue does
// (keras/src/optimizers/base_optimizer.py, _clip_gradients:
// ops.clip(g, −v, v)). A NaN stays NaN. maxValue must be positive and
// finite.
func ClipValue(maxValue float64) (GradientHook, error) {
	if !(maxValue > 0) || math.IsInf(maxValue, 0) {
		return nil, fmt.Errorf("train: clip value must be positive and finite, got %v", maxValue)
	}
	hi := float32(maxValue)
	lo := -hi
	return GradientHookFunc(func(g *StepGradients) error {
		for i, x := range g.Grads {
			switch {
			case x > hi:
				g.Grads[i] = hi
			case x < lo:
				g.Grads[i] = lo
			}
		}
		return nil
	}), nil
}
