package train

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
)

// Finite-difference checks of every loss gradient in float64: central
// differences (L(x+h) − L(x−h))/2h of the batch-mean loss L with h = 1e-6.
// The truncation error is O(h²·L‴) ≈ 1e-12·L‴ and the rounding error about
// 2⁻⁵²·|L|/h ≈ 2e-10·|L|, so the analytic gradient a and the numeric one n
// must satisfy |a − n| ≤ 1e-6·max(|a|, |n|) + floor, where the floor
// 8·2⁻⁵²·max(1, |L|)/h (≈ 2e-9 for L ~ 1) is the difference quotient's own
// rounding noise: for entries much smaller than ~1e-3 that noise, not the
// gradient, limits the relative agreement. Inputs stay away from the clip
// kinks q = ε and q = 1−ε, except where a clip is active with room to spare
// (negative or > 1 predictions), which checks that clipped entries pass no
// gradient.

const (
	lossFDStep = 1e-6
	lossFDRtol = 1e-6
)

// lossMean is the batch mean of a per-sample loss.
func lossMean(f lossFn, yTrue, yPred []float64, batch, units int) float64 {
	out := make([]float64, batch)
	f(yTrue, yPred, batch, units, out)
	var s float64
	for _, v := range out {
		s += v
	}
	return s / float64(batch)
}

// lossNumericGrad is the central-difference gradient of the batch mean of
// loss(yTrue, g(x)) with respect to x, where g maps x (batch·units) to the
// loss's yPred.
func lossNumericGrad(loss lossFn, g func(x []float64) []float64, yTrue, x []float64, batch, units int) []float64 {
	num := make([]float64, len(x))
	xp := append([]float64(nil), x...)
	for k := range x {
		xp[k] = x[k] + lossFDStep
		up := lossMean(loss, yTrue, g(xp), batch, units)
		xp[k] = x[k] - lossFDStep
		down := lossMean(loss, yTrue, g(xp), batch, units)
		xp[k] = x[k]
		num[k] = (up - down) / (2 * lossFDStep)
	}
	return num
}

func lossIdentity(x []float64) []float64 { return x }

// lossSoftmaxRows returns softmax of each row of z (batch, units).
func lossSoftmaxRows(units int) func(z []float64) []float64 {
	return func(z []float64) []float64 {
		p := make([]float64, len(z))
		for i := 0; i < len(z); i += units {
			m := math.Inf(-1)
			for _, v := range z[i : i+units] {
				m = math.Max(m, v)
			}
			var s float64
			for j, v := range z[i : i+units] {
				p[i+j] = math.Exp(v - m)
				s += p[i+j]
			}
			for j := range p[i : i+units] {
				p[i+j] /= s
			}
		}
		return p
	}
}

// lossCheckGrad compares an analytic gradient with finite differences and
// logs the largest relative error among entries of magnitude ≥ 1e-3.
func lossCheckGrad(t *testing.T, name string, loss lossFn, g func([]float64) []float64, grad lossFn,
	gradInput func(x []float64) []float64, yTrue, x []float64, batch, units int) {
	t.Helper()
	num := lossNumericGrad(loss, g, yTrue, x, batch, units)
	ana := make([]float64, batch*units)
	grad(yTrue, gradInput(x), batch, units, ana)
	l := lossMean(loss, yTrue, g(x), batch, units)
	floor := 8 * 0x1p-52 * math.Max(1, math.Abs(l)) / lossFDStep
	worst := 0.0
	for k := range num {
		d := math.Abs(ana[k] - num[k])
		s := math.Max(math.Abs(ana[k]), math.Abs(num[k]))
		if !(d <= lossFDRtol*s+floor) {
			assert.Failf(t, "gradient mismatch", "%s: element %d: analytic %.12g, numeric %.12g", name, k, ana[k], num[k])
		}
		if s >= 1e-3 {
			worst = math.Max(worst, d/s)
		}
	}
	t.Logf("%s: max relative error %.2g (entries ≥ 1e-3; noise floor %.1g)", name, worst, floor)
}

// lossRandRows fills a (batch, units) matrix with values from gen.
func lossRandRows(batch, units int, gen func() float64) []float64 {
	x := make([]float64, batch*units)
	for i := range x {
		x[i] = gen()
	}
	return x
}

func TestGradCheckCategoricalCrossentropy(t *testing.T) {
	const batch, units = 5, 4
	r := rand.New(rand.NewPCG(10, 11))
	// Unnormalised positive predictions, well inside (ε, 1−ε) after
	// renormalisation.
	p := lossRandRows(batch, units, func() float64 { return 0.1 + r.Float64() })
	oneHot := make([]float64, batch*units)
	for i := 0; i < batch; i++ {
		oneHot[i*units+r.IntN(units)] = 1
	}
	soft := lossRandRows(batch, units, r.Float64) // rows not summing to 1
	// Row 4: a negative prediction, clipped from below with room to spare,
	// carrying target mass; its log term must pass no gradient.
	p[4*units+2] = -0.05
	soft[4*units+2] = 0.7
	oneHot[4*units+2] = 0
	for name, y := range map[string][]float64{"one-hot": oneHot, "soft": soft} {
		lossCheckGrad(t, "CCE "+name, CategoricalCrossentropy[float64], lossIdentity,
			CategoricalCrossentropyGrad[float64], lossIdentity, y, p, batch, units)
	}
}

