package train

import "math"

// r2Sums accumulates, per output, what the regression metrics need in one
// pass: the sums of the target, its square and the squared and absolute
// errors.
type r2Sums struct {
	n                          int
	shift                      []float64 // the first sample's targets
	sumY, sumY2, sumSq, sumAbs []float64 // sumY and sumY2 of y − shift
}

func newR2Sums(outputs int) *r2Sums {
	return &r2Sums{shift: make([]float64, outputs), sumY: make([]float64, outputs), sumY2: make([]float64, outputs),
		sumSq: make([]float64, outputs), sumAbs: make([]float64, outputs)}
}

// add counts one sample's predictions and targets.
func (s *r2Sums) add(pred, y []float32) {
	if s.n == 0 {
		for j := range s.shift {
			s.shift[j] = float64(y[j])
		}
	}
	s.n++
	for j, p := range pred {
		t, e := float64(y[j])-s.shift[j], float64(p)-float64(y[j])
		s.sumY[j] += t
		s.sumY2[j] += t * t
		s.sumSq[j] += e * e
		s.sumAbs[j] += math.Abs(e)
	}
}

// scores returns the mean squared and absolute errors over all outputs and
// R² averaged over the outputs, as scikit-learn's r2_score
// (multioutput="uniform_average", force_finite=True) defines it:
//
//	R²ⱼ = 1 − Σᵢ(ŷᵢⱼ − yᵢⱼ)² / Σᵢ(yᵢⱼ − ȳⱼ)²
//
// with 1 for a constant target predicted exactly and 0 for a constant
// target predicted with error. Σᵢ(yᵢⱼ − ȳⱼ)² is Σd² − (Σd)²/n of the
// targets shifted by the first one, d = y − y₁, in float64: the shift keeps
// the subtraction from cancelling when the mean is far from zero.
func (s *r2Sums) scores() (mse, mae, r2 float64) {
	k, n := len(s.sumY), float64(s.n)
	for j := range s.sumY {
		mse += s.sumSq[j] / n
		mae += s.sumAbs[j] / n
		ssTot := s.sumY2[j] - s.sumY[j]*s.sumY[j]/n
		switch {
		case ssTot > 0:
			r2 += 1 - s.sumSq[j]/ssTot
		case s.sumSq[j] == 0:
			r2++
		}
	}
	return mse / float64(k), mae / float64(k), r2 / float64(k)
}
