package train

import (
	"fmt"
	"math"

	"github.com/descent-ml/descent/backend"
)

// Conventions shared by every loss function in this package
// (loss_crossentropy.go, loss_sparse.go, loss_binary.go, loss_mse.go):
//
//   - Matrices are (batch, units) row-major []T. A function reads and writes
//     only the first batch·units (or batch) elements of its slices, which may
//     be longer (the trainer passes buffers sized for a full batch); a slice
//     that is too short is a programming error and panics.
//   - The loss of a batch is the mean of the per-sample losses over the batch
//     (Keras's default "sum_over_batch_size" reduction), so every gradient is
//     ∂(1/N Σᵢ lossᵢ)/∂yPred with N = batch.
//   - Generic over T backend.Float: the float64 instantiation is the reference
//     used by the tests and examples, the float32 one is the training path.
//     Sums over a row (units terms) are accumulated in T: each term is O(1)
//     and rows are short, so float32 accumulation costs at most about
//     units·2⁻²⁴ relative and in practice agrees with float64 to ~1e-7 for
//     the class counts this trainer sees. log and exp are evaluated in
//     float64 by package math and rounded to T. Nothing allocates.
//   - Probabilities are clipped to [ε, 1−ε] with ε = 1e-7, Keras's
//     backend.epsilon() (keras/src/backend/config.py), and 1−ε is rounded to
//     T once, as Keras converts the Python float to the tensor's dtype.

// lossEpsilon is Keras's backend.epsilon(), the fuzz factor of the clipped
// cross-entropies.
const lossEpsilon = 1e-7

// lossClipBounds returns ε and 1−ε in T.
func lossClipBounds[T backend.Float]() (lo, hi T) {
	return T(lossEpsilon), T(1 - lossEpsilon)
}

// lossClip clips p to [lo, hi] and reports whether the clip passes gradient,
// i.e. whether lo ≤ p ≤ hi. This is TensorFlow's ClipByValue gradient
// (tensorflow/python/ops/clip_ops.py: zero where x < min or x > max, the
// incoming gradient otherwise, including at equality). A NaN stays NaN.
func lossClip[T backend.Float](p, lo, hi T) (c T, pass bool) {
	switch {
	case p < lo:
		return lo, false
	case p > hi:
		return hi, false
	}
	return p, true
}

// lossLog is log(x) evaluated in float64 and rounded to T.
func lossLog[T backend.Float](x T) T { return T(math.Log(float64(x))) }

// lossExp is exp(x) evaluated in float64 and rounded to T.
func lossExp[T backend.Float](x T) T { return T(math.Exp(float64(x))) }

// lossCheck panics unless the slices hold at least the elements that a loss
// over a (batch, units) matrix reads and writes. The message is built only
// when it fails, so the check allocates nothing.
func lossCheck(fn string, batch, units, nTrue, wantTrue, nPred, nOut, wantOut int) {
	if batch < 0 || units < 1 || nTrue < wantTrue || nPred < batch*units || nOut < wantOut {
		panic(fmt.Sprintf("train.%s: batch=%d units=%d needs len(yTrue) ≥ %d, len(yPred) ≥ %d, len(out) ≥ %d; got %d, %d, %d",
			fn, batch, units, wantTrue, batch*units, wantOut, nTrue, nPred, nOut))
	}
}

// CategoricalCrossentropy writes the categorical cross-entropy of each sample
// into out (len ≥ batch), with Keras 3 semantics for probabilities
// (keras/src/losses/losses.py categorical_crossentropy with
// from_logits=False, computed by keras/src/backend/{numpy,jax,torch,
// tensorflow}/nn.py categorical_crossentropy):
//
//	qᵢⱼ    = yPredᵢⱼ / Σₖ yPredᵢₖ          (rows renormalised to sum to 1)
//	q̂ᵢⱼ    = clip(qᵢⱼ, ε, 1−ε)             (ε = 1e-7)
//	lossᵢ  = −Σⱼ yTrueᵢⱼ · log q̂ᵢⱼ
//
// yTrue need not be one-hot (soft or label-smoothed targets are fine) and is
// not renormalised. A row of yPred summing to 0 gives NaN or ±Inf, and NaN or
// Inf anywhere in a row makes its loss NaN, as in Keras (every term is
// evaluated, zero targets included). For float64 and fewer than 8 units the
// operations are those of the NumPy backend in the same order (NumPy's
// pairwise summation is a plain left-to-right loop below 8 terms), so the
// results agree with it to the last bit wherever np.log and math.Log agree;
// np.log's SIMD kernels are sometimes an ulp off the correctly rounded log
// that math.Log (and libm) return, so expect agreement to 1–3 ulps.
func CategoricalCrossentropy[T backend.Float](yTrue, yPred []T, batch, units int, out []T) {
	categoricalCrossentropy(yTrue, yPred, batch, units, out, noSmoothing[T]())
}

