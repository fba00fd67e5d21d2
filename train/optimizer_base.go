package train

import (
	"errors"
	"fmt"
)

// optimizerBase is the plumbing shared by SGD, RMSprop and Adam: the
// learning rate, the iteration counter, the per-parameter slot buffers and
// their checkpoint state. Each optimizer embeds it and adds its
// hyperparameters, Name, Build and Step.
type optimizerBase struct {
	// lr is the step size. It is read on every Step, so it may be changed
	// between steps (SetLearningRate: a schedule, a range test).
	lr float64

	built      bool
	n          int // parameter count given to Build
	iterations int64
	slots      [][]float32 // the slots that exist, in the documented order
}

// build allocates one zeroed slot of n values for each true entry of want,
// in order, and resets the counter. It returns one entry per want, nil where
// the slot was not asked for, so the caller can keep each slot by its role.
func (b *optimizerBase) build(n int, want ...bool) [][]float32 {
	if n < 0 {
		panic(fmt.Sprintf("train: Build(%d): negative parameter count", n))
	}
	k := 0
	for _, w := range want {
		if w {
			k++
		}
	}
	buf := make([]float32, k*n) // one allocation for all slots
	roles := make([][]float32, len(want))
	b.slots = b.slots[:0]
	for i, w := range want {
		if w {
			roles[i] = buf[:n:n]
			buf = buf[n:]
			b.slots = append(b.slots, roles[i])
		}
	}
	b.built, b.n, b.iterations = true, n, 0
	return roles
}

// checkStep panics unless Build was called and params and grads have the
// parameter count given to it.
func (b *optimizerBase) checkStep(params, grads []float32) {
	if !b.built {
		panic("train: optimizer Step before Build")
	}
	if len(params) != b.n || len(grads) != b.n {
		panic(fmt.Sprintf("train: optimizer Step with %d params and %d grads, built for %d",
			len(params), len(grads), b.n))
	}
}

// Iterations is the number of Steps taken since Build.
func (b *optimizerBase) Iterations() int64 { return b.iterations }

// LearningRate returns the step size the next Step uses.
func (b *optimizerBase) LearningRate() float64 { return b.lr }

// SetLearningRate sets the step size of the following Steps (Keras's
// optimizer.learning_rate = lr); it is not part of the State.
func (b *optimizerBase) SetLearningRate(lr float64) { b.lr = lr }

// State returns a copy of the iteration counter and the slots.
func (b *optimizerBase) State() OptimizerState {
	s := OptimizerState{Iterations: b.iterations, Slots: make([][]float32, len(b.slots))}
	for i, slot := range b.slots {
		s.Slots[i] = append([]float32(nil), slot...)
	}
	return s
}

// SetState copies s into the optimizer, which must have been built for the
// same parameter count and with a configuration that has the same slots.
// On error the optimizer is left unchanged.
func (b *optimizerBase) SetState(s OptimizerState) error {
	if !b.built {
		return errors.New("train: optimizer SetState before Build")
	}
	if s.Iterations < 0 {
		return fmt.Errorf("train: optimizer state has %d iterations", s.Iterations)
	}
	if len(s.Slots) != len(b.slots) {
		return fmt.Errorf("train: optimizer state has %d slots, this optimizer has %d",
			len(s.Slots), len(b.slots))
	}
	for i, slot := range s.Slots {
		if len(slot) != b.n {
			return fmt.Errorf("train: optimizer state slot %d has %d values, want %d",
				i, len(slot), b.n)
		}
	}
	for i, slot := range s.Slots {
		copy(b.slots[i], slot)
	}
	b.iterations = s.Iterations
	return nil
}
