// Package backendtest is the conformance suite that every backend.Engine
// must pass: the same table of GEMMs, run on the engine under test and on
// the float64 plain-loop reference backend.Gemm.
//
// Tolerance. For each element the suite allows
//
//	|c − c_ref| ≤ 2·k·u·(|alpha|·Σ_p |op(A)_ip|·|op(B)_pj| + |beta|·|c₀|) + 1e-30
//
// with u = 2⁻²⁴ the float32 unit roundoff: the classical worst-case bound for
// a k-term float32 dot product (Higham, Accuracy and Stability of Numerical
// Algorithms, §3.1), doubled for the final scaling. Any engine that sums in
// float32 in any order meets it; a wrong transpose, stride or beta handling
// misses it by orders of magnitude.
package backendtest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/descent-ml/descent/backend"
)

// Case is one GEMM of the conformance table.
type Case struct {
	Name           string
	TransA, TransB bool
	M, N, K        int
	Alpha, Beta    float32
	// Pad is added to every leading dimension, to test strides.
	Pad int
	// NaNInC fills C with NaN before the call even when beta ≠ 0 (Check
	// always does for beta = 0: BLAS must ignore C then, and an engine that
	// accumulates into C instead of overwriting it fails).
	NaNInC bool
}

// Cases returns the conformance table: every transpose combination, alpha and
// beta values, padded strides, degenerate sizes and the eight GEMM shapes of
// one training step of the tutorial network (784→128→128→10, batch 128, and
// the last partial batch of 54000 mod 128 = 112 rows).
func Cases() []Case {
	var cs []Case
	for _, ta := range []bool{false, true} {
		for _, tb := range []bool{false, true} {
			for _, ab := range [][2]float32{{1, 0}, {0.5, 1}, {-2, 0.25}} {
				cs = append(cs, Case{Name: "small", TransA: ta, TransB: tb, M: 7, N: 5, K: 3, Alpha: ab[0], Beta: ab[1]})
				cs = append(cs, Case{Name: "padded", TransA: ta, TransB: tb, M: 17, N: 33, K: 65, Alpha: ab[0], Beta: ab[1], Pad: 3})
			}
		}
	}
	cs = append(cs,
		Case{Name: "beta0-ignores-NaN", M: 4, N: 4, K: 4, Alpha: 1, Beta: 0, NaNInC: true},
		Case{Name: "k=0 scales C", M: 3, N: 2, K: 0, Alpha: 1, Beta: 0.5},
		Case{Name: "vector", M: 1, N: 10, K: 128, Alpha: 1},
	)
	for _, batch := range []int{128, 112} {
		b := fmt.Sprint(batch)
		cs = append(cs,
			// forward: X(batch×in)·W(in×out)
			Case{Name: "fwd1-" + b, M: batch, N: 128, K: 784, Alpha: 1},
			Case{Name: "fwd2-" + b, M: batch, N: 128, K: 128, Alpha: 1},
			Case{Name: "fwd3-" + b, M: batch, N: 10, K: 128, Alpha: 1},
			// backward weights: Xᵀ(in×batch)·dZ(batch×out)
			Case{Name: "dW1-" + b, TransA: true, M: 784, N: 128, K: batch, Alpha: 1},
			Case{Name: "dW2-" + b, TransA: true, M: 128, N: 128, K: batch, Alpha: 1},
			Case{Name: "dW3-" + b, TransA: true, M: 128, N: 10, K: batch, Alpha: 1},
			// backward data: dZ(batch×out)·Wᵀ(out×in)
			Case{Name: "dX2-" + b, TransB: true, M: batch, N: 128, K: 128, Alpha: 1},
			Case{Name: "dX3-" + b, TransB: true, M: batch, N: 128, K: 10, Alpha: 1},
		)
	}
	return cs
}

// Run runs the conformance table against e.
func Run(t *testing.T, e backend.Engine) {
	t.Helper()
	for i, c := range Cases() {
		t.Run(fmt.Sprintf("%02d-%s-tA=%v-tB=%v", i, c.Name, c.TransA, c.TransB), func(t *testing.T) {
			if err := Check(e, c, uint64(i)); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// Check runs one case on e and on the reference and returns an error that
// shows the worst element when they disagree beyond the tolerance.
func Check(e backend.Engine, c Case, seed uint64) error {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	ar, ac := c.M, c.K // stored shape of A
	if c.TransA {
		ar, ac = c.K, c.M
	}
	br, bc := c.K, c.N
	if c.TransB {
		br, bc = c.N, c.K
	}
	lda, ldb, ldc := max(1, ac+c.Pad), max(1, bc+c.Pad), max(1, c.N+c.Pad)
	a := randMat(rng, ar, lda)
	b := randMat(rng, br, ldb)
	c0 := randMat(rng, c.M, ldc)
	if c.NaNInC || c.Beta == 0 {
		for i := range c0 {
			c0[i] = float32(math.NaN())
		}
	}
	got := append([]float32(nil), c0...)
	e.Sgemm(c.TransA, c.TransB, c.M, c.N, c.K, c.Alpha, a, lda, b, ldb, c.Beta, got, ldc)

	// Reference in float64, and the error bound from |A|·|B|.
	wide := func(x []float32) []float64 {
		y := make([]float64, len(x))
		for i, v := range x {
			y[i] = float64(v)
		}
		return y
	}
	abs := func(x []float64) []float64 {
		y := make([]float64, len(x))
		for i, v := range x {
			y[i] = math.Abs(v)
		}
		return y
	}
	a64, b64, c64 := wide(a), wide(b), wide(c0)
	ref := append([]float64(nil), c64...)
	backend.Gemm(c.TransA, c.TransB, c.M, c.N, c.K, float64(c.Alpha), a64, lda, b64, ldb, float64(c.Beta), ref, ldc)
	mag := make([]float64, len(c64))
	backend.Gemm(c.TransA, c.TransB, c.M, c.N, c.K, 1, abs(a64), lda, abs(b64), ldb, 0, mag, ldc)

	const u = 1.0 / (1 << 24)
	for i := 0; i < c.M; i++ {
		for j := 0; j < c.N; j++ {
			idx := i*ldc + j
			g := float64(got[idx])
			bound := 2*float64(c.K+2)*u*(math.Abs(float64(c.Alpha))*mag[idx]) + 1e-30
			if c.Beta != 0 {
				bound += 2 * u * math.Abs(float64(c.Beta)*c64[idx])
			}
			if math.IsNaN(g) || math.Abs(g-ref[idx]) > bound {
				return fmt.Errorf("%s: %s: C[%d][%d] = %g, reference %g, |diff| %.3g > bound %.3g",
					e.Name(), c.Name, i, j, g, ref[idx], math.Abs(g-ref[idx]), bound)
			}
		}
		// Padding columns of C must be untouched.
		for j := c.N; j < ldc && i*ldc+j < len(got); j++ {
			if idx := i*ldc + j; !(got[idx] == c0[idx] || (math.IsNaN(float64(got[idx])) && math.IsNaN(float64(c0[idx])))) {
				return fmt.Errorf("%s: %s: wrote into padding C[%d][%d]", e.Name(), c.Name, i, j)
			}
		}
	}
	return nil
}

func randMat(rng *rand.Rand, rows, ld int) []float32 {
	x := make([]float32, rows*ld)
	for i := range x {
		x[i] = float32(rng.Float64()*2 - 1)
	}
	return x
}
