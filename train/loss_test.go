package train

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// lossFn is the signature shared by every per-sample loss and gradient.
type lossFn func(yTrue, yPred []float64, batch, units int, out []float64)

// lossAssertClose checks |got−want| ≤ atol + rtol·|want| elementwise.
func lossAssertClose(t *testing.T, want, got []float64, rtol, atol float64, msgAndArgs ...any) {
	t.Helper()
	require.Len(t, got, len(want), msgAndArgs...)
	for i := range want {
		if d := math.Abs(got[i] - want[i]); !(d <= atol+rtol*math.Abs(want[i])) {
			assert.Failf(t, "not close", "element %d: got %.17g, want %.17g (diff %.3g) %v",
				i, got[i], want[i], d, msgAndArgs)
		}
	}
}

// −log of the clip bounds as Keras uses them: ε = 1e-7 and the float64
// 1−ε, a run-time value so that 1 − (1−ε), which is not ε in float64, is
// computed the way the loss computes it.
var (
	lossHi       = 1 - 1e-7
	lossLogEps   = -math.Log(1e-7)       // 16.11809565095832
	lossLogHi    = -math.Log(lossHi)     // ≈ 1.0000000494e-07
	lossLogOneHi = -math.Log(1 - lossHi) // 16.118095651484676: 1 − (1−ε) = 9.9999999947e-08
	lossLn2      = math.Ln2
	lossLn3      = math.Log(3)
)

type lossCase struct {
	name         string
	batch, units int
	yTrue, yPred []float64
	want         []float64
}

func lossRunCases(t *testing.T, f lossFn, cases []lossCase, outLen func(c lossCase) int) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := make([]float64, outLen(c))
			f(c.yTrue, c.yPred, c.batch, c.units, out)
			lossAssertClose(t, c.want, out, 1e-12, 1e-15)
		})
	}
}

func lossPerSampleLen(c lossCase) int { return c.batch }
func lossGradLen(c lossCase) int      { return c.batch * c.units }

func TestCategoricalCrossentropyValues(t *testing.T) {
	lossRunCases(t, CategoricalCrossentropy[float64], []lossCase{
		{"one-hot", 1, 3, []float64{0, 1, 0}, []float64{0.1, 0.8, 0.1}, []float64{-math.Log(0.8)}},
		{"row sums to 4", 1, 3, []float64{0, 1, 0}, []float64{1, 2, 1}, []float64{lossLn2}},
		{"row sums to 0.8", 1, 3, []float64{0, 0, 1}, []float64{0.2, 0.2, 0.4}, []float64{lossLn2}},
		{"soft targets", 1, 3, []float64{0.5, 0.5, 0}, []float64{0.25, 0.25, 0.5}, []float64{math.Log(4)}},
		{"p = 0 clipped to ε", 1, 3, []float64{1, 0, 0}, []float64{0, 0.5, 0.5}, []float64{lossLogEps}},
		{"p = 1 clipped to 1−ε", 1, 3, []float64{1, 0, 0}, []float64{1, 0, 0}, []float64{lossLogHi}},
		{"p = 1 elsewhere", 1, 3, []float64{0, 1, 0}, []float64{1, 0, 0}, []float64{lossLogEps}},
		{"unnormalised then clipped", 1, 3, []float64{1, 0, 0}, []float64{5, 0, 0}, []float64{lossLogHi}},
		{"soft target on clipped entry", 1, 3, []float64{0.5, 0.5, 0}, []float64{0, 0.5, 0.5},
			[]float64{0.5*lossLogEps + 0.5*lossLn2}},
		{"no target mass", 1, 2, []float64{0, 0}, []float64{0.3, 0.7}, []float64{0}},
		{"batch of 2", 2, 2, []float64{1, 0, 0, 1}, []float64{0.5, 0.5, 0.25, 0.75},
			[]float64{lossLn2, -math.Log(0.75)}},
	}, lossPerSampleLen)
}

