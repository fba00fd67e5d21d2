package train

import (
	"errors"
	"fmt"
)

// Allreducer is what data-parallel training needs of a communicator: an
// in-place, element-wise sum of a float32 buffer over every rank, and the
// number of ranks. *mpi.World (bindings/mpi) is one; train does not import
// it, so that the trainer builds without MPI and tests can use a fake.
type Allreducer interface {
	// AllreduceSumFloat32 replaces buf, on every rank, by the sum over the
	// ranks of their buf. Collective: every rank calls it with a buffer of
	// the same length, and every rank ends with the same values.
	AllreduceSumFloat32(buf []float32) error
	// Size is the number of ranks.
	Size() int
}

// AllreduceMean returns the hook of data-parallel training: it replaces
// the step's gradients by their mean over the ranks of c, with one
// allreduce of the whole flat gradient buffer per update,
//
//	g ← (Σ_r g_r) / Size
//
// so that, every rank starting from the same weights and training on its
// own shard with the same batch size, every rank applies the same update:
// that of one batch Size times as large (the batch's mean gradient), up to
// the order of float32 summation. The division is exact when Size is a
// power of two (a multiplication by 1/Size then rounds the same); other
// sizes divide. The ranks must step in lockstep with equal batch sizes (a
// smaller last batch on one rank would be weighted like a full one).
//
// A step whose update an earlier hook skips (AccumulateGradients between
// its updates) is not reduced: the ranks reduce only the accumulated mean,
// once per update, provided they all accumulate alike. Put AllreduceMean
// before clipping hooks, so that every rank clips the same global
// gradient. A warm hook allocates nothing; an allreduce error stops the
// step (Fit returns it).
func AllreduceMean(c Allreducer) (GradientHook, error) {
	if c == nil {
		return nil, errors.New("train: AllreduceMean needs a communicator")
	}
	n := c.Size()
	if n < 1 {
		return nil, fmt.Errorf("train: AllreduceMean: communicator of size %d", n)
	}
	return &allreduceMean{c: c, size: n}, nil
}

type allreduceMean struct {
	c    Allreducer
	size int
}

func (a *allreduceMean) OnGradients(g *StepGradients) error {
	if a.size == 1 || g.SkipUpdate {
		return nil
	}
	if err := a.c.AllreduceSumFloat32(g.Grads); err != nil {
		return fmt.Errorf("train: allreduce of %d gradients: %w", len(g.Grads), err)
	}
	if a.size&(a.size-1) == 0 {
		inv := 1 / float32(a.size) // exact: a power of two
		for i := range g.Grads {
			g.Grads[i] *= inv
		}
		return nil
	}
	s := float32(a.size)
	for i := range g.Grads {
		g.Grads[i] /= s
	}
	return nil
}
