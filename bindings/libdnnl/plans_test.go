//go:build cgo && !nodnnl

package libdnnl

import (
	"errors"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// buffers of one dense step.
type stepBuffers struct {
	x, w, b, dy       []float32 // inputs
	y, dz, dw, db, dx []float32 // outputs
}

func newStepBuffers(seed uint64, batch, in, out int) *stepBuffers {
	rng := rand.New(rand.NewPCG(seed, 7))
	r := func(n int) []float32 {
		x := make([]float32, n)
		for i := range x {
			x[i] = rng.Float32()*2 - 1
		}
		return x
	}
	return &stepBuffers{x: r(batch * in), w: r(in * out), b: r(out), dy: r(batch * out),
		y: r(batch * out), dz: r(batch * out), dw: r(in * out), db: r(out), dx: r(batch * in)}
}

// step runs forward, activation backward (on a copy of dy) and backward.
func (s *stepBuffers) step(d *Dense) error {
	if err := d.Forward(s.x, s.w, s.b, s.y); err != nil {
		return err
	}
	copy(s.dz, s.dy)
	if err := d.ActivationBackward(s.y, s.dz); err != nil {
		return err
	}
	return d.Backward(s.x, s.w, s.dz, s.dw, s.db, s.dx)
}

func (s *stepBuffers) outputs() [][]float32 { return [][]float32{s.y, s.dz, s.dw, s.db, s.dx} }

func newContext(t testing.TB) *Context {
	t.Helper()
	c, err := NewContext()
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, c.Close()) })
	return c
}

// Closing the context first is allowed: plans keep working, new plans fail
// with ErrContextClosed, and every Close is idempotent.
func TestCloseContextBeforePlans(t *testing.T) {
	c, err := NewContext()
	require.NoError(t, err)
	d, err := c.NewDense(8, 5, 3, Softmax)
	require.NoError(t, err)
	f, err := c.NewDenseForward(8, 5, 3, Softmax)
	require.NoError(t, err)
	s := newStepBuffers(1, 8, 5, 3)
	require.NoError(t, s.step(d))
	before := slices.Clone(s.y)

	require.NoError(t, c.Close())
	require.NoError(t, c.Close(), "Close twice")
	_, err = c.NewDense(8, 5, 3, Softmax)
	assert.ErrorIs(t, err, ErrContextClosed)
	assert.ErrorContains(t, err, "context closed")
	_, err = c.NewDenseForward(8, 5, 3, Softmax)
	assert.ErrorIs(t, err, ErrContextClosed)

	require.NoError(t, s.step(d), "a plan outlives its context")
	assert.Equal(t, before, s.y)
	y := make([]float32, len(s.y))
	require.NoError(t, f.Forward(s.x, s.w, s.b, y))
	assert.InDeltaSlice(t, before, y, 1e-6)

	require.NoError(t, d.Close())
	require.NoError(t, d.Close(), "Close twice")
	require.NoError(t, f.Close())
	for name, err := range map[string]error{
		"forward":             d.Forward(s.x, s.w, s.b, s.y),
		"activation backward": d.ActivationBackward(s.y, s.dz),
		"backward":            d.Backward(s.x, s.w, s.dz, s.dw, s.db, s.dx),
		"forward-only":        f.Forward(s.x, s.w, s.b, s.y),
	} {
		assert.ErrorContains(t, err, "plan closed", name)
	}
}

// A rebuild that fails breaks the plan: that call and every later one fail
// with an *Error, the activation backward included (a linear plan's too,
// which has no primitive to run), with the original failure in the
// message. Other plans are unaffected.
func TestFailedRebuildBreaksThePlan(t *testing.T) {
	c := newContext(t)
	defer func() { require.NoError(t, SetThreads(1)) }()
	for _, act := range []Activation{Linear, Sigmoid, Softmax} {
		require.NoError(t, SetThreads(1))
		// 128×128×128 is big enough for a team: with two threads its calls
		// run on the owner thread and rebuild there.
		d, err := c.NewDense(128, 128, 128, act)
		require.NoError(t, err)
		other, err := c.NewDense(128, 128, 128, act)
		require.NoError(t, err)
		s := newStepBuffers(2, 128, 128, 128)
		require.NoError(t, s.step(d))

		d.failNextBuilds(1)
		require.NoError(t, SetThreads(2)) // the next call rebuilds, and fails
		err = d.Forward(s.x, s.w, s.b, s.y)
		var e *Error
		require.ErrorAs(t, err, &e, "act %d", act)
		assert.Positive(t, e.Status, "oneDNN's out_of_memory")
		assert.Contains(t, e.Msg, "injected failure")

		require.NoError(t, SetThreads(1))
		for name, err := range map[string]error{
			"forward":             d.Forward(s.x, s.w, s.b, s.y),
			"activation backward": d.ActivationBackward(s.y, s.dz),
			"backward":            d.Backward(s.x, s.w, s.dz, s.dw, s.db, s.dx),
		} {
			require.ErrorAs(t, err, &e, name)
			assert.Equal(t, int(-4), e.Status, "%s: DESCENT_EBROKEN", name)
			assert.Contains(t, e.Msg, "broken", name)
			assert.Contains(t, e.Msg, "injected failure", "%s keeps the original failure", name)
		}
		require.NoError(t, s.step(other), "another plan is unaffected")
		require.NoError(t, d.Close())
		require.NoError(t, other.Close())
	}
}

