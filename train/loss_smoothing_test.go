package train

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Label smoothing's loss values worked by hand, with ls = 0.1 and K = 3:
// the smoothed one-hot row is 0.9 + 0.1/3 = 0.9333… on its class and
// 0.1/3 = 0.0333… elsewhere. The predictions are the rows of Keras's
// CategoricalCrossentropy docstring example (losses.py), whose unsmoothed
// losses are 0.0513 and 2.303.
func TestLabelSmoothingCategoricalByHand(t *testing.T) {
	const ls = 0.1
	yTrue := []float32{0, 1, 0, 0, 0, 1}
	yPred := []float32{0.05, 0.95, 0, 0.1, 0.8, 0.1}
	hi, lo := 0.9+ls/3, ls/3
	want := []float64{
		// Row 0: the 0 is clipped to ε = 1e-7:
		// −(lo·ln 0.05 + hi·ln 0.95 + lo·ln 1e-7)
		// = 0.099858 + 0.047873 + 0.537270 = 0.685001.
		-(lo*math.Log(0.05) + hi*math.Log(0.95) + lo*math.Log(1e-7)),
		// Row 1: −(lo·ln 0.1 + lo·ln 0.8 + hi·ln 0.1)
		// = 0.076753 + 0.007438 + 2.149079 = 2.233270.
		-(lo*math.Log(0.1) + lo*math.Log(0.8) + hi*math.Log(0.1)),
	}
	assert.InDeltaSlice(t, []float64{0.685001, 2.233270}, want, 1e-6)

	out := make([]float32, 2)
	CategoricalCrossentropyLoss{LabelSmoothing: ls}.PerSample(yTrue, yPred, 2, 3, out)
	assertAllClose(t, want, out, 1e-6, 1e-6)

	// Unsmoothed, the same rows give Keras's docstring values.
	CategoricalCrossentropyLoss{}.PerSample(yTrue, yPred, 2, 3, out)
	assertAllClose(t, []float64{0.0513, 2.303}, out, 1e-3, 1e-3)
}

// Keras's CategoricalCrossentropyTest.test_label_smoothing
// (keras/src/losses/losses_test.py): logits [100, −100, −100], target
// class 0, ls = 0.1, loss 400·ls/3. That test is from logits; here the
// smoothing map feeds the from-logits loss: the smoothed targets are
// [0.9333, 0.0333, 0.0333] and the log-softmax is [0, −200, −200], so the
// loss is 2·(0.1/3)·200 = 400·0.1/3 = 13.333….
func TestLabelSmoothingKerasExample(t *testing.T) {
	s := categoricalSmoothing[float64](0.1, 3)
	y := []float64{s.apply(1), s.apply(0), s.apply(0)}
	out := make([]float64, 1)
	CategoricalCrossentropyFromLogits(y, []float64{100, -100, -100}, 1, 3, out)
	assert.InDelta(t, 400*0.1/3, out[0], 1e-9)

	// BinaryCrossentropyTest.test_label_smoothing: logits [10, −10, −10],
	// targets [1, 0, 1], ls = 0.1, Keras's (10 + 5·ls)/3 = 3.5. On the
	// probabilities σ(logits) (none clipped) the smoothed targets are
	// 0.95, 0.05, 0.95, and the terms are 0.5, 0.5 and 9.5 plus
	// log(1 + e⁻¹⁰)-sized pieces (4.5e-5 each) that Keras's expected value
	// leaves out: 3.5 within 1e-4.
	sig := func(x float64) float32 { return float32(1 / (1 + math.Exp(-x))) }
	bce := make([]float32, 1)
	BinaryCrossentropyLoss{LabelSmoothing: 0.1}.PerSample([]float32{1, 0, 1}, []float32{sig(10), sig(-10), sig(-10)}, 1, 3, bce)
	assert.InDelta(t, (10+5*0.1)/3, float64(bce[0]), 1e-4)
}

// Binary label smoothing by hand: ls = 0.2 squeezes targets [1, 0] to
// [0.9, 0.1]; with p = [0.9, 0.2] the loss is
// ½·[−(0.9·ln 0.9 + 0.1·ln 0.1) − (0.1·ln 0.2 + 0.9·ln 0.8)]
// = ½·[0.325083 + 0.361773] = 0.343428, and the gradient
// (p − y)/(p(1−p))/(U·N) is [0, (0.2 − 0.1)/(0.2·0.8)/2 = 0.3125].
func TestLabelSmoothingBinaryByHand(t *testing.T) {
	l := BinaryCrossentropyLoss{LabelSmoothing: 0.2}
	out, grad := make([]float32, 1), make([]float32, 2)
	l.PerSample([]float32{1, 0}, []float32{0.9, 0.2}, 1, 2, out)
	want := 0.5 * (-(0.9*math.Log(0.9) + 0.1*math.Log(0.1)) - (0.1*math.Log(0.2) + 0.9*math.Log(0.8)))
	assert.InDelta(t, 0.343428, want, 1e-6)
	assert.InDelta(t, want, float64(out[0]), 1e-6)
	l.Gradient([]float32{1, 0}, []float32{0.9, 0.2}, 1, 2, grad)
	assert.InDeltaSlice(t, []float32{0, 0.3125}, grad, 1e-6)
}

// The fused softmax gradient uses the smoothed targets: (p − y_smooth)/N.
func TestLabelSmoothingFusedGradient(t *testing.T) {
	const ls, n, k = 0.2, 2, 4
	probs := []float32{0.1, 0.2, 0.3, 0.4, 0.7, 0.1, 0.1, 0.1}
	yTrue := []float32{0, 0, 1, 0, 1, 0, 0, 0}
	grad := make([]float32, n*k)
	CategoricalCrossentropyLoss{LabelSmoothing: ls}.SoftmaxLogitsGradient(yTrue, probs, n, k, grad)
	for i, y := range yTrue {
		ys := float64(y)*(1-ls) + ls/k // 0.85 on the class, 0.05 elsewhere
		assert.InDelta(t, (float64(probs[i])-ys)/n, float64(grad[i]), 1e-7, "entry %d", i)
	}
}

