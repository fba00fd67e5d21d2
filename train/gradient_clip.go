package train

import (
	"fmt"
	"math"
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
