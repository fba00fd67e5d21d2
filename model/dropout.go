package model

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// DropoutKey identifies the masks of one training forward pass (see
// ForwardTraining): the run's Seed, and the Step and Sub-step within it.
// Package train uses (its dropout seed, the optimizer's iterations, the
// forward passes since the last update).
//
// The mask of layer l is a pure function of the key and l, so that it
// depends neither on the engine, the thread count nor what ran before (a
// resumed run draws the masks of the run never stopped):
//
//	rng    = PCG(key.Seed, mix(mix(mix(key.Step) + key.Sub) + l))   mix: SplitMix64's finaliser
//	u_i    = low 32 bits of rng's (i/2)-th Uint64 for even i, high 32 bits for odd i
//	keep_i = u_i ≥ ⌈rate·2³²⌉                                      i: row-major index in (batch, units)
//	mask_i = keep_i ? float32(1/(1−rate)) : 0
//
// so P(drop) = ⌈rate·2³²⌉/2³², within 2⁻³² of rate.
type DropoutKey struct {
	Seed, Step, Sub uint64
}

// WithDropout returns l followed by dropout at rate, Keras's Dense(...)
// then keras.layers.Dropout(rate): in training (ForwardTraining), each
// value of the layer's output is zeroed with probability rate and the kept
// ones are scaled by 1/(1−rate) (inverted dropout), so that nothing
// changes at inference (Forward, package predict), where dropout is the
// identity. The rate must be in [0, 1); 0 is no dropout; the last layer of
// a Sequential takes none.
func (l Layer) WithDropout(rate float64) Layer {
	l.Dropout = rate
	return l
}

// validDropout checks a dropout rate: 0 ≤ rate < 1.
func validDropout(rate float64) error {
	if math.IsNaN(rate) || rate < 0 || rate >= 1 {
		return fmt.Errorf("dropout rate must be in [0, 1), got %v", rate)
	}
	return nil
}

// mix64 is SplitMix64's finaliser, a bijection of uint64.
func mix64(z uint64) uint64 {
	z += 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// dropoutThreshold is ⌈rate·2³²⌉: a 32-bit draw below it drops the value.
func dropoutThreshold(rate float64) uint64 {
	return uint64(math.Ceil(math.Ldexp(rate, 32)))
}

// drawMask fills mask (n values) for layer l under key: 0 where dropped,
// 1/(1−rate) where kept. pcg is reseeded, so nothing of its past matters.
func drawMask(pcg *rand.PCG, key DropoutKey, l int, rate float64, mask []float32) {
	pcg.Seed(key.Seed, mix64(mix64(mix64(key.Step)+key.Sub)+uint64(l)))
	thr := dropoutThreshold(rate)
	scale := float32(1 / (1 - rate))
	n := len(mask)
	i := 0
	for ; i+1 < n; i += 2 {
		u := pcg.Uint64()
		mask[i], mask[i+1] = 0, 0
		if u&0xffffffff >= thr {
			mask[i] = scale
		}
		if u>>32 >= thr {
			mask[i+1] = scale
		}
	}
	if i < n {
		mask[i] = 0
		if pcg.Uint64()&0xffffffff >= thr {
			mask[i] = scale
		}
	}
}

// dropoutForward is d = y ⊙ mask, the dropped output of a layer.
//
//	y, mask, d are (batch, units); mask is 0 or 1/(1−rate)
func dropoutForward(y, mask, d []float32) {
	d = d[:len(y)]
	mask = mask[:len(y)]
	for i, v := range y {
		d[i] = v * mask[i]
	}
}

// dropoutBackward turns ∂L/∂d into ∂L/∂y in place: ∂L/∂y = ∂L/∂d ⊙ mask.
//
//	dd, mask are (batch, units)
func dropoutBackward(dd, mask []float32) {
	mask = mask[:len(dd)]
	for i := range dd {
		dd[i] *= mask[i]
	}
}
