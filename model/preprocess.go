package model

import (
	"fmt"
	"math"
)

// Preprocessing maps a model's raw input features (what a user or a client
// of descent serve sends: 0–255 pixels for MNIST) to the values its first
// layer was trained on, feature by feature:
//
//	x′ⱼ = (xⱼ − Shiftⱼ) / Divisorⱼ
//
// Shift and Divisor hold one value for every feature, or a single value
// broadcast to all of them; empty means identity. It is part of the model
// file, so that evaluate, predict and serve apply what training applied.
//
// Kind names how the values were chosen: "none", "scale" (a constant
// divisor, e.g. 255 for uint8 images) and, fitted on the training split,
// "standardize" (mean and standard deviation) or "minmax".
type Preprocessing struct {
	Kind    string    `json:"kind"`
	Shift   []float32 `json:"shift,omitempty"`
	Divisor []float32 `json:"divisor,omitempty"`
}

// NoPreprocessing is the identity: the model takes its raw features as they
// are.
func NoPreprocessing() Preprocessing { return Preprocessing{Kind: "none"} }

// ScaleBy divides every feature by d: ScaleBy(255) is the [0, 1] scaling of
// uint8 images that package data applies (float32(pixel)/255, bit for bit).
func ScaleBy(d float32) Preprocessing {
	return Preprocessing{Kind: "scale", Shift: []float32{0}, Divisor: []float32{d}}
}

// IsIdentity reports whether p leaves every feature unchanged.
func (p Preprocessing) IsIdentity() bool {
	for _, s := range p.Shift {
		if s != 0 {
			return false
		}
	}
	for _, d := range p.Divisor {
		if d != 1 {
			return false
		}
	}
	return true
}

// Validate checks p for a model of the given input size: lengths 0, 1 or
// features, finite values, non-zero divisors.
func (p Preprocessing) Validate(features int) error {
	for _, v := range []struct {
		name string
		xs   []float32
	}{{"shift", p.Shift}, {"divisor", p.Divisor}} {
		if n := len(v.xs); n > 1 && n != features {
			return fmt.Errorf("model: preprocessing %s has %d values, want 1 or %d (one per feature)", v.name, n, features)
		}
		for i, x := range v.xs {
			if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
				return fmt.Errorf("model: preprocessing %s[%d] is %v", v.name, i, x)
			}
			if v.name == "divisor" && x == 0 {
				return fmt.Errorf("model: preprocessing divisor[%d] is 0", i)
			}
		}
	}
	return nil
}

// Apply writes the preprocessed rows of raw ((rows, features) row-major)
// into dst, which may be raw itself. It allocates nothing.
func (p Preprocessing) Apply(dst, raw []float32, rows, features int) {
	n := rows * features
	dst, raw = dst[:n], raw[:n]
	if p.IsIdentity() {
		copy(dst, raw)
		return
	}
	at := func(xs []float32, j int, def float32) float32 {
		switch len(xs) {
		case 0:
			return def
		case 1:
			return xs[0]
		}
		return xs[j]
	}
	if len(p.Shift) <= 1 && len(p.Divisor) <= 1 { // the common case: one constant
		affine(dst, raw, at(p.Shift, 0, 0), at(p.Divisor, 0, 1))
		return
	}
	for r := 0; r < rows; r++ {
		row, out := raw[r*features:(r+1)*features], dst[r*features:(r+1)*features]
		for j, x := range row {
			out[j] = (x - at(p.Shift, j, 0)) / at(p.Divisor, j, 1)
		}
	}
}

func (p Preprocessing) clone() Preprocessing {
	return Preprocessing{Kind: p.Kind, Shift: append([]float32(nil), p.Shift...), Divisor: append([]float32(nil), p.Divisor...)}
}

// affineScalar is the reference loop of affine: dst[i] = (src[i] − s)/d.
func affineScalar(dst, src []float32, s, d float32) {
	dst = dst[:len(src)]
	for i, x := range src {
		dst[i] = (x - s) / d
	}
}
