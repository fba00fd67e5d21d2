package train

import (
	"fmt"
	"math"

	"github.com/descent-ml/descent/backend"
)

// smoothing is label smoothing as an affine map of a target,
// y ↦ y·keep + add, rounded in T the way Keras computes it (the product
// is rounded before the sum; the conversion forbids an FMA). keep = 1 and
// add = 0 (noSmoothing) return every target unchanged.
type smoothing[T backend.Float] struct{ keep, add T }

func (s smoothing[T]) apply(y T) T { return T(y*s.keep) + s.add }

func noSmoothing[T backend.Float]() smoothing[T] { return smoothing[T]{keep: 1} }

// categoricalSmoothing is Keras's y·(1 − ls) + ls/K for K classes:
// 1 − ls in float64 (a Python float) then rounded, ls/K in T (Keras casts
// the class count to the predictions' dtype).
func categoricalSmoothing[T backend.Float](ls float64, classes int) smoothing[T] {
	if ls == 0 {
		return noSmoothing[T]()
	}
	return smoothing[T]{keep: T(1 - ls), add: T(ls) / T(classes)}
}

// binarySmoothing is Keras's y·(1 − ls) + 0.5·ls.
func binarySmoothing[T backend.Float](ls float64) smoothing[T] {
	if ls == 0 {
		return noSmoothing[T]()
	}
	return smoothing[T]{keep: T(1 - ls), add: T(0.5 * ls)}
}

// WithLabelSmoothing returns loss with Keras 3's label_smoothing set to ls:
// a [CategoricalCrossentropyLoss] or [BinaryCrossentropyLoss] with its
// LabelSmoothing field set. ls must lie in [0, 1], as Keras documents; ls =
// 0 returns loss unchanged, whatever it is. Other losses have no label
// smoothing in Keras (sparse categorical cross-entropy and mean squared
// error included), and give an error.
func WithLabelSmoothing(loss Loss, ls float64) (Loss, error) {
	if !(ls >= 0 && ls <= 1) || math.IsNaN(ls) {
		return nil, fmt.Errorf("train: label smoothing must be in [0, 1], got %v", ls)
	}
	if ls == 0 {
		return loss, nil
	}
	switch l := loss.(type) {
	case CategoricalCrossentropyLoss:
		l.LabelSmoothing = ls
		return l, nil
	case BinaryCrossentropyLoss:
		l.LabelSmoothing = ls
		return l, nil
	}
	name := "<nil>"
	if loss != nil {
		name = loss.Name()
	}
	return nil, fmt.Errorf("train: loss %s has no label smoothing (categorical_crossentropy and binary_crossentropy have)", name)
}