func TestCategoricalCrossentropyGradValues(t *testing.T) {
	lossRunCases(t, CategoricalCrossentropyGrad[float64], []lossCase{
		// Y/S − y/p with S = 1, Y = 1.
		{"normalised", 1, 3, []float64{0, 0, 1}, []float64{0.25, 0.25, 0.5}, []float64{1, 1, -1}},
		// S = 4: 1/4 − δ/2.
		{"row sums to 4", 1, 3, []float64{0, 1, 0}, []float64{1, 2, 1}, []float64{0.25, -0.25, 0.25}},
		// Everything clipped: q = (1, 0, 0), the target's entry above 1−ε.
		{"p = 1 clipped", 1, 3, []float64{1, 0, 0}, []float64{1, 0, 0}, []float64{0, 0, 0}},
		// The target's entry below ε: no gradient at all (Y = 0).
		{"p = 0 clipped", 1, 3, []float64{1, 0, 0}, []float64{0, 0.5, 0.5}, []float64{0, 0, 0}},
		// Half the target mass on a clipped entry: Y = 0.5, S = 1.
		{"soft target on clipped entry", 1, 3, []float64{0.5, 0.5, 0}, []float64{0, 0.5, 0.5},
			[]float64{0.5, -0.5, 0.5}},
		// Mean over the batch: every row divided by N = 2.
		{"batch of 2", 2, 2, []float64{1, 0, 0, 1}, []float64{0.5, 0.5, 0.25, 0.75},
			[]float64{(1 - 2) / 2., 1 / 2., 1 / 2., (1 - 1/0.75) / 2}},
	}, lossGradLen)
}

func TestCategoricalCrossentropyFromLogitsValues(t *testing.T) {
	lossRunCases(t, CategoricalCrossentropyFromLogits[float64], []lossCase{
		{"uniform", 1, 3, []float64{1, 0, 0}, []float64{0, 0, 0}, []float64{lossLn3}},
		{"shift invariant", 1, 3, []float64{1, 0, 0}, []float64{7, 7, 7}, []float64{lossLn3}},
		{"huge logit, right class", 1, 2, []float64{1, 0}, []float64{1000, 0}, []float64{0}},
		{"huge logit, wrong class", 1, 2, []float64{0, 1}, []float64{1000, 0}, []float64{1000}},
		{"very negative logits", 1, 2, []float64{1, 0}, []float64{-1000, -1000}, []float64{lossLn2}},
		{"targets summing to 2", 1, 2, []float64{1, 1}, []float64{0, 0}, []float64{2 * lossLn2}},
	}, lossPerSampleLen)
}

func TestCategoricalCrossentropyFromLogitsGradValues(t *testing.T) {
	lossRunCases(t, CategoricalCrossentropyFromLogitsGrad[float64], []lossCase{
		{"uniform", 1, 2, []float64{1, 0}, []float64{0, 0}, []float64{-0.5, 0.5}},
		{"huge logits", 1, 2, []float64{0, 1}, []float64{1000, 0}, []float64{1, -1}},
		{"targets summing to 2", 1, 2, []float64{1, 1}, []float64{0, 0}, []float64{0, 0}},
		{"batch of 2", 2, 2, []float64{1, 0, 0, 1}, []float64{0, 0, 0, 0}, []float64{-0.25, 0.25, 0.25, -0.25}},
	}, lossGradLen)
}

func TestSoftmaxCrossentropyGradValues(t *testing.T) {
	lossRunCases(t, SoftmaxCrossentropyGrad[float64], []lossCase{
		{"p − y", 1, 3, []float64{0, 1, 0}, []float64{0.2, 0.3, 0.5}, []float64{0.2, -0.7, 0.5}},
		{"batch of 2", 2, 2, []float64{1, 0, 0, 1}, []float64{0.5, 0.5, 0.9, 0.1},
			[]float64{-0.25, 0.25, 0.45, -0.45}},
		{"targets summing to 2", 1, 2, []float64{1, 1}, []float64{0.5, 0.5}, []float64{0, 0}},
	}, lossGradLen)
}

