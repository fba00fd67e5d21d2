package train

import (
	"errors"
	"fmt"
)

// optimizerBase is the plumbing shared by every optimizer: the learning
// rate, the decoupled weight decay, the iteration counter, the
// per-parameter slot buffers and their checkpoint state. Each optimizer embeds it and adds its
// hyperparameters, Name, Build and Step.
type optimizerBase struct {
	// lr is the step size. It is read on every Step, so it may be changed
	// between steps (SetLearningRate: a schedule, a range test).
	lr float64
	// wd is the decoupled weight decay (SetWeightDecay), 0 for none.
	wd float64

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

// beginStep is the start of every Step: it checks the buffers (checkStep)
// and then applies the decoupled weight decay, before the rule's update, as
// Keras does (base_optimizer.py: _clip_gradients, then _apply_weight_decay,
// then update_step).
func (b *optimizerBase) beginStep(params, grads []float32) {
	b.checkStep(params, grads)
	b.applyWeightDecay(params)
}

// applyWeightDecay is Keras 3's _apply_weight_decay
// (keras/src/optimizers/base_optimizer.py) on every parameter:
//
//	w ← w − w·wd·lr
//
// with wd and lr rounded to float32 and the products rounded in Keras's
// order, (w·wd)·lr (the conversions forbid fusing into an FMA). Keras
// excludes no variable unless exclude_from_weight_decay is called, so every
// kernel and every bias is decayed here too. wd = 0 does nothing.
func (b *optimizerBase) applyWeightDecay(params []float32) {
	if b.wd == 0 {
		return
	}
	wd, lr := float32(b.wd), float32(b.lr)
	for i, w := range params {
		params[i] = w - float32(float32(w*wd)*lr)
	}
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

// WeightDecay returns the decoupled weight decay wd (0: none).
func (b *optimizerBase) WeightDecay() float64 { return b.wd }

// SetWeightDecay sets the decoupled weight decay of the following Steps,
// Keras 3's weight_decay= argument of every optimizer: before each update,
// every parameter w becomes w − w·wd·lr, lr the current learning rate (so a
// schedule scales the decay too). 0 turns it off. Like the learning rate it
// is configuration, not State. wd must be finite and non-negative; the
// caller checks (a CLI flag gives a usage error).
func (b *optimizerBase) SetWeightDecay(wd float64) { b.wd = wd }

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
