package model

import (
	"math"
	"math/rand/v2"
	"testing"
)

// The vector kernel must give exactly the bits of sigmoid32, for every
// length around the vector width and for special values.
func TestSigmoidKernelMatchesScalar(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	special := []float32{0, float32(math.Copysign(0, -1)), 1e-30, -1e-30, 87.2, 87.4, -87.2, -87.4, 88, -88, 200, -200,
		float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), 0.34657359, -0.34657359}
	for _, n := range []int{0, 1, 7, 8, 9, 17, 1000, len(special)} {
		z := make([]float32, n)
		for i := range z {
			if n == len(special) {
				z[i] = special[i]
			} else {
				z[i] = float32(rng.NormFloat64() * 8)
			}
		}
		want := append([]float32(nil), z...)
		sigmoidSlice32(want)
		got := append([]float32(nil), z...)
		sigmoidKernel(got)
		for i := range z {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) && !(isNaN32(got[i]) && isNaN32(want[i])) {
				t.Fatalf("n=%d: sigmoid(%v): kernel %v (%08x), scalar %v (%08x)", n, z[i], got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
			}
		}
	}
}

func isNaN32(x float32) bool { return x != x }

func BenchmarkSigmoidKernel(b *testing.B) {
	z := make([]float32, 128*128)
	for i := range z {
		z[i] = float32(i%200)/10 - 10
	}
	for b.Loop() {
		sigmoidKernel(z)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(z)), "ns/value")
}

func BenchmarkSigmoidScalar(b *testing.B) {
	z := make([]float32, 128*128)
	for i := range z {
		z[i] = float32(i%200)/10 - 10
	}
	for b.Loop() {
		sigmoidSlice32(z)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(z)), "ns/value")
}