// categoricalCrossentropy is [CategoricalCrossentropy] of the targets
// smoothed by s.
func categoricalCrossentropy[T backend.Float](yTrue, yPred []T, batch, units int, out []T, s smoothing[T]) {
	lossCheck("CategoricalCrossentropy", batch, units, len(yTrue), batch*units, len(yPred), len(out), batch)
	lo, hi := lossClipBounds[T]()
	for i := 0; i < batch; i++ {
		t := yTrue[i*units : (i+1)*units]
		p := yPred[i*units : (i+1)*units]
		var sum T
		for _, v := range p {
			sum += v
		}
		var l T
		for j, y := range t {
			w := s.apply(y)
			q, _ := lossClip(p[j]/sum, lo, hi)
			if w == 0 && q == q {
				// 0·(−log q̂) is a zero (q̂ is clipped into (0, 1), so the
				// log is finite) and adding it leaves l as it is: skip the
				// log, most of a one-hot row's cost. A NaN q̂ still takes
				// the sum below, and poisons l as before.
				continue
			}
			l += w * -lossLog(q) // −Σ y·log q̂ with the sign moved inside: exact
		}
		out[i] = l
	}
}

// CategoricalCrossentropyGrad writes ∂L/∂yPred into grad (len ≥ batch·units),
// where L = (1/N) Σᵢ lossᵢ is the mean over the batch (N = batch) of
// [CategoricalCrossentropy].
//
// With Sᵢ = Σₖ yPredᵢₖ, qᵢⱼ = yPredᵢⱼ/Sᵢ and aᵢⱼ = 1 if ε ≤ qᵢⱼ ≤ 1−ε, else 0
// (the clip's pass mask), the chain rule through log, the clip and the
// renormalisation (∂qⱼ/∂pₘ = δⱼₘ/S − pⱼ/S²) gives
//
//	∂lossᵢ/∂qᵢⱼ     = −aᵢⱼ · yTrueᵢⱼ / qᵢⱼ
//	∂lossᵢ/∂yPredᵢₘ = (∂lossᵢ/∂qᵢₘ − Σⱼ ∂lossᵢ/∂qᵢⱼ · qᵢⱼ) / Sᵢ
//	                = Yᵢ/Sᵢ − aᵢₘ · yTrueᵢₘ/yPredᵢₘ,   Yᵢ = Σⱼ aᵢⱼ · yTrueᵢⱼ
//	gradᵢₘ          = (Yᵢ/Sᵢ − aᵢₘ · yTrueᵢₘ/yPredᵢₘ) / N
//
// Where the clip is active (q < ε or q > 1−ε) the clipped value is a
// constant, so that entry contributes no gradient through log q̂ — exactly
// what TensorFlow's clip_by_value gradient and hence Keras's training step
// do (a sample whose predicted class probability is 0 gets no push from its
// own log term; it still gets the Y/S term from the renormalisation of its
// unclipped entries). At q = ε or q = 1−ε the clip passes the gradient, as
// TensorFlow's does. For a row that already sums to 1 and no clipping this
// is the familiar (1 − yTrueᵢₘ/yPredᵢₘ)/N for one-hot targets.
func CategoricalCrossentropyGrad[T backend.Float](yTrue, yPred []T, batch, units int, grad []T) {
	categoricalCrossentropyGrad(yTrue, yPred, batch, units, grad, noSmoothing[T]())
}