func TestGradCheckCategoricalCrossentropyFromLogits(t *testing.T) {
	const batch, units = 5, 4
	r := rand.New(rand.NewPCG(12, 13))
	z := lossRandRows(batch, units, func() float64 { return 3 * r.NormFloat64() })
	oneHot := make([]float64, batch*units)
	for i := 0; i < batch; i++ {
		oneHot[i*units+r.IntN(units)] = 1
	}
	soft := lossRandRows(batch, units, r.Float64)
	for name, y := range map[string][]float64{"one-hot": oneHot, "soft": soft} {
		// Shifting a row of logits changes neither the loss nor the
		// gradient: the row maximum is subtracted before exp.
		shifted := append([]float64(nil), z...)
		for j := 0; j < units; j++ {
			shifted[j] += 500
		}
		for _, f := range []lossFn{CategoricalCrossentropyFromLogits[float64], CategoricalCrossentropyFromLogitsGrad[float64]} {
			a, b := make([]float64, batch*units), make([]float64, batch*units)
			f(y, z, batch, units, a)
			f(y, shifted, batch, units, b)
			lossAssertClose(t, a, b, 1e-12, 1e-12, "shift by 500, "+name)
		}
		lossCheckGrad(t, "CCE logits "+name, CategoricalCrossentropyFromLogits[float64], lossIdentity,
			CategoricalCrossentropyFromLogitsGrad[float64], lossIdentity, y, z, batch, units)
	}
}

// The fused gradient, given probs = softmax(z), is the gradient with respect
// to z of both the from-logits loss and CCE(softmax(z)) (no clip active).
func TestGradCheckSoftmaxCrossentropy(t *testing.T) {
	const batch, units = 6, 5
	r := rand.New(rand.NewPCG(14, 15))
	z := lossRandRows(batch, units, func() float64 { return 2 * r.NormFloat64() })
	oneHot := make([]float64, batch*units)
	for i := 0; i < batch; i++ {
		oneHot[i*units+r.IntN(units)] = 1
	}
	// Label-smoothed targets (rows sum to 1) and arbitrary soft ones.
	smooth := make([]float64, batch*units)
	for i, v := range oneHot {
		smooth[i] = v*0.9 + 0.1/units
	}
	soft := lossRandRows(batch, units, r.Float64)
	softmax := lossSoftmaxRows(units)
	for name, y := range map[string][]float64{"one-hot": oneHot, "smoothed": smooth, "soft": soft} {
		lossCheckGrad(t, "fused vs logits loss, "+name, CategoricalCrossentropyFromLogits[float64], lossIdentity,
			SoftmaxCrossentropyGrad[float64], softmax, y, z, batch, units)
		lossCheckGrad(t, "fused vs CCE∘softmax, "+name, CategoricalCrossentropy[float64], softmax,
			SoftmaxCrossentropyGrad[float64], softmax, y, z, batch, units)
	}

	labels := make([]float64, batch)
	for i := range labels {
		labels[i] = float64(r.IntN(units))
	}
	lossCheckGrad(t, "sparse fused vs sparse logits loss", SparseCategoricalCrossentropyFromLogits[float64], lossIdentity,
		SparseSoftmaxCrossentropyGrad[float64], softmax, labels, z, batch, units)
	lossCheckGrad(t, "sparse fused vs sparse CCE∘softmax", SparseCategoricalCrossentropy[float64], softmax,
		SparseSoftmaxCrossentropyGrad[float64], softmax, labels, z, batch, units)
}

func TestGradCheckSparseCategoricalCrossentropy(t *testing.T) {
	const batch, units = 5, 4
	r := rand.New(rand.NewPCG(16, 17))
	p := lossRandRows(batch, units, func() float64 { return 0.1 + r.Float64() })
	z := lossRandRows(batch, units, func() float64 { return 3 * r.NormFloat64() })
	labels := make([]float64, batch)
	for i := range labels {
		labels[i] = float64(r.IntN(units))
	}
	// Row 3: the labelled class clipped from below: no gradient in the row.
	p[3*units+int(labels[3])] = -0.05
	lossCheckGrad(t, "sparse CCE", SparseCategoricalCrossentropy[float64], lossIdentity,
		SparseCategoricalCrossentropyGrad[float64], lossIdentity, labels, p, batch, units)
	lossCheckGrad(t, "sparse CCE logits", SparseCategoricalCrossentropyFromLogits[float64], lossIdentity,
		SparseCategoricalCrossentropyFromLogitsGrad[float64], lossIdentity, labels, z, batch, units)
}

func TestGradCheckBinaryCrossentropy(t *testing.T) {
	const batch, units = 4, 3
	r := rand.New(rand.NewPCG(18, 19))
	p := lossRandRows(batch, units, func() float64 { return 0.05 + 0.9*r.Float64() })
	y := lossRandRows(batch, units, r.Float64)
	// Clipped with room to spare: zero gradient.
	p[1], p[5] = -0.5, 1.5
	lossCheckGrad(t, "BCE", BinaryCrossentropy[float64], lossIdentity,
		BinaryCrossentropyGrad[float64], lossIdentity, y, p, batch, units)
	hard := lossRandRows(batch, units, func() float64 { return float64(r.IntN(2)) })
	lossCheckGrad(t, "BCE hard targets", BinaryCrossentropy[float64], lossIdentity,
		BinaryCrossentropyGrad[float64], lossIdentity, hard, p, batch, units)
}

func TestGradCheckMeanSquaredError(t *testing.T) {
	const batch, units = 4, 3
	r := rand.New(rand.NewPCG(20, 21))
	p := lossRandRows(batch, units, r.NormFloat64)
	y := lossRandRows(batch, units, r.NormFloat64)
	y[0] = p[0] // zero gradient entry
	lossCheckGrad(t, "MSE", MeanSquaredError[float64], lossIdentity,
		MeanSquaredErrorGrad[float64], lossIdentity, y, p, batch, units)
}
