package backendtest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/descent-ml/descent/backend"
)

// RunForward runs the plan conformance table against p's forward-only
// plans: each plan's Forward against the float64 reference, with the
// tolerances of CheckDense's forward.
func RunForward(t *testing.T, p backend.ForwardPlanner) {
	t.Helper()
	RunForwardWith(t, p, F32Tolerance)
}

// RunForwardWith is RunForward with the GEMM tolerance of a precision.
func RunForwardWith(t *testing.T, p backend.ForwardPlanner, tol Tolerance) {
	t.Helper()
	for i, c := range DenseCases() {
		t.Run(fmt.Sprintf("%02d-%s-%dx%dx%d", i, c.Act, c.Batch, c.In, c.Out), func(t *testing.T) {
			if err := CheckForwardWith(p, c, uint64(i), tol); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// CheckForward runs one case on a forward-only plan, twice (a plan is made
// once and reused), into an output poisoned with NaN each time, and returns
// an error naming the first value out of tolerance.
func CheckForward(p backend.ForwardPlanner, c DenseCase, seed uint64) error {
	return CheckForwardWith(p, c, seed, F32Tolerance)
}

// CheckForwardWith is CheckForward with tol's GEMM bound.
func CheckForwardWith(p backend.ForwardPlanner, c DenseCase, seed uint64, tol Tolerance) error {
	rng := rand.New(rand.NewPCG(seed, 0xf04a))
	x, w, bias := randMat(rng, c.Batch, c.In), randMat(rng, c.In, c.Out), randMat(rng, 1, c.Out)
	plan, err := p.PlanDenseForward(c.Batch, c.In, c.Out, c.Act)
	if err != nil {
		return fmt.Errorf("PlanDenseForward: %w", err)
	}
	defer plan.Close()
	for range 2 {
		y := poisoned(c.Batch * c.Out)
		if err := plan.Forward(x, w, bias, y); err != nil {
			return fmt.Errorf("Forward: %w", err)
		}
		if err := checkForward(c, x, w, bias, y, tol); err != nil {
			return err
		}
	}
	return nil
}

// checkForward compares y with act(x·W + b) in float64: the GEMM bound of
// Check on pre-activations, carried through the activation (all five are
// 1-Lipschitz in the max norm used here), plus 16 float32 ulps of the value
// for the activation's own rounding and approximations.
func checkForward(c DenseCase, x, w, bias, y []float32, tol Tolerance) error {
	b, in, out := c.Batch, c.In, c.Out
	x64, w64, b64 := wide(x), wide(w), wide(bias)
	z64 := make([]float64, b*out)
	for r := 0; r < b; r++ {
		copy(z64[r*out:(r+1)*out], b64)
	}
	backend.Gemm(false, false, b, out, in, 1, x64, in, w64, out, 1, z64, out)
	mag := make([]float64, b*out)
	for r := 0; r < b; r++ {
		for j := range out {
			mag[r*out+j] = math.Abs(b64[j])
		}
	}
	backend.Gemm(false, false, b, out, in, 1, absAll(x64), in, absAll(w64), out, 1, mag, out)
	y64 := refActivation(c.Act, z64, b, out)
	const u = 1.0 / (1 << 24)
	for i := range y64 {
		bound := tol.gemmBound(in, mag[i]) + 16*u*math.Abs(y64[i]) + 1e-7
		if d := math.Abs(float64(y[i]) - y64[i]); !(d <= bound) {
			return fmt.Errorf("Forward %v: y[%d][%d] = %g, reference %g, |diff| %.3g > %s bound %.3g", c.Act, i/out, i%out, y[i], y64[i], d, tol.Name, bound)
		}
	}
	return nil
}

// poisoned returns n NaNs: an output buffer an engine must overwrite (an
// engine that accumulates into it, or skips part of it, leaves NaN).
func poisoned(n int) []float32 {
	y := make([]float32, n)
	for i := range y {
		y[i] = float32(math.NaN())
	}
	return y
}
