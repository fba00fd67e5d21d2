package train

import (
	"context"
	"errors"
	"fmt"
)

// Reducer sums float64 buffers over the ranks of a data-parallel job:
// what Fit needs, besides the gradient hook's Allreducer, to keep the
// ranks' metrics and decisions equal. *mpi.World (bindings/mpi) is one.
type Reducer interface {
	// AllreduceSumFloat64 replaces buf, on every rank, by the element-wise
	// sum over the ranks of their buf. Collective: every rank calls it with
	// a buffer of the same length.
	AllreduceSumFloat64(buf []float64) error
}

// Distributed makes a Fit one rank of a data-parallel job of Size ranks
// (FitConfig.Distributed). Every rank runs Fit over the same data with the
// same Seed, from the same weights (the caller broadcasts them first), with
// a trainer whose batch size b is its shard of the global batch B = b·Size,
// and with AllreduceMean (over the same communicator) first among its
// gradient hooks. Then:
//
//   - Sharding: every rank shuffles the whole data set alike; step s of an
//     epoch trains the global batch idx[s·B : (s+1)·B], of which rank r takes
//     the rows r·b … (r+1)·b − 1. An epoch has ⌊n/B⌋ steps on every rank:
//     the short last global batch is dropped (up to B − 1 samples an epoch,
//     different ones every epoch), so that every rank steps in lockstep
//     with shards of equal size, as AllreduceMean requires.
//   - Metrics: after every step, one allreduce of a few float64 (the step's
//     loss and metric sums and samples, and one stop flag per rank) makes
//     the running loss and accuracy (or MAE) those of the global batches,
//     equal on every rank; a non-finite global loss stops every rank alike.
//   - Validation runs on rank 0 alone; its results are summed with the
//     others' zeros, so every rank sees rank 0's values exactly, and
//     callbacks (EarlyStopping, ReduceLROnPlateau) decide alike.
//   - Stopping: ctx is not checked locally between steps; a cancelled ctx
//     raises this rank's stop flag in the next step's allreduce, and every
//     rank then stops after that step with an error wrapping
//     context.Canceled. A callback's ErrStopTraining on any rank stops every
//     rank after that epoch (one more allreduce per epoch).
//
// Fit reads batches and validates with ctx's values but without its
// cancellation, so that no rank leaves a collective the others are in. An
// error on one rank (a failed read, a failed callback) returns from Fit
// on that rank only: the caller must then end the job (MPI_Abort), since
// the others wait for it in the next collective.
//
// Resume works as in a single-process Fit, every rank from the same
// FitState (one checkpoint, written by rank 0 alone: its running sums are
// already the global batches'), with the same parameters and optimizer
// state restored on every rank first; the steps that follow are those of
// a job that was never stopped. The state's Steps must be the distributed
// epoch's, ⌊n/B⌋: a state from a single-process Fit, whose epochs keep the
// short last batch (⌈n/B⌉ steps), is refused unless B divides n. Another
// number of ranks with the same global batch B resumes the same updates,
// up to the order of float32 summation.
type Distributed struct {
	// Rank is this process's rank, 0 ≤ Rank < Size.
	Rank int
	// Size is the number of ranks (≥ 1).
	Size int
	// Reducer sums over the ranks (the communicator of AllreduceMean).
	Reducer Reducer
}

// check verifies d for a Fit by a trainer of batch size b over n samples
// and returns the global batch.
func (d *Distributed) check(b, n int) (int, error) {
	switch {
	case d.Reducer == nil:
		return 0, errors.New("train: distributed: no Reducer")
	case d.Size < 1 || d.Rank < 0 || d.Rank >= d.Size:
		return 0, fmt.Errorf("train: distributed: rank %d of %d", d.Rank, d.Size)
	}
	global := b * d.Size
	if n < global {
		return 0, fmt.Errorf("train: distributed: %d training samples are fewer than one global batch of %d (%d ranks × %d)", n, global, d.Size, b)
	}
	return global, nil
}

