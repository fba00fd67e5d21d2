package model

import (
	"math"
	"testing"
)

func TestExp32(t *testing.T) {
	worst := 0.0
	for x := float32(-87); x <= 0; x += 0.000731 {
		want := math.Exp(float64(x))
		got := float64(exp32(x))
		if e := math.Abs(got-want) / want; e > worst {
			worst = e
		}
	}
	t.Logf("worst relative error %.3g (float32 ulp is 1.19e-7)", worst)
	if worst > 3e-7 {
		t.Fatalf("exp32: worst relative error %.3g > 3e-7", worst)
	}
	for _, x := range []float32{-88, -100, float32(math.Inf(-1))} {
		if got := exp32(x); got != 0 {
			t.Errorf("exp32(%v) = %v, want 0", x, got)
		}
	}
	if got := exp32(0); got != 1 {
		t.Errorf("exp32(0) = %v, want 1", got)
	}
}

func TestSigmoid32MatchesFloat64(t *testing.T) {
	for z64 := -30.0; z64 <= 30; z64 += 0.0137 {
		z := float64(float32(z64)) // the float32 input, exactly
		want := 1 / (1 + math.Exp(-z))
		got := float64(sigmoid32(float32(z)))
		if math.Abs(got-want) > 4e-7*want {
			t.Fatalf("sigmoid(%v) = %v, want %v", z, got, want)
		}
	}
}

// Throughput over a buffer the size of one hidden layer's batch output.
var benchIn = func() []float32 {
	x := make([]float32, 128*128)
	for i := range x {
		x[i] = -float32(i%1000) / 100
	}
	return x
}()

func BenchmarkExp32(b *testing.B) {
	out := make([]float32, len(benchIn))
	for b.Loop() {
		for i, x := range benchIn {
			out[i] = exp32(x)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(benchIn)), "ns/exp")
}

func BenchmarkMathExp(b *testing.B) {
	out := make([]float32, len(benchIn))
	for b.Loop() {
		for i, x := range benchIn {
			out[i] = float32(math.Exp(float64(x)))
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(benchIn)), "ns/exp")
}