// categoricalCrossentropyGrad is [CategoricalCrossentropyGrad] of the
// targets smoothed by ls.
func categoricalCrossentropyGrad[T backend.Float](yTrue, yPred []T, batch, units int, grad []T, ls smoothing[T]) {
	lossCheck("CategoricalCrossentropyGrad", batch, units, len(yTrue), batch*units, len(yPred), len(grad), batch*units)
	lo, hi := lossClipBounds[T]()
	n := T(batch)
	for i := 0; i < batch; i++ {
		t := yTrue[i*units : (i+1)*units]
		p := yPred[i*units : (i+1)*units]
		g := grad[i*units : (i+1)*units]
		var s T
		for _, v := range p {
			s += v
		}
		var y T // Yᵢ: the target mass on entries where the clip passes
		for j, v := range t {
			v = ls.apply(v)
			if v == 0 {
				continue
			}
			if _, pass := lossClip(p[j]/s, lo, hi); pass {
				y += v
			}
		}
		base := y / s
		for j, v := range t {
			v = ls.apply(v)
			gj := base
			if v != 0 {
				if _, pass := lossClip(p[j]/s, lo, hi); pass {
					gj -= v / p[j]
				}
			}
			g[j] = gj / n
		}
	}
}

// CategoricalCrossentropyFromLogits writes the categorical cross-entropy of
// each sample computed from logits z = yPred into out (len ≥ batch), as Keras
// 3 does with from_logits=True (keras/src/losses/losses.py
// categorical_crossentropy; keras/src/backend/numpy/nn.py log_softmax and
// categorical_crossentropy):
//
//	mᵢ     = maxₖ zᵢₖ
//	lseᵢ   = log Σₖ exp(zᵢₖ − mᵢ)
//	lossᵢ  = −Σⱼ yTrueᵢⱼ · ((zᵢⱼ − mᵢ) − lseᵢ)   (= −Σⱼ y · log_softmax(z))
//
// Subtracting the row maximum keeps every exp ≤ 1 and the sum in [1, units],
// so nothing overflows or underflows to a log of 0. No clipping is applied.
func CategoricalCrossentropyFromLogits[T backend.Float](yTrue, logits []T, batch, units int, out []T) {
	lossCheck("CategoricalCrossentropyFromLogits", batch, units, len(yTrue), batch*units, len(logits), len(out), batch)
	for i := 0; i < batch; i++ {
		t := yTrue[i*units : (i+1)*units]
		z := logits[i*units : (i+1)*units]
		m, lse := lossLogSumExp(z)
		var l T
		for j, y := range t {
			l += y * -((z[j] - m) - lse)
		}
		out[i] = l
	}
}

// lossLogSumExp returns max(z) and log Σ exp(z − max(z)).
func lossLogSumExp[T backend.Float](z []T) (m, lse T) {
	m = z[0]
	for _, v := range z[1:] {
		if v > m {
			m = v
		}
	}
	var s T
	for _, v := range z {
		s += lossExp(v - m)
	}
	return m, lossLog(s)
}

// CategoricalCrossentropyFromLogitsGrad writes ∂L/∂z into grad
// (len ≥ batch·units), where L is the batch mean of
// [CategoricalCrossentropyFromLogits] and z = logits:
//
//	gradᵢₘ = (Yᵢ · softmax(zᵢ)ₘ − yTrueᵢₘ) / N,   Yᵢ = Σⱼ yTrueᵢⱼ
//
// which is the familiar (softmax(z) − y)/N whenever the rows of yTrue sum to
// 1 (one-hot or label-smoothed targets; for one-hot rows Yᵢ is exactly 1 and
// the result is bit-identical to (softmax(z) − y)/N). The general form is the
// exact gradient for any targets.
func CategoricalCrossentropyFromLogitsGrad[T backend.Float](yTrue, logits []T, batch, units int, grad []T) {
	lossCheck("CategoricalCrossentropyFromLogitsGrad", batch, units, len(yTrue), batch*units, len(logits), len(grad), batch*units)
	n := T(batch)
	for i := 0; i < batch; i++ {
		t := yTrue[i*units : (i+1)*units]
		z := logits[i*units : (i+1)*units]
		g := grad[i*units : (i+1)*units]
		m := z[0]
		for _, v := range z[1:] {
			if v > m {
				m = v
			}
		}
		var s T
		for j, v := range z {
			e := lossExp(v - m)
			g[j] = e // softmax numerators, normalised below
			s += e
		}
		var y T
		for _, v := range t {
			y += v
		}
		for j, v := range t {
			g[j] = (y*(g[j]/s) - v) / n
		}
	}
}

