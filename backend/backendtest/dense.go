package backendtest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/descent-ml/descent/backend"
)

// DenseCase is one dense-layer shape of the plan conformance table.
type DenseCase struct {
	Batch, In, Out int
	Act            backend.Activation
	// NoDX skips the input gradient (the first layer never needs it).
	NoDX bool
}

// DenseCases returns the plan conformance table: every activation on small
// shapes, and the tutorial network's layers at its full (128) and last
// partial (112) batch.
func DenseCases() []DenseCase {
	var cs []DenseCase
	for _, act := range []backend.Activation{backend.Linear, backend.Sigmoid, backend.Tanh, backend.ReLU, backend.Softmax} {
		cs = append(cs, DenseCase{Batch: 5, In: 7, Out: 3, Act: act}, DenseCase{Batch: 1, In: 4, Out: 9, Act: act, NoDX: true})
	}
	for _, b := range []int{128, 112} {
		cs = append(cs,
			DenseCase{Batch: b, In: 784, Out: 128, Act: backend.Sigmoid, NoDX: true},
			DenseCase{Batch: b, In: 128, Out: 128, Act: backend.Sigmoid},
			DenseCase{Batch: b, In: 128, Out: 10, Act: backend.Softmax})
	}
	return cs
}

// RunDense runs the plan conformance table against p: each plan's Forward,
// ActivationBackward and Backward against the float64 reference in this
// file.
func RunDense(t *testing.T, p backend.DensePlanner) { t.Helper(); RunDenseWith(t, p, F32Tolerance) }