func TestSparseCategoricalCrossentropyValues(t *testing.T) {
	lossRunCases(t, SparseCategoricalCrossentropy[float64], []lossCase{
		{"class 1", 1, 3, []float64{1}, []float64{0.1, 0.8, 0.1}, []float64{-math.Log(0.8)}},
		{"row sums to 4", 1, 3, []float64{1}, []float64{1, 2, 1}, []float64{lossLn2}},
		{"p = 0 clipped", 1, 3, []float64{0}, []float64{0, 0.5, 0.5}, []float64{lossLogEps}},
		{"p = 1 clipped", 1, 3, []float64{0}, []float64{1, 0, 0}, []float64{lossLogHi}},
		{"batch of 2", 2, 2, []float64{0, 1}, []float64{0.5, 0.5, 0.25, 0.75},
			[]float64{lossLn2, -math.Log(0.75)}},
	}, lossPerSampleLen)
	lossRunCases(t, SparseCategoricalCrossentropyGrad[float64], []lossCase{
		{"row sums to 4", 1, 3, []float64{1}, []float64{1, 2, 1}, []float64{0.25, -0.25, 0.25}},
		{"p = 0 clipped", 1, 3, []float64{0}, []float64{0, 0.5, 0.5}, []float64{0, 0, 0}},
		{"p = 1 clipped", 1, 3, []float64{0}, []float64{1, 0, 0}, []float64{0, 0, 0}},
	}, lossGradLen)
	lossRunCases(t, SparseCategoricalCrossentropyFromLogits[float64], []lossCase{
		{"uniform", 1, 3, []float64{2}, []float64{0, 0, 0}, []float64{lossLn3}},
		{"huge logit, wrong class", 1, 2, []float64{1}, []float64{1000, 0}, []float64{1000}},
	}, lossPerSampleLen)
	lossRunCases(t, SparseCategoricalCrossentropyFromLogitsGrad[float64], []lossCase{
		{"uniform", 1, 2, []float64{0}, []float64{0, 0}, []float64{-0.5, 0.5}},
	}, lossGradLen)
	lossRunCases(t, SparseSoftmaxCrossentropyGrad[float64], []lossCase{
		{"p − y", 1, 3, []float64{1}, []float64{0.2, 0.3, 0.5}, []float64{0.2, -0.7, 0.5}},
	}, lossGradLen)
}

func TestBinaryCrossentropyValues(t *testing.T) {
	lossRunCases(t, BinaryCrossentropy[float64], []lossCase{
		// The example of keras.losses.binary_crossentropy's docstring:
		// [0.916, 0.714].
		{"keras docstring", 2, 2, []float64{0, 1, 0, 0}, []float64{0.6, 0.4, 0.4, 0.6},
			[]float64{-math.Log(0.4), (-math.Log(0.6) - math.Log(0.4)) / 2}},
		{"soft target", 1, 1, []float64{0.25}, []float64{0.5}, []float64{lossLn2}},
		{"p = 0, y = 1", 1, 1, []float64{1}, []float64{0}, []float64{lossLogEps}},
		{"p = 0, y = 0", 1, 1, []float64{0}, []float64{0}, []float64{lossLogHi}},
		{"p = 1, y = 1", 1, 1, []float64{1}, []float64{1}, []float64{lossLogHi}},
		{"p = 1, y = 0", 1, 1, []float64{0}, []float64{1}, []float64{lossLogOneHi}},
		{"mean over units", 1, 2, []float64{1, 0}, []float64{0, 0.5}, []float64{(lossLogEps + lossLn2) / 2}},
	}, lossPerSampleLen)
	lossRunCases(t, BinaryCrossentropyGrad[float64], []lossCase{
		// (p − y)/(p(1−p))/(U·N)
		{"y = 1", 1, 1, []float64{1}, []float64{0.5}, []float64{-2}},
		{"y = 0", 1, 1, []float64{0}, []float64{0.25}, []float64{0.25 / (0.25 * 0.75)}},
		{"clipped p = 0 and p = 1", 1, 2, []float64{1, 0}, []float64{0, 1}, []float64{0, 0}},
		{"U = 2, N = 2", 2, 2, []float64{1, 0, 0, 1}, []float64{0.5, 0.5, 0.5, 0.5},
			[]float64{-0.5, 0.5, 0.5, -0.5}},
	}, lossGradLen)
}

