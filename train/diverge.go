package train

import (
	"errors"
	"fmt"
	"math"
)

// NonFinitePolicy says what Fit does when a training loss (or a validation
// loss) is not finite: NaN or ±Inf, the mark of a diverged run.
type NonFinitePolicy int

const (
	// NonFiniteStop, the default, stops training at the step where the
	// non-finite loss appears and makes Fit return a *DivergedError (which
	// wraps ErrDiverged) with the history of the completed epochs.
	NonFiniteStop NonFinitePolicy = iota
	// NonFiniteContinue trains on and reports the non-finite losses, as
	// Keras does without its TerminateOnNaN callback.
	NonFiniteContinue
)

// String returns "stop" or "continue".
func (p NonFinitePolicy) String() string {
	switch p {
	case NonFiniteStop:
		return "stop"
	case NonFiniteContinue:
		return "continue"
	}
	return fmt.Sprintf("NonFinitePolicy(%d)", int(p))
}

// ParseNonFinitePolicy parses "stop" or "continue".
func ParseNonFinitePolicy(s string) (NonFinitePolicy, error) {
	switch s {
	case "stop":
		return NonFiniteStop, nil
	case "continue":
		return NonFiniteContinue, nil
	}
	return 0, fmt.Errorf("train: unknown non-finite policy %q (want stop or continue)", s)
}

// ErrDiverged is wrapped by the error Fit returns when it stops because a
// loss is not finite (see NonFiniteStop).
var ErrDiverged = errors.New("training diverged")

// DivergedError says where a run diverged. It wraps ErrDiverged.
type DivergedError struct {
	// Epoch and Step (both from 1, Step of Steps) locate the batch whose
	// loss was not finite. For a non-finite validation loss, Validation is
	// set and Step is Steps: the epoch's training losses were finite, its
	// last update was not.
	Epoch, Step, Steps int
	Validation         bool
	// Loss is the non-finite value: the batch's mean loss, or the
	// validation loss.
	Loss float64
}

// Error says where and what.
func (e *DivergedError) Error() string {
	if e.Validation {
		return fmt.Sprintf("train: epoch %d: validation loss is %v: %v", e.Epoch, e.Loss, ErrDiverged)
	}
	return fmt.Sprintf("train: epoch %d, step %d of %d: loss is %v: %v", e.Epoch, e.Step, e.Steps, e.Loss, ErrDiverged)
}

// Unwrap returns ErrDiverged.
func (e *DivergedError) Unwrap() error { return ErrDiverged }

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