// Layout of the per-step buffer of distState.
const (
	redLoss = iota
	redMetric
	redSeen
	redStop // then one stop flag per rank
)

// distState is a distributed Fit's reduction buffers, made once per Fit.
type distState struct {
	d      *Distributed
	global int
	ctx    context.Context // Fit's own: its cancellation raises the stop flag
	step   []float64       // redStop + Size
	val    []float64       // validation: loss, accuracy, MAE, R², has
	flag   []float64       // the epoch's stop flag
}

func newDistState(d *Distributed, global int, ctx context.Context) *distState {
	return &distState{d: d, global: global, ctx: ctx, step: make([]float64, redStop+d.Size), val: make([]float64, 5), flag: make([]float64, 1)}
}

// reduceStep sums the step's loss and metric sums and samples over the
// ranks, with this rank's stop flag (raised once Fit's ctx is cancelled);
// it returns the global sums and the ranks that asked to stop (nil if
// none).
func (s *distState) reduceStep(loss, metric float64, n int) (gl, gm float64, gn int, stopped []int, err error) {
	b := s.step
	clear(b)
	b[redLoss], b[redMetric], b[redSeen] = loss, metric, float64(n)
	if s.ctx.Err() != nil {
		b[redStop+s.d.Rank] = 1
	}
	if err := s.d.Reducer.AllreduceSumFloat64(b); err != nil {
		return 0, 0, 0, nil, fmt.Errorf("distributed: allreduce of the step's metrics: %w", err)
	}
	for r, f := range b[redStop:] {
		if f != 0 {
			stopped = append(stopped, r) // only when stopping: no allocation per step
		}
	}
	return b[redLoss], b[redMetric], int(b[redSeen]), stopped, nil
}

// shareValidation makes every rank's validation results rank 0's (the
// others add zeros, which leaves them exact).
func (s *distState) shareValidation(ev *Evaluation) error {
	b := s.val
	clear(b)
	if s.d.Rank == 0 {
		b[0], b[1], b[2], b[3], b[4] = ev.Loss, ev.Accuracy, ev.MAE, ev.R2, 1
	}
	if err := s.d.Reducer.AllreduceSumFloat64(b); err != nil {
		return fmt.Errorf("distributed: allreduce of the validation results: %w", err)
	}
	if b[4] != 1 {
		return fmt.Errorf("distributed: validation results from %v ranks, want rank 0's alone", b[4])
	}
	ev.Loss, ev.Accuracy, ev.MAE, ev.R2 = b[0], b[1], b[2], b[3]
	return nil
}

// agreeStop reports whether any rank's callbacks stopped the training.
func (s *distState) agreeStop(stop bool) (bool, error) {
	s.flag[0] = 0
	if stop {
		s.flag[0] = 1
	}
	if err := s.d.Reducer.AllreduceSumFloat64(s.flag); err != nil {
		return false, fmt.Errorf("distributed: allreduce of the stop flag: %w", err)
	}
	return s.flag[0] != 0, nil
}

// ErrPeerStopped is wrapped by the error a distributed Fit returns on the
// ranks whose own ctx was not cancelled when another rank's was: the job
// stops together. It wraps context.Canceled too (errors.Is).
var ErrPeerStopped = errors.New("another rank was interrupted")

// stopError is the error of a distributed Fit stopped after step of
// epoch because the ranks stopped asked to: this rank's ctx error if it is
// one of them, else ErrPeerStopped with context.Canceled.
func (s *distState) stopError(epoch, step, steps int, stopped []int) error {
	where := fmt.Sprintf("train: epoch %d, step %d of %d: rank(s) %v of %d interrupted", epoch, step, steps, stopped, s.d.Size)
	if err := s.ctx.Err(); err != nil {
		return fmt.Errorf("%s: %w", where, err)
	}
	return fmt.Errorf("%s: %w (%w)", where, ErrPeerStopped, context.Canceled)
}