func TestMeanSquaredErrorValues(t *testing.T) {
	lossRunCases(t, MeanSquaredError[float64], []lossCase{
		{"two units", 1, 2, []float64{1, 2}, []float64{0, 4}, []float64{2.5}},
		{"exact", 1, 3, []float64{1, 2, 3}, []float64{1, 2, 3}, []float64{0}},
		{"batch of 2", 2, 1, []float64{0, 0}, []float64{3, -4}, []float64{9, 16}},
	}, lossPerSampleLen)
	lossRunCases(t, MeanSquaredErrorGrad[float64], []lossCase{
		{"two units", 1, 2, []float64{1, 2}, []float64{0, 4}, []float64{-1, 2}},
		{"batch of 2", 2, 1, []float64{0, 0}, []float64{3, -4}, []float64{3, -4}},
	}, lossGradLen)
}

// The sparse losses are the categorical ones with one-hot targets, to the bit.
func TestSparseMatchesCategoricalOneHot(t *testing.T) {
	const batch, units = 7, 5
	r := rand.New(rand.NewPCG(1, 2))
	labels := make([]float64, batch)
	oneHot := make([]float64, batch*units)
	probs := make([]float64, batch*units)
	logits := make([]float64, batch*units)
	for i := range labels {
		k := r.IntN(units)
		labels[i] = float64(k)
		oneHot[i*units+k] = 1
	}
	for i := range probs {
		probs[i] = r.Float64()
		logits[i] = 3 * r.NormFloat64()
	}
	probs[3] = 0 // a clipped entry
	probs[2*units+int(labels[2])] = 0
	pairs := []struct {
		name          string
		sparse, dense lossFn
		yPred         []float64
		perSample     bool
	}{
		{"loss", SparseCategoricalCrossentropy[float64], CategoricalCrossentropy[float64], probs, true},
		{"grad", SparseCategoricalCrossentropyGrad[float64], CategoricalCrossentropyGrad[float64], probs, false},
		{"logits loss", SparseCategoricalCrossentropyFromLogits[float64], CategoricalCrossentropyFromLogits[float64], logits, true},
		{"logits grad", SparseCategoricalCrossentropyFromLogitsGrad[float64], CategoricalCrossentropyFromLogitsGrad[float64], logits, false},
		{"fused grad", SparseSoftmaxCrossentropyGrad[float64], SoftmaxCrossentropyGrad[float64], probs, false},
	}
	for _, p := range pairs {
		n := batch * units
		if p.perSample {
			n = batch
		}
		got, want := make([]float64, n), make([]float64, n)
		p.sparse(labels, p.yPred, batch, units, got)
		p.dense(oneHot, p.yPred, batch, units, want)
		assert.Equal(t, want, got, p.name)
	}
}

func TestSparseLabelsValidated(t *testing.T) {
	out := make([]float64, 3)
	probs := []float64{0.2, 0.3, 0.5}
	for _, bad := range []float64{-1, 3, 1.5, math.NaN()} {
		assert.PanicsWithValue(t,
			fmt.Sprintf("train.SparseCategoricalCrossentropy: sample 0 has label %v, want an integer in [0, 3)", bad),
			func() { SparseCategoricalCrossentropy([]float64{bad}, probs, 1, 3, out) }, "label %v", bad)
	}
	// One-hot targets passed to a sparse loss by mistake.
	assert.Panics(t, func() { SparseCategoricalCrossentropyGrad([]float64{0, 1, 0}, probs, 1, 3, out) })
}

