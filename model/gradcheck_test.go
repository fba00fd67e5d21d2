package model

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/descent-ml/descent/backend"
	"github.com/descent-ml/descent/backend/gonum"
)

// Finite-difference checks, all in float64: the analytic gradient from the
// code under test against central differences (f(θ+h) − f(θ−h)) / 2h of the
// scalar L = Σ c ⊙ output, c random.

const fdStep = 1e-6

func randVec(rng *rand.Rand, n int, scale float64) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = (2*rng.Float64() - 1) * scale
	}
	return v
}

func dot(a, b []float64) float64 {
	s := 0.0
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

// to64 and to32 convert between the float32 buffers of the code under
// test and the float64 of the checks.
func to64(v []float32) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}

func to32(v []float64) []float32 {
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(x)
	}
	return out
}

// forward64 is m's forward pass in float64 over theta (laid out like
// Params) on x ((batch, Input)), built from the same layer functions; when
// masks[l] is given, layer l's output is multiplied by it (a fixed dropout
// mask):
//
//	y_l      = f_l(in_l·W_l + b_l)   (batch, units_l)
//	in_{l+1} = y_l ⊙ mask_l          (batch, units_l)
func forward64(m *Sequential, theta, x []float64, batch int, masks [][]float64) []float64 {
	in := x
	off, fanIn := 0, m.input
	for l, layer := range m.layers {
		w := theta[off : off+fanIn*layer.Units]
		b := theta[off+fanIn*layer.Units : off+fanIn*layer.Units+layer.Units]
		y := make([]float64, batch*layer.Units)
		DenseForward(backend.Gemm[float64], layer.Activation, in, w, b, y, batch, fanIn, layer.Units)
		if l < len(masks) {
			for i := range masks[l] {
				y[i] *= masks[l][i]
			}
		}
		off += fanIn*layer.Units + layer.Units
		in, fanIn = y, layer.Units
	}
	return in
}

// relErr is |a−b| / max(|a|, |b|, 1e-3): relative where it matters, absolute
// near zero.
func relErr(a, b float64) float64 {
	return math.Abs(a-b) / math.Max(math.Max(math.Abs(a), math.Abs(b)), 1e-3)
}

// fdCheck compares grad with central differences of f at theta.
func fdCheck(t *testing.T, name string, theta, grad []float64, f func() float64, tol float64) {
	t.Helper()
	for i := range theta {
		orig := theta[i]
		theta[i] = orig + fdStep
		fp := f()
		theta[i] = orig - fdStep
		fm := f()
		theta[i] = orig
		num := (fp - fm) / (2 * fdStep)
		if e := relErr(grad[i], num); e > tol {
			t.Fatalf("%s: d/dθ[%d]: analytic %.10g, finite difference %.10g (rel err %.2g > %.2g)", name, i, grad[i], num, e, tol)
		}
	}
}

func TestActivationGradients(t *testing.T) {
	const batch, units = 3, 5
	for _, act := range []Activation{Linear, Sigmoid, Tanh, ReLU, Softmax} {
		t.Run(act.String(), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, uint64(act)))
			z := randVec(rng, batch*units, 3)
			if act == ReLU { // keep away from the kink at 0
				for i := range z {
					if math.Abs(z[i]) < 0.1 {
						z[i] = 0.5
					}
				}
			}
			c := randVec(rng, batch*units, 1)
			y := make([]float64, len(z))
			f := func() float64 {
				copy(y, z)
				ActivationForward(act, y, batch, units)
				return dot(c, y)
			}
			f()
			dz := append([]float64(nil), c...) // ∂L/∂y = c
			ActivationBackward(act, y, dz, batch, units)
			fdCheck(t, act.String(), z, dz, f, 1e-7)
		})
	}
}

func TestDenseGradients(t *testing.T) {
	const batch, in, out = 4, 6, 3
	gemm := backend.Gemm[float64]
	for _, act := range []Activation{Linear, Sigmoid, Tanh, Softmax} {
		t.Run(act.String(), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(2, uint64(act)))
			x, w, b := randVec(rng, batch*in, 1), randVec(rng, in*out, 1), randVec(rng, out, 1)
			c := randVec(rng, batch*out, 1)
			y := make([]float64, batch*out)
			f := func() float64 {
				DenseForward(gemm, act, x, w, b, y, batch, in, out)
				return dot(c, y)
			}
			f()
			dz := append([]float64(nil), c...)
			ActivationBackward(act, y, dz, batch, out)
			dw, db, dx := make([]float64, in*out), make([]float64, out), make([]float64, batch*in)
			DenseBackward(gemm, x, w, dz, dw, db, dx, batch, in, out)
			fdCheck(t, "W", w, dw, f, 1e-7)
			fdCheck(t, "b", b, db, f, 1e-7)
			fdCheck(t, "x", x, dx, f, 1e-7)
		})
	}
}

// TestSequentialGradients checks the float32 network on a real engine against
// finite differences of a float64 forward pass built from the same layer
// functions: it tests the wiring (offsets, the backward chain, GradOf).
func TestSequentialGradients(t *testing.T) {
	const batch = 5
	m, err := NewSequential(7, Dense(6, Tanh), Dense(5, Sigmoid), Dense(4, Softmax))
	require.NoError(t, err)
	m.Init(rand.New(rand.NewPCG(3, 3)))
	ws, err := m.NewWorkspace(gonum.New(), 8)
	require.NoError(t, err)

	rng := rand.New(rand.NewPCG(4, 4))
	x64 := randVec(rng, batch*7, 1)
	c := randVec(rng, batch*4, 1)
	theta := to64(m.Params)
	f := func() float64 { return dot(c, forward64(m, theta, x64, batch, nil)) }

	_, err = m.Forward(ws, to32(x64), batch)
	require.NoError(t, err)
	require.NoError(t, m.Backward(ws, to32(c), GradOutput))
	grad := to64(ws.Grads)
	// float32 analytic gradient vs float64 differences: float32 accuracy.
	fdCheck(t, "params", theta, grad, f, 2e-4)
}
