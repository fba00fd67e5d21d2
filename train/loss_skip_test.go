package train

import (
	"math"
	"math/rand/v2"
	"testing"
)

// categoricalCrossentropyAllLogs is categoricalCrossentropy as it was
// before it skipped the zero-weight terms: every term's log taken and
// added. The reference that the skip must match bit for bit.
func categoricalCrossentropyAllLogs(yTrue, yPred []float32, batch, units int, out []float32, s smoothing[float32]) {
	lo, hi := lossClipBounds[float32]()
	for i := 0; i < batch; i++ {
		t := yTrue[i*units : (i+1)*units]
		p := yPred[i*units : (i+1)*units]
		var sum float32
		for _, v := range p {
			sum += v
		}
		var l float32
		for j, y := range t {
			q, _ := lossClip(p[j]/sum, lo, hi)
			l += s.apply(y) * -lossLog(q)
		}
		out[i] = l
	}
}

// Skipping the log of zero-weight terms changes no bit of the loss: one-hot
// and soft targets, with and without label smoothing, over probabilities
// that include zeros, values past the clip, NaN and ±Inf (NaN must still
// come out NaN).
func TestCategoricalCrossentropySkipBitIdentical(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	const batch, units = 512, 10
	yTrue, yPred := make([]float32, batch*units), make([]float32, batch*units)
	specials := []float32{0, 1, 1e-9, 1 - 1e-9, float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), -0.5, 1e30}
	for i := 0; i < batch; i++ {
		label := rng.IntN(units)
		for j := 0; j < units; j++ {
			k := i*units + j
			switch {
			case i%4 == 3: // soft targets
				yTrue[k] = rng.Float32()
			case j == label:
				yTrue[k] = 1
			}
			yPred[k] = rng.Float32()
			if rng.IntN(8) == 0 {
				yPred[k] = specials[rng.IntN(len(specials))]
			}
		}
	}
	for _, s := range []smoothing[float32]{noSmoothing[float32](), categoricalSmoothing[float32](0.1, units)} {
		got, want := make([]float32, batch), make([]float32, batch)
		categoricalCrossentropy(yTrue, yPred, batch, units, got, s)
		categoricalCrossentropyAllLogs(yTrue, yPred, batch, units, want, s)
		nan := 0
		for i := range got {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) && !(got[i] != got[i] && want[i] != want[i]) {
				t.Fatalf("smoothing %+v, row %d: %v (%#x), want %v (%#x); p %v, y %v", s, i, got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]), yPred[i*units:(i+1)*units], yTrue[i*units:(i+1)*units])
			}
			if want[i] != want[i] {
				nan++
			}
		}
		if nan == 0 {
			t.Fatal("no NaN loss among the inputs: the NaN path went untested")
		}
	}
}

func BenchmarkCategoricalCrossentropy(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	const batch, units = 128, 10
	yTrue, yPred, out := make([]float32, batch*units), make([]float32, batch*units), make([]float32, batch)
	for i := 0; i < batch; i++ {
		yTrue[i*units+rng.IntN(units)] = 1
		for j := 0; j < units; j++ {
			yPred[i*units+j] = rng.Float32()
		}
	}
	s := noSmoothing[float32]()
	b.Run("skip", func(b *testing.B) {
		for b.Loop() {
			categoricalCrossentropy(yTrue, yPred, batch, units, out, s)
		}
	})
	b.Run("all-logs", func(b *testing.B) {
		for b.Loop() {
			categoricalCrossentropyAllLogs(yTrue, yPred, batch, units, out, s)
		}
	})
}