// Sixteen goroutines, each with plans of its own, on whatever OS threads Go
// gives them, compute bitwise what a sequential run does (with one thread:
// no owner thread, truly concurrent; run with -race).
func TestPlansRunConcurrently(t *testing.T) {
	c := newContext(t)
	require.NoError(t, SetThreads(1))
	const k = 16
	shape := func(g int) (int, int, int, Activation) { return 16 + g, 32 + 3*g, 8 + g, Activation(g % 5) }
	want := make([][][]float32, k)
	for g := range k {
		b, in, out, act := shape(g)
		d, err := c.NewDense(b, in, out, act)
		require.NoError(t, err)
		s := newStepBuffers(uint64(g), b, in, out)
		require.NoError(t, s.step(d))
		require.NoError(t, d.Close())
		want[g] = s.outputs()
	}
	rounds := 5
	if testing.Short() {
		rounds = 2
	}
	var wg sync.WaitGroup
	errs := make([]error, k)
	for g := range k {
		wg.Go(func() {
			b, in, out, act := shape(g)
			// Made on one goroutine's thread, run across others: the user
			// scratchpad ties nothing to the creating thread.
			d, err := c.NewDense(b, in, out, act)
			if err != nil {
				errs[g] = err
				return
			}
			defer d.Close()
			s := newStepBuffers(uint64(g), b, in, out)
			for range rounds {
				for _, o := range s.outputs() {
					for i := range o {
						o[i] = float32(math.NaN())
					}
				}
				if err := s.step(d); err != nil {
					errs[g] = err
					return
				}
				for i, o := range s.outputs() {
					if !slices.Equal(o, want[g][i]) {
						errs[g] = errors.New("results differ from the sequential run")
						return
					}
				}
				runtime.Gosched()
			}
		})
	}
	wg.Wait()
	for g, err := range errs {
		assert.NoError(t, err, "goroutine %d", g)
	}
}

// After every call, success or failure, no memory object points at the
// caller's buffers, and plans whose matmul asks for a scratchpad have one
// of their own.
func TestNoBufferKeptAfterACall(t *testing.T) {
	c := newContext(t)
	for _, n := range []int{1, 2} {
		require.NoError(t, SetThreads(n))
		d, err := c.NewDense(128, 128, 128, Tanh)
		require.NoError(t, err)
		assert.Zero(t, d.boundBuffers(), "after create")
		s := newStepBuffers(3, 128, 128, 128)
		require.NoError(t, d.Forward(s.x, s.w, s.b, s.y))
		assert.Zero(t, d.boundBuffers(), "after forward")
		require.NoError(t, d.ActivationBackward(s.y, s.dz))
		assert.Zero(t, d.boundBuffers(), "after activation backward")
		require.NoError(t, d.Backward(s.x, s.w, s.dz, s.dw, s.db, s.dx))
		assert.Zero(t, d.boundBuffers(), "after backward")
		if strings.Contains(d.Impl(), "brg") {
			assert.Positive(t, d.scratchpadBytes(), "brgemm matmul keeps its packed blocks in the scratchpad: %s", d.Impl())
		}
		d.failNextBuilds(1)
		require.NoError(t, SetThreads(3-n))
		require.Error(t, d.Forward(s.x, s.w, s.b, s.y))
		assert.Zero(t, d.boundBuffers(), "after a failed call")
		require.NoError(t, d.Close())
	}
	require.NoError(t, SetThreads(1))
}