// Short slices panic with the function's name; longer ones are fine and
// only their first batch·units (or batch) elements are touched.
func TestLossShapes(t *testing.T) {
	fns := map[string]lossFn{
		"CategoricalCrossentropy":               CategoricalCrossentropy[float64],
		"CategoricalCrossentropyGrad":           CategoricalCrossentropyGrad[float64],
		"CategoricalCrossentropyFromLogits":     CategoricalCrossentropyFromLogits[float64],
		"CategoricalCrossentropyFromLogitsGrad": CategoricalCrossentropyFromLogitsGrad[float64],
		"SoftmaxCrossentropyGrad":               SoftmaxCrossentropyGrad[float64],
		"BinaryCrossentropy":                    BinaryCrossentropy[float64],
		"BinaryCrossentropyGrad":                BinaryCrossentropyGrad[float64],
		"MeanSquaredError":                      MeanSquaredError[float64],
		"MeanSquaredErrorGrad":                  MeanSquaredErrorGrad[float64],
	}
	yt := []float64{0, 1, 0, 1, 0, 0}
	yp := []float64{0.2, 0.6, 0.2, 0.5, 0.25, 0.25}
	for name, f := range fns {
		out := make([]float64, 6)
		assert.PanicsWithValue(t,
			fmt.Sprintf("train.%s: batch=2 units=3 needs len(yTrue) ≥ 6, len(yPred) ≥ 6, len(out) ≥ %d; got 6, 5, 6", name, lossWantOut(name)),
			func() { f(yt, yp[:5], 2, 3, out) }, name)
		assert.Panics(t, func() { f(yt[:5], yp, 2, 3, out) }, name)
		assert.Panics(t, func() { f(yt, yp, 2, 3, out[:1]) }, name)

		// A longer output buffer: the tail is left alone.
		long := []float64{7, 7, 7, 7, 7, 7, 7, 7}
		f(yt, yp, 2, 3, long)
		assert.Equal(t, []float64{7, 7}, long[6:], name)
		if !strings.HasSuffix(name, "Grad") {
			assert.Equal(t, []float64{7, 7, 7, 7, 7, 7}, long[2:], name)
		}
	}
}

func lossWantOut(name string) int {
	if strings.HasSuffix(name, "Grad") {
		return 6
	}
	return 2
}

func TestLossByName(t *testing.T) {
	for _, c := range []struct{ name, canonical string }{
		{"categorical_crossentropy", "categorical_crossentropy"},
		{"sparse_categorical_crossentropy", "sparse_categorical_crossentropy"},
		{"binary_crossentropy", "binary_crossentropy"},
		{"mean_squared_error", "mean_squared_error"},
		{"mse", "mean_squared_error"},
	} {
		l, err := LossByName(c.name)
		require.NoError(t, err, c.name)
		assert.Equal(t, c.canonical, l.Name(), c.name)
	}
	for _, bad := range []string{"", "hinge", "categorical-crossentropy"} {
		l, err := LossByName(bad)
		assert.Nil(t, l)
		require.Error(t, err)
		for _, valid := range []string{"binary_crossentropy", "categorical_crossentropy", "mean_squared_error", "mse", "sparse_categorical_crossentropy"} {
			assert.Contains(t, err.Error(), valid)
		}
	}
	_, err := LossByName("MSE")
	assert.ErrorContains(t, err, `did you mean "mean_squared_error"?`)
	// Every registered Loss reports a name that maps back to itself.
	for name, l := range lossRegistry {
		back, err := LossByName(l.Name())
		require.NoError(t, err, name)
		assert.Equal(t, l, back, name)
	}
}

