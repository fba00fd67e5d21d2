package backendtest

import (
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"github.com/descent-ml/descent/backend"
)

// Goroutines is how many goroutines RunConcurrent runs at once.
const Goroutines = 16

// RunConcurrent checks the concurrency promise of backend.Engine,
// backend.DensePlanner and backend.ForwardPlanner: Goroutines goroutines at
// once, each with its own buffers (and, for planners, its own plans), give
// results bitwise identical to the same work run one goroutine after the
// other. Every output starts as NaN, so that overwriting is checked too. It
// is short enough to run under the race detector.
func RunConcurrent(t *testing.T, e backend.Engine) {
	t.Helper()
	rounds := 4
	if testing.Short() {
		rounds = 2
	}
	for _, part := range concurrentParts(e) {
		t.Run(part.name, func(t *testing.T) {
			if err := runConcurrent(rounds, part.work); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// CheckConcurrent is RunConcurrent's check as an error: every part that
// applies to e (sgemm, dense, forward), rounds rounds each.
func CheckConcurrent(e backend.Engine, rounds int) error {
	var errs []error
	for _, part := range concurrentParts(e) {
		if err := runConcurrent(rounds, part.work); err != nil {
			errs = append(errs, fmt.Errorf("%s: %s: %w", e.Name(), part.name, err))
		}
	}
	return errors.Join(errs...)
}

type concurrentPart struct {
	name string
	work work
}

func concurrentParts(e backend.Engine) []concurrentPart {
	parts := []concurrentPart{{"sgemm", sgemmWork(e)}}
	if p, ok := e.(backend.DensePlanner); ok {
		parts = append(parts, concurrentPart{"dense", denseWork(p)})
	}
	if p, ok := e.(backend.ForwardPlanner); ok {
		parts = append(parts, concurrentPart{"forward", forwardWork(p)})
	}
	return parts
}

// work is one goroutine's job: setup makes its inputs (and plans) from its
// index; the returned step runs one round and returns its outputs; done
// releases what setup made.
type work func(g int) (step func() ([][]float32, error), done func() error, err error)

// runConcurrent runs each goroutine's work sequentially, then all at once
// (rounds times each), and compares every round's outputs bitwise with the
// sequential run's.
func runConcurrent(rounds int, w work) error {
	ref := make([][][]float32, Goroutines)
	for g := range Goroutines {
		step, done, err := w(g)
		if err != nil {
			return err
		}
		ref[g], err = step()
		if err = errors.Join(err, done(), allFinite(ref[g])); err != nil {
			return fmt.Errorf("goroutine %d, sequential: %w", g, err)
		}
	}

	errs := make([]error, Goroutines)
	var ready, finished sync.WaitGroup
	start := make(chan struct{})
	ready.Add(Goroutines)
	finished.Add(Goroutines)
	for g := range Goroutines {
		go func() {
			defer finished.Done()
			step, done, err := w(g)
			ready.Done()
			if err != nil {
				errs[g] = err
				return
			}
			defer func() { errs[g] = errors.Join(errs[g], done()) }()
			<-start // all goroutines run their rounds at the same time
			for r := range rounds {
				out, err := step()
				if err != nil {
					errs[g] = fmt.Errorf("goroutine %d, round %d: %w", g, r, err)
					return
				}
				if err := sameBits(ref[g], out); err != nil {
					errs[g] = fmt.Errorf("goroutine %d, round %d: %w", g, r, err)
					return
				}
			}
		}()
	}
	ready.Wait()
	close(start)
	finished.Wait()
	return errors.Join(errs...)
}

// allFinite reports the first NaN or infinity among the outputs: on these
// inputs, a value the engine left poisoned (or accumulated into).
func allFinite(outs [][]float32) error {
	for i, out := range outs {
		for j, v := range out {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return fmt.Errorf("output %d [%d] = %g: not overwritten (outputs start as NaN)", i, j, v)
			}
		}
	}
	return nil
}

// sameBits reports the first output value whose bits differ.
func sameBits(want, got [][]float32) error {
	for i := range want {
		for j := range want[i] {
			if math.Float32bits(want[i][j]) != math.Float32bits(got[i][j]) {
				return fmt.Errorf("output %d [%d] = %g, sequential run %g (concurrent results must be bitwise identical)", i, j, got[i][j], want[i][j])
			}
		}
	}
	return nil
}

// sgemmWork: a GEMM per goroutine, each goroutine with its own transposes
// and shape, C poisoned with NaN before each beta = 0 call.
func sgemmWork(e backend.Engine) work {
	return func(g int) (func() ([][]float32, error), func() error, error) {
		rng := rand.New(rand.NewPCG(uint64(g), 0xc0c0))
		ta, tb := g%2 == 1, g/2%2 == 1
		m, n, k := 24+g, 40-g, 33+2*g
		ar, ac, br, bc := m, k, k, n
		if ta {
			ar, ac = k, m
		}
		if tb {
			br, bc = n, k
		}
		a, b := randMat(rng, ar, ac), randMat(rng, br, bc)
		step := func() ([][]float32, error) {
			c := poisoned(m * n)
			e.Sgemm(ta, tb, m, n, k, 1, a, ac, b, bc, 0, c, n)
			return [][]float32{c}, nil
		}
		return step, func() error { return nil }, nil
	}
}

var concurrentActs = []backend.Activation{backend.Linear, backend.Sigmoid, backend.Tanh, backend.ReLU, backend.Softmax}

// denseShape is goroutine g's layer: small, with every activation.
func denseShape(g int) (batch, in, out int, act backend.Activation) {
	return 8 + g%3, 24 + g, 12 + g%5, concurrentActs[g%len(concurrentActs)]
}

// denseWork: a training plan per goroutine, a whole step per round
// (Forward, ActivationBackward on a copy of dy, Backward with dx).
func denseWork(p backend.DensePlanner) work {
	return func(g int) (func() ([][]float32, error), func() error, error) {
		b, in, out, act := denseShape(g)
		rng := rand.New(rand.NewPCG(uint64(g), 0xde45))
		x, w, bias, dy := randMat(rng, b, in), randMat(rng, in, out), randMat(rng, 1, out), randMat(rng, b, out)
		plan, err := p.PlanDense(b, in, out, act)
		if err != nil {
			return nil, nil, fmt.Errorf("goroutine %d: PlanDense: %w", g, err)
		}
		step := func() ([][]float32, error) {
			y, dw, db, dx := poisoned(b*out), poisoned(in*out), poisoned(out), poisoned(b*in)
			if err := plan.Forward(x, w, bias, y); err != nil {
				return nil, fmt.Errorf("Forward: %w", err)
			}
			dz := slices.Clone(dy)
			if err := plan.ActivationBackward(y, dz); err != nil {
				return nil, fmt.Errorf("ActivationBackward: %w", err)
			}
			if err := plan.Backward(x, w, dz, dw, db, dx); err != nil {
				return nil, fmt.Errorf("Backward: %w", err)
			}
			return [][]float32{y, dz, dw, db, dx}, nil
		}
		return step, plan.Close, nil
	}
}

// forwardWork: a forward-only plan per goroutine.
func forwardWork(p backend.ForwardPlanner) work {
	return func(g int) (func() ([][]float32, error), func() error, error) {
		b, in, out, act := denseShape(g)
		rng := rand.New(rand.NewPCG(uint64(g), 0xf04a))
		x, w, bias := randMat(rng, b, in), randMat(rng, in, out), randMat(rng, 1, out)
		plan, err := p.PlanDenseForward(b, in, out, act)
		if err != nil {
			return nil, nil, fmt.Errorf("goroutine %d: PlanDenseForward: %w", g, err)
		}
		step := func() ([][]float32, error) {
			y := poisoned(b * out)
			if err := plan.Forward(x, w, bias, y); err != nil {
				return nil, fmt.Errorf("Forward: %w", err)
			}
			return [][]float32{y}, nil
		}
		return step, plan.Close, nil
	}
}

// CheckCloseOrder checks the close-order promise of backend.DensePlanner
// on an engine that can be closed (io.Closer): with plans open, the engine
// is closed first; the plans (and forward-only plans, for a ForwardPlanner)
// keep working and agree with their results from before; PlanDense (and
// PlanDenseForward) fail; closing the engine again is a no-op; each plan
// closes, twice without error, and fails on use afterwards.
func CheckCloseOrder(p backend.DensePlanner) error {
	closer, ok := p.(io.Closer)
	if !ok {
		return fmt.Errorf("%s: engine has no Close method", p.Name())
	}
	const b, in, out = 4, 6, 3
	rng := rand.New(rand.NewPCG(1, 2))
	x, w, bias := randMat(rng, b, in), randMat(rng, in, out), randMat(rng, 1, out)
	forward := func(f func(x, w, b, y []float32) error) ([]float32, error) {
		y := poisoned(b * out)
		return y, f(x, w, bias, y)
	}
	plan, err := p.PlanDense(b, in, out, backend.Tanh)
	if err != nil {
		return fmt.Errorf("PlanDense: %w", err)
	}
	defer plan.Close()
	y0, err := forward(plan.Forward)
	if err != nil {
		return fmt.Errorf("Forward: %w", err)
	}
	var fplan backend.ForwardPlan
	fp, isForward := p.(backend.ForwardPlanner)
	if isForward {
		if fplan, err = fp.PlanDenseForward(b, in, out, backend.Tanh); err != nil {
			return fmt.Errorf("PlanDenseForward: %w", err)
		}
		defer fplan.Close()
	}

	if err := closer.Close(); err != nil {
		return fmt.Errorf("engine Close with plans open: %w", err)
	}
	if err := closer.Close(); err != nil {
		return fmt.Errorf("engine Close twice: %w", err)
	}
	if _, err := p.PlanDense(b, in, out, backend.Tanh); err == nil {
		return fmt.Errorf("PlanDense after the engine's Close succeeded")
	}
	if isForward {
		if _, err := fp.PlanDenseForward(b, in, out, backend.Tanh); err == nil {
			return fmt.Errorf("PlanDenseForward after the engine's Close succeeded")
		}
	}
	y1, err := forward(plan.Forward)
	if err != nil {
		return fmt.Errorf("Forward after the engine's Close: %w", err)
	}
	if err := sameBits([][]float32{y0}, [][]float32{y1}); err != nil {
		return fmt.Errorf("Forward after the engine's Close: %w", err)
	}
	dz, dw, db, dx := slices.Clone(y1), poisoned(in*out), poisoned(out), poisoned(b*in)
	if err := plan.ActivationBackward(y1, dz); err != nil {
		return fmt.Errorf("ActivationBackward after the engine's Close: %w", err)
	}
	if err := plan.Backward(x, w, dz, dw, db, dx); err != nil {
		return fmt.Errorf("Backward after the engine's Close: %w", err)
	}
	plans := []struct {
		name  string
		close func() error
		use   func() error
	}{{"plan", plan.Close, func() error { _, err := forward(plan.Forward); return err }}}
	if isForward {
		y2, err := forward(fplan.Forward)
		if err != nil {
			return fmt.Errorf("forward-only Forward after the engine's Close: %w", err)
		}
		if err := checkForward(DenseCase{Batch: b, In: in, Out: out, Act: backend.Tanh}, x, w, bias, y2, F32Tolerance); err != nil {
			return fmt.Errorf("forward-only plan after the engine's Close: %w", err)
		}
		plans = append(plans, struct {
			name  string
			close func() error
			use   func() error
		}{"forward-only plan", fplan.Close, func() error { _, err := forward(fplan.Forward); return err }})
	}
	for _, pl := range plans {
		if err := pl.close(); err != nil {
			return fmt.Errorf("%s Close: %w", pl.name, err)
		}
		if err := pl.close(); err != nil {
			return fmt.Errorf("%s Close twice: %w", pl.name, err)
		}
		if pl.use() == nil {
			return fmt.Errorf("%s: Forward after Close succeeded", pl.name)
		}
	}
	if plan.Backward(x, w, dz, dw, db, dx) == nil || plan.ActivationBackward(y1, dz) == nil {
		return fmt.Errorf("plan: backward passes after Close succeeded")
	}
	return nil
}