// SoftmaxCrossentropyGrad writes the gradient of the fused softmax +
// categorical cross-entropy into grad (len ≥ batch·units), given the softmax
// outputs probs = softmax(z) of the last layer. It is the gradient with
// respect to the LOGITS z (the softmax's input), not with respect to probs:
//
//	gradᵢₘ = ∂L/∂zᵢₘ = (Yᵢ · probsᵢₘ − yTrueᵢₘ) / N,   Yᵢ = Σⱼ yTrueᵢⱼ
//
// i.e. (p − y)/N for targets whose rows sum to 1 (bit-identical for one-hot
// rows), where L is the batch mean of [CategoricalCrossentropyFromLogits].
// This is what Keras trains with when the last layer is a softmax: it
// recovers the logits and uses the from-logits loss (keras/src/backend/
// tensorflow/nn.py _get_logits; tf.nn.softmax_cross_entropy_with_logits),
// so no renormalisation or clipping enters the gradient. It is also the
// gradient of [CategoricalCrossentropy] ∘ softmax wherever no probability is
// clipped (softmax rows already sum to 1). The trainer back-propagates it
// with model.GradLogits, skipping the softmax's Jacobian.
func SoftmaxCrossentropyGrad[T backend.Float](yTrue, probs []T, batch, units int, grad []T) {
	softmaxCrossentropyGrad(yTrue, probs, batch, units, grad, noSmoothing[T]())
}

// softmaxCrossentropyGrad is [SoftmaxCrossentropyGrad] of the targets
// smoothed by ls: (Yᵢ·p − ls(y))/N with Yᵢ = Σⱼ ls(yᵢⱼ), which is
// (p − y_smooth)/N for rows summing to 1.
func softmaxCrossentropyGrad[T backend.Float](yTrue, probs []T, batch, units int, grad []T, ls smoothing[T]) {
	lossCheck("SoftmaxCrossentropyGrad", batch, units, len(yTrue), batch*units, len(probs), len(grad), batch*units)
	n := T(batch)
	for i := 0; i < batch; i++ {
		t := yTrue[i*units : (i+1)*units]
		p := probs[i*units : (i+1)*units]
		g := grad[i*units : (i+1)*units]
		var y T
		for _, v := range t {
			y += ls.apply(v)
		}
		for j, v := range t {
			g[j] = (y*p[j] - ls.apply(v)) / n
		}
	}
}

// CategoricalCrossentropyLoss is the float32 [Loss] "categorical_crossentropy"
// on probabilities (Keras's default from_logits=False): PerSample is
// [CategoricalCrossentropy] and Gradient is [CategoricalCrossentropyGrad]
// at T = float32. When the last layer is a softmax the trainer uses
// [SoftmaxCrossentropyGrad] instead of Gradient.
//
// LabelSmoothing is Keras 3's label_smoothing
// (keras/src/losses/losses.py, categorical_crossentropy): with ls > 0 every
// target is replaced, in all three (PerSample, Gradient and the fused
// softmax gradient), by
//
//	y ← y·(1 − ls) + ls/K                  (K = units, the class count)
//
// so a one-hot row becomes 1 − ls + ls/K on its class and ls/K elsewhere
// and the fused gradient is (p − y_smooth)/N. 0 (the zero value) is no
// smoothing, bit for bit; it must lie in [0, 1] (see WithLabelSmoothing).
type CategoricalCrossentropyLoss struct {
	LabelSmoothing float64
}

// Name returns "categorical_crossentropy".
func (CategoricalCrossentropyLoss) Name() string { return "categorical_crossentropy" }

// PerSample implements [Loss] with [CategoricalCrossentropy].
func (l CategoricalCrossentropyLoss) PerSample(yTrue, yPred []float32, batch, units int, out []float32) {
	categoricalCrossentropy(yTrue, yPred, batch, units, out, categoricalSmoothing[float32](l.LabelSmoothing, units))
}

// Gradient implements [Loss] with [CategoricalCrossentropyGrad].
func (l CategoricalCrossentropyLoss) Gradient(yTrue, yPred []float32, batch, units int, grad []float32) {
	categoricalCrossentropyGrad(yTrue, yPred, batch, units, grad, categoricalSmoothing[float32](l.LabelSmoothing, units))
}