// The float32 path (the Loss types and the float32 instantiations) agrees
// with the float64 reference run on the same float32-representable inputs:
// |f32 − f64| ≤ 1e-6·|f64| + atol, atol = 1e-6 for losses (O(1)) and 1e-7
// for gradients (O(1/N), N = 32). The floor covers values near zero and
// gradient entries that are differences of larger terms (Y/S − y/p,
// Y·softmax − y), where float32 rounding of the terms is amplified;
// elsewhere the observed relative difference is ~1e-7.
func TestLossFloat32MatchesFloat64(t *testing.T) {
	const batch, units = 32, 10
	r := rand.New(rand.NewPCG(3, 4))
	n := batch * units
	logits32 := make([]float32, n)
	probs32 := make([]float32, n)
	unnorm32 := make([]float32, n)
	bin32 := make([]float32, n)
	oneHot32 := make([]float32, n)
	soft32 := make([]float32, n)
	labels32 := make([]float32, batch)
	reg32 := make([]float32, n)
	regT32 := make([]float32, n)
	for i := 0; i < batch; i++ {
		z := logits32[i*units : (i+1)*units]
		var s float64
		for j := range z {
			z[j] = float32(2 * r.NormFloat64())
			s += math.Exp(float64(z[j]))
		}
		for j := range z {
			probs32[i*units+j] = float32(math.Exp(float64(z[j])) / s)
		}
		k := r.IntN(units)
		labels32[i] = float32(k)
		oneHot32[i*units+k] = 1
	}
	for i := range unnorm32 {
		unnorm32[i] = float32(0.05 + r.Float64())
		bin32[i] = float32(0.02 + 0.96*r.Float64())
		soft32[i] = float32(r.Float64())
		reg32[i] = float32(r.NormFloat64())
		regT32[i] = float32(r.NormFloat64())
	}
	// Clipped from below. (p = 1 is not compared: 1−ε rounds to 1 − 2⁻²³ in
	// float32, so −log(1 − (1−ε)) is 23·ln 2 there and −log(1e-7) in
	// float64, a difference of dtype that Keras has too; see
	// TestLossFloat32ClipBounds.)
	probs32[5] = 0
	bin32[7] = 0

	to64 := func(xs []float32) []float64 {
		out := make([]float64, len(xs))
		for i, x := range xs {
			out[i] = float64(x)
		}
		return out
	}
	type fpair struct {
		f32 func(yTrue, yPred []float32, batch, units int, out []float32)
		f64 lossFn
	}
	cases := []struct {
		name         string
		f            fpair
		yTrue, yPred []float32
		perSample    bool
		rtol, atol   float64
	}{
		{"CCE loss, probs", fpair{CategoricalCrossentropyLoss{}.PerSample, CategoricalCrossentropy[float64]}, oneHot32, probs32, true, 1e-6, 1e-6},
		{"CCE loss, unnormalised soft", fpair{CategoricalCrossentropyLoss{}.PerSample, CategoricalCrossentropy[float64]}, soft32, unnorm32, true, 1e-6, 1e-6},
		{"CCE grad, probs", fpair{CategoricalCrossentropyLoss{}.Gradient, CategoricalCrossentropyGrad[float64]}, oneHot32, probs32, false, 1e-6, 1e-7},
		{"CCE grad, unnormalised soft", fpair{CategoricalCrossentropyLoss{}.Gradient, CategoricalCrossentropyGrad[float64]}, soft32, unnorm32, false, 1e-6, 1e-7},
		{"CCE logits loss", fpair{CategoricalCrossentropyFromLogits[float32], CategoricalCrossentropyFromLogits[float64]}, soft32, logits32, true, 1e-6, 1e-6},
		{"CCE logits grad", fpair{CategoricalCrossentropyFromLogitsGrad[float32], CategoricalCrossentropyFromLogitsGrad[float64]}, soft32, logits32, false, 1e-6, 1e-7},
		{"fused grad", fpair{SoftmaxCrossentropyGrad[float32], SoftmaxCrossentropyGrad[float64]}, oneHot32, probs32, false, 1e-6, 1e-7},
		{"sparse loss", fpair{SparseCategoricalCrossentropyLoss{}.PerSample, SparseCategoricalCrossentropy[float64]}, labels32, probs32, true, 1e-6, 1e-6},
		{"sparse grad", fpair{SparseCategoricalCrossentropyLoss{}.Gradient, SparseCategoricalCrossentropyGrad[float64]}, labels32, probs32, false, 1e-6, 1e-7},
		{"sparse logits loss", fpair{SparseCategoricalCrossentropyFromLogits[float32], SparseCategoricalCrossentropyFromLogits[float64]}, labels32, logits32, true, 1e-6, 1e-6},
		{"sparse logits grad", fpair{SparseCategoricalCrossentropyFromLogitsGrad[float32], SparseCategoricalCrossentropyFromLogitsGrad[float64]}, labels32, logits32, false, 1e-6, 1e-7},
		{"sparse fused grad", fpair{SparseSoftmaxCrossentropyGrad[float32], SparseSoftmaxCrossentropyGrad[float64]}, labels32, probs32, false, 1e-6, 1e-7},
		{"BCE loss", fpair{BinaryCrossentropyLoss{}.PerSample, BinaryCrossentropy[float64]}, soft32, bin32, true, 1e-6, 1e-6},
		{"BCE grad", fpair{BinaryCrossentropyLoss{}.Gradient, BinaryCrossentropyGrad[float64]}, soft32, bin32, false, 1e-6, 1e-7},
		{"MSE loss", fpair{MeanSquaredErrorLoss{}.PerSample, MeanSquaredError[float64]}, regT32, reg32, true, 1e-6, 1e-6},
		{"MSE grad", fpair{MeanSquaredErrorLoss{}.Gradient, MeanSquaredErrorGrad[float64]}, regT32, reg32, false, 1e-6, 1e-7},
	}
	for _, c := range cases {
		m := n
		if c.perSample {
			m = batch
		}
		got32 := make([]float32, m)
		want := make([]float64, m)
		c.f.f32(c.yTrue, c.yPred, batch, units, got32)
		c.f.f64(to64(c.yTrue), to64(c.yPred), batch, units, want)
		lossAssertClose(t, want, to64(got32), c.rtol, c.atol, c.name)
	}
}

