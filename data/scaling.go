package data

import (
	"context"
	"fmt"
	"math"
	"strings"
)

// The normalisations of --normalize, as scikit-learn names their
// counterparts.
const (
	// NormalizeNone leaves the features as the source serves them.
	NormalizeNone = "none"
	// NormalizeScale divides every feature by 255, the range of uint8
	// pixels (a Dataset already serves pixel/255, so for it this is the
	// identity).
	NormalizeScale = "scale"
	// NormalizeStandardize subtracts each feature's mean and divides by its
	// standard deviation (population, ddof 0), both over the training data:
	// StandardScaler. A constant feature is divided by 1.
	NormalizeStandardize = "standardize"
	// NormalizeMinMax maps each feature's training range to [0, 1]:
	// MinMaxScaler. A constant feature is divided by 1.
	NormalizeMinMax = "minmax"
)

// NormalizeKinds lists the normalisations, for usage messages.
var normalizeKinds = []string{NormalizeNone, NormalizeScale, NormalizeStandardize, NormalizeMinMax}

// Scaling is an affine map of each feature, fitted on training data:
//
//	x′ⱼ = (xⱼ − Shiftⱼ) / Divisorⱼ
//
// Shift and Divisor hold one value per feature. It is what the model file
// records as its preprocessing (composed with what the source itself does
// to the raw values, see Dataset).
type Scaling struct {
	Kind           string
	Shift, Divisor []float32
}

// IsIdentity reports whether s changes nothing.
func (s Scaling) IsIdentity() bool {
	for j := range s.Shift {
		if s.Shift[j] != 0 || s.Divisor[j] != 1 {
			return false
		}
	}
	return true
}

// FitScaling fits the normalisation kind on every sample of src (the
// training split), reading it in batches; statistics are accumulated in
// float64. scale is the constant 1/255 for a Source of raw values and the
// identity for a Dataset, which serves pixels already divided by 255.
func FitScaling(ctx context.Context, kind string, src Source) (Scaling, error) {
	f := src.Features()
	s := Scaling{Kind: kind, Shift: make([]float32, f), Divisor: make([]float32, f)}
	for j := range s.Divisor {
		s.Divisor[j] = 1
	}
	switch kind {
	case NormalizeNone:
		return s, nil
	case NormalizeScale:
		if _, ok := src.(*Dataset); !ok {
			for j := range s.Divisor {
				s.Divisor[j] = 255
			}
		}
		return s, nil
	case NormalizeStandardize, NormalizeMinMax:
	default:
		return Scaling{}, fmt.Errorf("unknown normalisation %q (want %s)", kind, strings.Join(normalizeKinds, ", "))
	}
	n := src.Len()
	if n == 0 {
		return Scaling{}, fmt.Errorf("data: fitting %s on no samples", kind)
	}
	sum, sq := make([]float64, f), make([]float64, f)
	lo, hi := make([]float64, f), make([]float64, f)
	for j := range lo {
		lo[j], hi[j] = math.Inf(1), math.Inf(-1)
	}
	var shift []float64 // the first sample: statistics of x − shift do not cancel
	err := InOrder(ctx, src, 256, func(_, r int, x, _ []float32, _ []int) error {
		if shift == nil {
			shift = make([]float64, f)
			for j := range shift {
				shift[j] = float64(x[j])
			}
		}
		for i := 0; i < r; i++ {
			for j, v := range x[i*f : (i+1)*f] {
				d := float64(v) - shift[j]
				sum[j] += d
				sq[j] += d * d
				lo[j], hi[j] = math.Min(lo[j], float64(v)), math.Max(hi[j], float64(v))
			}
		}
		return nil
	})
	if err != nil {
		return Scaling{}, fmt.Errorf("data: fitting %s: %w", kind, err)
	}
	for j := 0; j < f; j++ {
		var sh, dv float64
		if kind == NormalizeStandardize {
			mean := sum[j] / float64(n)
			sh, dv = shift[j]+mean, math.Sqrt(math.Max(sq[j]/float64(n)-mean*mean, 0))
		} else {
			sh, dv = lo[j], hi[j]-lo[j]
		}
		if !(float32(dv) > 0) || math.IsInf(float64(float32(dv)), 0) {
			dv = 1 // constant feature (or beyond float32): leave it unscaled
		}
		s.Shift[j], s.Divisor[j] = float32(sh), float32(dv)
	}
	return s, nil
}

// ScaledSource serves another Source's samples with a Scaling applied to
// their features.
type ScaledSource struct {
	Source
	s Scaling
}

// Scaled returns src with s applied to every batch's features, in place,
// allocating nothing. It is src itself when s is the identity.
func Scaled(src Source, s Scaling) (Source, error) {
	if len(s.Shift) != src.Features() || len(s.Divisor) != src.Features() {
		return nil, fmt.Errorf("data: a scaling of %d/%d values for %d features", len(s.Shift), len(s.Divisor), src.Features())
	}
	if s.IsIdentity() {
		return src, nil
	}
	return &ScaledSource{Source: src, s: s}, nil
}

// Unscaled returns the source under the scaling.
func (s *ScaledSource) Unscaled() Source { return s.Source }

// Batch writes the samples idx (see Source), scaled.
func (s *ScaledSource) Batch(ctx context.Context, idx []int, x, y []float32, labels []int) error {
	if err := s.Source.Batch(ctx, idx, x, y, labels); err != nil {
		return err
	}
	f := len(s.s.Shift)
	for i := range idx {
		row := x[i*f : (i+1)*f]
		for j, v := range row {
			row[j] = (v - s.s.Shift[j]) / s.s.Divisor[j]
		}
	}
	return nil
}
