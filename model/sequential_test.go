package model_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/descent-ml/descent/backend"
	"github.com/descent-ml/descent/backend/gonum"
	"github.com/descent-ml/descent/model"
)

func tutorialNet(t testing.TB) *model.Sequential {
	m, err := model.NewSequential(784,
		model.Dense(128, model.Sigmoid), model.Dense(128, model.Sigmoid), model.Dense(10, model.Softmax))
	require.NoError(t, err)
	m.Init(rand.New(rand.NewPCG(42, 0)))
	return m
}

func TestParamCount(t *testing.T) {
	// Keras's summary of the tutorial network: 100480 + 16512 + 1290 = 118282.
	assert.Equal(t, 118282, tutorialNet(t).NumParams())
}

func TestGlorotUniformStatistics(t *testing.T) {
	m := tutorialNet(t)
	w, b := m.Layer(0)
	limit := math.Sqrt(6.0 / (784 + 128))
	var sum, sq float64
	for _, v := range w {
		require.LessOrEqual(t, math.Abs(float64(v)), limit)
		sum += float64(v)
		sq += float64(v) * float64(v)
	}
	n := float64(len(w))
	mean, variance := sum/n, sq/n
	// U(−a, a): mean 0, variance a²/3. With n = 100352 the standard error of
	// the mean is a/sqrt(3n) ≈ 1.5e-4 and of the variance ≈ 1e-6.
	assert.InDelta(t, 0, mean, 5*limit/math.Sqrt(3*n))
	assert.InEpsilon(t, limit*limit/3, variance, 0.01)
	for _, v := range b {
		assert.Zero(t, v)
	}
}

func TestSameSeedSameWeights(t *testing.T) {
	assert.Equal(t, tutorialNet(t).Params, tutorialNet(t).Params)
}

func TestGradLogitsSkipsLastActivation(t *testing.T) {
	m := tutorialNet(t)
	ws, err := m.NewWorkspace(gonum.New(), 4)
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(1, 1))
	x := make([]float32, 4*784)
	for i := range x {
		x[i] = rng.Float32()
	}
	y, err := m.Forward(ws, x, 4)
	require.NoError(t, err)
	c := make([]float32, 40)
	for i := range c {
		c[i] = rng.Float32() - 0.5
	}
	require.NoError(t, m.Backward(ws, c, model.GradOutput))
	viaOutput := append([]float32(nil), ws.Grads...)

	dz := append([]float32(nil), c...)
	model.ActivationBackward(model.Softmax, y, dz, 4, 10)
	require.NoError(t, m.Backward(ws, dz, model.GradLogits))
	assert.InDeltaSlice(t, viaOutput, ws.Grads, 1e-6)
}

// refEngine runs the plain-loop reference GEMM at float32. It allocates
// nothing, unlike gonum's Sgemm, which starts goroutines for large products,
// so it isolates the model's own allocations.
type refEngine struct{}

func (refEngine) Name() string         { return "reference" }
func (refEngine) SetThreads(int) error { return nil }
func (refEngine) Threads() int         { return 1 }
func (refEngine) Sgemm(tA, tB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	backend.Gemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

func TestForwardBackwardAllocateNothing(t *testing.T) {
	m, err := model.NewSequential(20, model.Dense(16, model.Tanh), model.Dense(12, model.ReLU), model.Dense(4, model.Softmax))
	require.NoError(t, err)
	ws, err := m.NewWorkspace(refEngine{}, 8)
	require.NoError(t, err)
	x, g := make([]float32, 8*20), make([]float32, 8*4)
	allocs := testing.AllocsPerRun(5, func() {
		if _, err := m.Forward(ws, x, 8); err != nil {
			t.Fatal(err)
		}
		if err := m.Backward(ws, g, model.GradLogits); err != nil {
			t.Fatal(err)
		}
	})
	assert.Zero(t, allocs)
}

func TestErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		input  int
		layers []model.Layer
		want   string
	}{
		{"no layers", 3, nil, "at least one layer"},
		{"zero input", 0, []model.Layer{model.Dense(2, model.ReLU)}, "input size"},
		{"zero units", 3, []model.Layer{model.Dense(0, model.ReLU)}, "layer 0: units"},
		{"bad activation", 3, []model.Layer{model.Dense(2, model.Activation(99))}, "unknown activation"},
	} {
		_, err := model.NewSequential(tc.input, tc.layers...)
		require.Error(t, err, tc.name)
		assert.Contains(t, err.Error(), tc.want, tc.name)
	}

	m := tutorialNet(t)
	ws, err := m.NewWorkspace(gonum.New(), 2)
	require.NoError(t, err)
	_, err = m.Forward(ws, make([]float32, 3*784), 3)
	assert.ErrorContains(t, err, "batch size 3 outside 1..2")
	_, err = m.Forward(ws, make([]float32, 10), 2)
	assert.ErrorContains(t, err, "input has 10 values")
	assert.ErrorContains(t, m.Backward(ws, nil, model.GradLogits), "Backward before Forward")
	other, err := model.NewSequential(784, model.Dense(64, model.Sigmoid), model.Dense(10, model.Softmax))
	require.NoError(t, err)
	_, err = other.Forward(ws, make([]float32, 784), 1)
	assert.ErrorContains(t, err, "another architecture")
	// A network of the same architecture (a snapshot) runs on the workspace
	// with its own parameters.
	clone := m.Clone()
	clone.Params[0]++
	assert.NotEqual(t, m.Params[0], clone.Params[0], "Clone copies the parameters")
	_, err = clone.Forward(ws, make([]float32, 784), 1)
	assert.NoError(t, err)
	_, err = model.ParseActivation("swish")
	assert.ErrorContains(t, err, `unknown activation "swish"`)
}

// An engine that fuses layers (backend.DensePlanner) must give the same
// results through the model as plain Sgemm: here the Go reference planner.
func TestPlannerPathMatchesGemmPath(t *testing.T) {
	plain := tutorialNet(t)
	planned := tutorialNet(t)
	wsPlain, err := plain.NewWorkspace(gonum.New(), 16)
	require.NoError(t, err)
	wsPlanned, err := planned.NewWorkspace(model.GoPlanner(gonum.New()), 16)
	require.NoError(t, err)
	defer wsPlanned.Close()
	rng := rand.New(rand.NewPCG(5, 5))
	for _, batch := range []int{16, 7} { // full and partial batch: two plans per layer
		x := make([]float32, batch*784)
		for i := range x {
			x[i] = rng.Float32()
		}
		g := make([]float32, batch*10)
		for i := range g {
			g[i] = rng.Float32() - 0.5
		}
		y1, err := plain.Forward(wsPlain, x, batch)
		require.NoError(t, err)
		y2, err := planned.Forward(wsPlanned, x, batch)
		require.NoError(t, err)
		assert.Equal(t, y1, y2)
		require.NoError(t, plain.Backward(wsPlain, g, model.GradOutput))
		require.NoError(t, planned.Backward(wsPlanned, g, model.GradOutput))
		assert.Equal(t, wsPlain.Grads, wsPlanned.Grads)
	}
}