// Finite differences of the smoothed losses in float64 (see
// loss_gradcheck_test.go for the tolerance): the gradients use the same
// smoothed targets as the losses.
func TestGradCheckLabelSmoothing(t *testing.T) {
	const batch, units, ls = 5, 4, 0.15
	r := rand.New(rand.NewPCG(30, 31))
	oneHot := make([]float64, batch*units)
	for i := 0; i < batch; i++ {
		oneHot[i*units+r.IntN(units)] = 1
	}
	cs := categoricalSmoothing[float64](ls, units)
	cce := func(y, p []float64, b, u int, out []float64) { categoricalCrossentropy(y, p, b, u, out, cs) }
	cceGrad := func(y, p []float64, b, u int, g []float64) { categoricalCrossentropyGrad(y, p, b, u, g, cs) }
	fused := func(y, p []float64, b, u int, g []float64) { softmaxCrossentropyGrad(y, p, b, u, g, cs) }

	p := lossRandRows(batch, units, func() float64 { return 0.1 + r.Float64() })
	lossCheckGrad(t, "smoothed CCE", cce, lossIdentity, cceGrad, lossIdentity, oneHot, p, batch, units)
	z := lossRandRows(batch, units, func() float64 { return 2 * r.NormFloat64() })
	softmax := lossSoftmaxRows(units)
	lossCheckGrad(t, "smoothed fused vs CCE∘softmax", cce, softmax, fused, softmax, oneHot, z, batch, units)

	bs := binarySmoothing[float64](ls)
	bce := func(y, p []float64, b, u int, out []float64) { binaryCrossentropy(y, p, b, u, out, bs) }
	bceGrad := func(y, p []float64, b, u int, g []float64) { binaryCrossentropyGrad(y, p, b, u, g, bs) }
	pb := lossRandRows(batch, units, func() float64 { return 0.05 + 0.9*r.Float64() })
	hard := lossRandRows(batch, units, func() float64 { return float64(r.IntN(2)) })
	lossCheckGrad(t, "smoothed BCE", bce, lossIdentity, bceGrad, lossIdentity, hard, pb, batch, units)

	// The smoothing moves the gradient: it is not the unsmoothed one.
	a, b := make([]float64, batch*units), make([]float64, batch*units)
	CategoricalCrossentropyGrad(oneHot, p, batch, units, a)
	cceGrad(oneHot, p, batch, units, b)
	assert.NotEqual(t, a, b)
}

func TestWithLabelSmoothing(t *testing.T) {
	l, err := WithLabelSmoothing(CategoricalCrossentropyLoss{}, 0.1)
	require.NoError(t, err)
	assert.Equal(t, CategoricalCrossentropyLoss{LabelSmoothing: 0.1}, l)
	l, err = WithLabelSmoothing(BinaryCrossentropyLoss{}, 1)
	require.NoError(t, err)
	assert.Equal(t, BinaryCrossentropyLoss{LabelSmoothing: 1}, l)
	l, err = WithLabelSmoothing(MeanSquaredErrorLoss{}, 0)
	require.NoError(t, err)
	assert.Equal(t, MeanSquaredErrorLoss{}, l, "0 is no smoothing, for any loss")

	for _, bad := range []float64{-0.1, 1.5, math.NaN(), math.Inf(1)} {
		_, err := WithLabelSmoothing(CategoricalCrossentropyLoss{}, bad)
		assert.ErrorContains(t, err, "[0, 1]", "%v", bad)
	}
	for _, l := range []Loss{MeanSquaredErrorLoss{}, SparseCategoricalCrossentropyLoss{}, nil} {
		_, err := WithLabelSmoothing(l, 0.1)
		assert.ErrorContains(t, err, "no label smoothing")
	}
}

// The smoothed losses allocate nothing, and ls = 0 is the unsmoothed loss
// bit for bit.
func TestLabelSmoothingAllocatesNothing(t *testing.T) {
	const batch, units = 8, 5
	r := rand.New(rand.NewPCG(32, 33))
	y, p := make([]float32, batch*units), make([]float32, batch*units)
	for i := range p {
		p[i] = 0.05 + 0.9*r.Float32()
	}
	for i := 0; i < batch; i++ {
		y[i*units+r.IntN(units)] = 1
	}
	out, grad := make([]float32, batch), make([]float32, batch*units)
	c := CategoricalCrossentropyLoss{LabelSmoothing: 0.1}
	b := BinaryCrossentropyLoss{LabelSmoothing: 0.1}
	for name, f := range map[string]func(){
		"cce":       func() { c.PerSample(y, p, batch, units, out) },
		"cce grad":  func() { c.Gradient(y, p, batch, units, grad) },
		"cce fused": func() { c.SoftmaxLogitsGradient(y, p, batch, units, grad) },
		"bce":       func() { b.PerSample(y, p, batch, units, out) },
		"bce grad":  func() { b.Gradient(y, p, batch, units, grad) },
	} {
		assert.Zero(t, testing.AllocsPerRun(20, f), name)
	}

	a, g := make([]float32, batch*units), make([]float32, batch*units)
	CategoricalCrossentropyLoss{}.SoftmaxLogitsGradient(y, p, batch, units, a)
	SoftmaxCrossentropyGrad(y, p, batch, units, g)
	assert.Equal(t, bits(g), bits(a))
}