// In float32 the clip bounds are float32(1e-7) and float32(1−1e-7) = 1 − 2⁻²³,
// as in Keras where the Python floats are converted to the tensor's dtype.
func TestLossFloat32ClipBounds(t *testing.T) {
	out := make([]float32, 1)
	grad := make([]float32, 2)
	BinaryCrossentropyLoss{}.PerSample([]float32{0}, []float32{1}, 1, 1, out)
	assert.InDelta(t, 23*math.Ln2, float64(out[0]), 1e-6)
	BinaryCrossentropyLoss{}.PerSample([]float32{1}, []float32{0}, 1, 1, out)
	assert.InDelta(t, -math.Log(float64(float32(1e-7))), float64(out[0]), 1e-6)
	CategoricalCrossentropyLoss{}.PerSample([]float32{1, 0}, []float32{1, 0}, 1, 2, out)
	assert.InDelta(t, -math.Log(1-0x1p-23), float64(out[0]), 1e-12)
	CategoricalCrossentropyLoss{}.Gradient([]float32{1, 0}, []float32{1, 0}, 1, 2, grad)
	assert.Equal(t, []float32{0, 0}, grad)
	// 1 − 2⁻²³ itself is not clipped: the clip passes the gradient at its bounds.
	BinaryCrossentropyLoss{}.Gradient([]float32{1, 0}, []float32{1 - 0x1p-23, 1}, 1, 2, grad)
	assert.InDelta(t, -1/(1-0x1p-23)/2, float64(grad[0]), 1e-7)
	assert.Zero(t, grad[1])
}

// A training step calls PerSample and Gradient once per batch; neither may
// allocate, whatever the loss, and neither may the generic functions.
func TestLossAllocatesNothing(t *testing.T) {
	const batch, units = 16, 10
	yTrue := make([]float32, batch*units)
	labels := make([]float32, batch)
	yPred := make([]float32, batch*units)
	for i := range yPred {
		yPred[i] = 0.1
	}
	for i := 0; i < batch; i++ {
		yTrue[i*units+i%units] = 1
		labels[i] = float32(i % units)
	}
	out := make([]float32, batch)
	grad := make([]float32, batch*units)
	for name, l := range lossRegistry {
		yt := yTrue
		if name == "sparse_categorical_crossentropy" {
			yt = labels
		}
		assert.Zero(t, testing.AllocsPerRun(20, func() { l.PerSample(yt, yPred, batch, units, out) }), name)
		assert.Zero(t, testing.AllocsPerRun(20, func() { l.Gradient(yt, yPred, batch, units, grad) }), name)
	}
	for name, f := range map[string]func(){
		"CategoricalCrossentropyFromLogits":           func() { CategoricalCrossentropyFromLogits(yTrue, yPred, batch, units, out) },
		"CategoricalCrossentropyFromLogitsGrad":       func() { CategoricalCrossentropyFromLogitsGrad(yTrue, yPred, batch, units, grad) },
		"SoftmaxCrossentropyGrad":                     func() { SoftmaxCrossentropyGrad(yTrue, yPred, batch, units, grad) },
		"SparseCategoricalCrossentropyFromLogits":     func() { SparseCategoricalCrossentropyFromLogits(labels, yPred, batch, units, out) },
		"SparseCategoricalCrossentropyFromLogitsGrad": func() { SparseCategoricalCrossentropyFromLogitsGrad(labels, yPred, batch, units, grad) },
		"SparseSoftmaxCrossentropyGrad":               func() { SparseSoftmaxCrossentropyGrad(labels, yPred, batch, units, grad) },
	} {
		assert.Zero(t, testing.AllocsPerRun(20, f), name)
	}
}