// RunDenseWith is RunDense with the GEMM tolerance of a precision (see
// Tolerance): BF16Tolerance for engines whose GEMMs read bfloat16.
func RunDenseWith(t *testing.T, p backend.DensePlanner, tol Tolerance) {
	t.Helper()
	for i, c := range DenseCases() {
		t.Run(fmt.Sprintf("%02d-%s-%dx%dx%d", i, c.Act, c.Batch, c.In, c.Out), func(t *testing.T) {
			if err := CheckDenseWith(p, c, uint64(i), tol); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// CheckDense runs one case and returns an error naming the first value out
// of tolerance. Tolerances: the GEMM bound of Check on pre-activations,
// carried through the activation (all five are 1-Lipschitz in the max norm
// used here), plus 16 float32 ulps of the value for the activation's own
// rounding and approximations.
func CheckDense(p backend.DensePlanner, c DenseCase, seed uint64) error {
	return CheckDenseWith(p, c, seed, F32Tolerance)
}

// CheckDenseWith is CheckDense with tol's bound on the three GEMMs (the
// activations, their backward and db keep the float32 tolerances).
func CheckDenseWith(p backend.DensePlanner, c DenseCase, seed uint64, tol Tolerance) error {
	rng := rand.New(rand.NewPCG(seed, 0xde45e))
	b, in, out := c.Batch, c.In, c.Out
	x, w, bias := randMat(rng, b, in), randMat(rng, in, out), randMat(rng, 1, out)
	dy := randMat(rng, b, out)
	plan, err := p.PlanDense(b, in, out, c.Act)
	if err != nil {
		return fmt.Errorf("PlanDense: %w", err)
	}
	defer plan.Close()

	// Forward, into a poisoned y: it must be overwritten.
	y := poisoned(b * out)
	if err := plan.Forward(x, w, bias, y); err != nil {
		return fmt.Errorf("Forward: %w", err)
	}
	if err := checkForward(c, x, w, bias, y, tol); err != nil {
		return err
	}
	x64, w64 := wide(x), wide(w)
	const u = 1.0 / (1 << 24)

	// Activation backward from the plan's own y.
	dz := append([]float32(nil), dy...)
	if err := plan.ActivationBackward(y, dz); err != nil {
		return fmt.Errorf("ActivationBackward: %w", err)
	}
	dz64 := refActivationBackward(c.Act, wide(y), wide(dy), b, out)
	for i := range dz64 {
		bound := 16*u*(math.Abs(dz64[i])+math.Abs(float64(dy[i]))) + 1e-7
		if d := math.Abs(float64(dz[i]) - dz64[i]); !(d <= bound) {
			return fmt.Errorf("ActivationBackward %v: dz[%d][%d] = %g, reference %g, |diff| %.3g > %.3g", c.Act, i/out, i%out, dz[i], dz64[i], d, bound)
		}
	}

	// Backward from the reference dz (so this part tests only Backward).
	dzIn := make([]float32, len(dz64))
	for i, v := range dz64 {
		dzIn[i] = float32(v)
	}
	// Poison the outputs: Backward must overwrite, not accumulate.
	dw, db := poisoned(in*out), poisoned(out)
	var dx []float32
	if !c.NoDX {
		dx = poisoned(b * in)
	}
	if err := plan.Backward(x, w, dzIn, dw, db, dx); err != nil {
		return fmt.Errorf("Backward: %w", err)
	}
	dzw := wide(dzIn)
	ref := make([]float64, in*out)
	refMag := make([]float64, in*out)
	backend.Gemm(true, false, in, out, b, 1, x64, in, dzw, out, 0, ref, out)
	backend.Gemm(true, false, in, out, b, 1, absAll(x64), in, absAll(dzw), out, 0, refMag, out)
	if err := within("Backward dW", dw, ref, refMag, b, out, tol); err != nil {
		return err
	}
	refDB, refDBMag := make([]float64, out), make([]float64, out)
	for r := 0; r < b; r++ {
		for j := range out {
			refDB[j] += dzw[r*out+j]
			refDBMag[j] += math.Abs(dzw[r*out+j])
		}
	}
	if err := within("Backward db", db, refDB, refDBMag, b, out, F32Tolerance); err != nil {
		return err
	}
	if dx != nil {
		refDX, refDXMag := make([]float64, b*in), make([]float64, b*in)
		backend.Gemm(false, true, b, in, out, 1, dzw, out, w64, out, 0, refDX, in)
		backend.Gemm(false, true, b, in, out, 1, absAll(dzw), out, absAll(w64), out, 0, refDXMag, in)
		if err := within("Backward dx", dx, refDX, refDXMag, out, in, tol); err != nil {
			return err
		}
	}
	return nil
}

// within checks got against ref with tol's k-term dot-product bound.
func within(what string, got []float32, ref, mag []float64, k, cols int, tol Tolerance) error {
	for i := range ref {
		bound := tol.gemmBound(k, mag[i]) + 1e-30
		if d := math.Abs(float64(got[i]) - ref[i]); !(d <= bound) {
			return fmt.Errorf("%s[%d][%d] = %g, reference %g, |diff| %.3g > %s bound %.3g", what, i/cols, i%cols, got[i], ref[i], d, tol.Name, bound)
		}
	}
	return nil
}

// refActivation is f(z) in float64, written out independently of package
// model (which the engines under test may share code with).
func refActivation(a backend.Activation, z []float64, b, n int) []float64 {
	y := make([]float64, len(z))
	for r := 0; r < b; r++ {
		row, out := z[r*n:(r+1)*n], y[r*n:(r+1)*n]
		switch a {
		case backend.Linear:
			copy(out, row)
		case backend.Sigmoid:
			for j, v := range row {
				out[j] = 1 / (1 + math.Exp(-v))
			}
		case backend.Tanh:
			for j, v := range row {
				out[j] = math.Tanh(v)
			}
		case backend.ReLU:
			for j, v := range row {
				out[j] = math.Max(v, 0)
			}
		case backend.Softmax:
			m := math.Inf(-1)
			for _, v := range row {
				m = math.Max(m, v)
			}
			s := 0.0
			for j, v := range row {
				out[j] = math.Exp(v - m)
				s += out[j]
			}
			for j := range out {
				out[j] /= s
			}
		}
	}
	return y
}

// refActivationBackward is ∂L/∂z from y = f(z) and dy = ∂L/∂y, in float64.
func refActivationBackward(a backend.Activation, y, dy []float64, b, n int) []float64 {
	dz := make([]float64, len(y))
	for r := 0; r < b; r++ {
		yr, dr, zr := y[r*n:(r+1)*n], dy[r*n:(r+1)*n], dz[r*n:(r+1)*n]
		switch a {
		case backend.Linear:
			copy(zr, dr)
		case backend.Sigmoid:
			for j, v := range yr {
				zr[j] = dr[j] * v * (1 - v)
			}
		case backend.Tanh:
			for j, v := range yr {
				zr[j] = dr[j] * (1 - v*v)
			}
		case backend.ReLU:
			for j, v := range yr {
				if v > 0 {
					zr[j] = dr[j]
				}
			}
		case backend.Softmax:
			dot := 0.0
			for j, v := range yr {
				dot += dr[j] * v
			}
			for j, v := range yr {
				zr[j] = v * (dr[j] - dot)
			}
		}
	}
	return dz
}

func wide(x []float32) []float64 {
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = float64(v)
	}
	return y
}

func absAll(x []float64) []float64 {
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = math.Abs(v)
	}
	return y
}
