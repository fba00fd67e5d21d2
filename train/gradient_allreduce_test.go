package train_test

import (
	"errors"
	"math"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/descent-ml/descent/data"
	"github.com/descent-ml/descent/train"
)

// sumWorld is an in-process collective of n ranks, for the tests: each
// rank's goroutine calls allreduce with its rank; the last to arrive sums
// the buffers in rank order, ((b₀ + b₁) + b₂) + …, writes the sum into
// every rank's buffer and releases them. Like MPI it is collective: a rank
// that does not call it leaves the others waiting. fakeWorld (float32, the
// gradients) and the float64 world of Fit's metrics are its two instances.
type sumWorld[T float32 | float64] struct {
	n       int
	mu      sync.Mutex
	cond    *sync.Cond
	bufs    [][]T
	sum     []T
	arrived int
	gen     int
	calls   int
}

func newSumWorld[T float32 | float64](n int) *sumWorld[T] {
	w := &sumWorld[T]{n: n, bufs: make([][]T, n)}
	w.cond = sync.NewCond(&w.mu)
	return w
}

func (w *sumWorld[T]) allreduce(rank int, buf []T) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	gen := w.gen
	w.bufs[rank] = buf
	w.arrived++
	if w.arrived < w.n {
		for gen == w.gen {
			w.cond.Wait()
		}
		return nil
	}
	if len(w.sum) != len(buf) {
		w.sum = make([]T, len(buf))
	}
	copy(w.sum, w.bufs[0])
	for _, b := range w.bufs[1:] {
		if len(b) != len(w.sum) {
			panic("sumWorld: buffers of different lengths")
		}
		for i, v := range b {
			w.sum[i] += v
		}
	}
	for _, b := range w.bufs {
		copy(b, w.sum)
	}
	w.arrived, w.calls = 0, w.calls+1
	w.gen++
	w.cond.Broadcast()
	return nil
}

// fakeWorld is the float32 sumWorld behind AllreduceMean's Allreducer.
type fakeWorld = sumWorld[float32]

func newFakeWorld(n int) *fakeWorld { return newSumWorld[float32](n) }

type fakeRank struct {
	w    *fakeWorld
	rank int
}

func (r fakeRank) Size() int { return r.w.n }

func (r fakeRank) AllreduceSumFloat32(buf []float32) error { return r.w.allreduce(r.rank, buf) }

// stepRanks runs one TrainBatch on every trainer at once, rank r on its
// shard idx[r], as the ranks of a data-parallel job do.
func stepRanks(t *testing.T, trs []*train.Trainer, src *data.Dataset, shard func(r int) []int) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make([]error, len(trs))
	for r, tr := range trs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, errs[r] = tr.TrainBatch(src, shard(r))
		}()
	}
	wg.Wait()
	for r, err := range errs {
		require.NoError(t, err, "rank %d", r)
	}
}

func maxAbsDiff(a, b []float32) float64 {
	var worst float64
	for i := range a {
		worst = math.Max(worst, math.Abs(float64(a[i])-float64(b[i])))
	}
	return worst
}

func maxAbs(a []float32) float64 {
	var m float64
	for _, v := range a {
		m = math.Max(m, math.Abs(float64(v)))
	}
	return m
}

// Two ranks on halves of each batch end every step with bitwise identical
// weights (they apply the same reduced buffer), and close to one trainer
// on the whole batch. The only differences are of float32 order: the
// whole-batch gradient sums 2·half per-sample terms in one order, the ranks
// sum two halves and then add them (the scalings 1/half, ½ and 1/(2·half)
// are powers of two, exact). To first order, per step and per weight,
//
//	|Δp| ≤ 2u·|p| + lr·(2·half)·u·G,   u = 2⁻²⁴,
//
// the first term the update's rounding on either side, the second the
// reordered sum's error with G a bound on the per-sample terms; taking
// G = 2·half·max|g| (no term larger than the whole mean times the count,
// which holds here as the terms do not cancel much — a heuristic, not a
// proof) and summing over the steps gives the tolerance below (about 6e-6
// here; the measured difference is one rounding, 6e-8).
func TestAllreduceMeanTwoRanksMatchOneBatch(t *testing.T) {
	const steps, half = 8, 4
	w := newFakeWorld(2)
	var trs []*train.Trainer
	for r := range 2 {
		h, err := train.AllreduceMean(fakeRank{w, r})
		require.NoError(t, err)
		trs = append(trs, newSGDTrainer(t, smallNet(t), half, train.WithGradientHooks(h)))
	}
	ref := newSGDTrainer(t, smallNet(t), 2*half)
	src := smallSet(32, 7)
	var worst, gmax, pmax float64
	for s := range steps {
		base := (s * 2 * half) % 32
		stepRanks(t, trs, src, func(r int) []int { return seq(base+r*half, base+(r+1)*half) })
		_, _, err := ref.TrainBatch(src, seq(base, base+2*half))
		require.NoError(t, err)
		require.Equal(t, trs[0].Model().Params, trs[1].Model().Params, "step %d: the ranks' weights differ", s)
		worst = math.Max(worst, maxAbsDiff(trs[0].Model().Params, ref.Model().Params))
		gmax = math.Max(gmax, maxAbs(ref.Gradients()))
		pmax = math.Max(pmax, maxAbs(ref.Model().Params))
	}
	assert.Equal(t, steps, w.calls, "one allreduce per step")
	const u, lr = 0x1p-24, 0.5
	tol := steps * (2*u*pmax + lr*2*half*u*2*half*gmax)
	t.Logf("max |Δparam| to one trainer on the whole batch over %d steps: %.3g; tolerance %.3g (max |p| %.3g, max |g| %.3g)", steps, worst, tol, pmax, gmax)
	assert.LessOrEqual(t, worst, tol)
}

// With the same shard on both ranks the sum is 2g, exact, and its half is g
// again: the ranks match, bitwise, one trainer on that shard.
func TestAllreduceMeanIdenticalShardsBitwise(t *testing.T) {
	w := newFakeWorld(2)
	var trs []*train.Trainer
	for r := range 2 {
		h, err := train.AllreduceMean(fakeRank{w, r})
		require.NoError(t, err)
		trs = append(trs, newSGDTrainer(t, smallNet(t), 4, train.WithGradientHooks(h)))
	}
	ref := newSGDTrainer(t, smallNet(t), 4)
	src := smallSet(32, 7)
	for s := range 6 {
		idx := seq(4*s, 4*s+4)
		stepRanks(t, trs, src, func(int) []int { return idx })
		_, _, err := ref.TrainBatch(src, idx)
		require.NoError(t, err)
		require.Equal(t, ref.Model().Params, trs[0].Model().Params, "step %d", s)
		require.Equal(t, ref.Model().Params, trs[1].Model().Params, "step %d", s)
	}
}

// scaleWorld is a one-process stand-in for n ranks that all hold the same
// buffer: the sum is n·buf.
type scaleWorld struct {
	n     int
	calls int
	err   error
}

func (s *scaleWorld) Size() int { return s.n }
func (s *scaleWorld) AllreduceSumFloat32(buf []float32) error {
	s.calls++
	if s.err != nil {
		return s.err
	}
	for i := range buf {
		buf[i] *= float32(s.n)
	}
	return nil
}

func TestAllreduceMeanDividesBySize(t *testing.T) {
	for _, n := range []int{1, 2, 3, 4, 7} {
		c := &scaleWorld{n: n}
		h, err := train.AllreduceMean(c)
		require.NoError(t, err)
		g := &train.StepGradients{Grads: []float32{1, -2, 0.5, 3, 1e-3}}
		require.NoError(t, h.OnGradients(g))
		assert.Equal(t, []float32{1, -2, 0.5, 3, 1e-3}, g.Grads, "size %d", n)
		if n == 1 {
			assert.Equal(t, 0, c.calls, "a world of one needs no allreduce")
		}
		allocs := testing.AllocsPerRun(50, func() { _ = h.OnGradients(g) })
		assert.Zero(t, allocs, "size %d: allocations per step", n)
	}
}

func TestAllreduceMeanSkippedStepAndErrors(t *testing.T) {
	c := &scaleWorld{n: 2}
	h, err := train.AllreduceMean(c)
	require.NoError(t, err)
	require.NoError(t, h.OnGradients(&train.StepGradients{Grads: []float32{1}, SkipUpdate: true}))
	assert.Equal(t, 0, c.calls, "a skipped update is not reduced")

	_, err = train.AllreduceMean(nil)
	assert.Error(t, err)
	_, err = train.AllreduceMean(&scaleWorld{n: 0})
	assert.Error(t, err)

	// An allreduce error stops the step before the update.
	boom := errors.New("peer gone")
	h, err = train.AllreduceMean(&scaleWorld{n: 2, err: boom})
	require.NoError(t, err)
	tr := newSGDTrainer(t, smallNet(t), 4, train.WithGradientHooks(h))
	before := append([]float32(nil), tr.Model().Params...)
	_, _, err = tr.TrainBatch(smallSet(8, 1), seq(0, 4))
	assert.ErrorIs(t, err, boom)
	assert.Equal(t, before, tr.Model().Params)

	// After accumulation: k−1 skipped steps, one reduce of the mean.
	c = &scaleWorld{n: 2}
	acc, err := train.AccumulateGradients(3)
	require.NoError(t, err)
	h, err = train.AllreduceMean(c)
	require.NoError(t, err)
	tr = newSGDTrainer(t, smallNet(t), 4, train.WithGradientHooks(acc, h))
	for s := range 6 {
		_, _, err := tr.TrainBatch(smallSet(32, 1), seq(4*s, 4*s+4))
		require.NoError(t, err)
	}
	assert.Equal(t, 2, c.calls, "6 steps accumulated by 3: two reduces")
}
