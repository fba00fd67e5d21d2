package train

import "github.com/descent-ml/descent/backend"

// BinaryCrossentropy writes the binary cross-entropy of each sample into out
// (len ≥ batch), with Keras 3 semantics on probabilities
// (keras/src/losses/losses.py binary_crossentropy, which takes the mean over
// the last axis of keras/src/backend/{numpy,jax,tensorflow}/nn.py
// binary_crossentropy with from_logits=False):
//
//	p̂ᵢⱼ   = clip(yPredᵢⱼ, ε, 1−ε)                       (ε = 1e-7)
//	lossᵢ = (1/U) Σⱼ −(yᵢⱼ · log p̂ᵢⱼ + (1 − yᵢⱼ) · log(1 − p̂ᵢⱼ))
//
// with y = yTrue and U = units; each unit is an independent binary problem
// and yTrue may be soft (in [0, 1]). 1 − p̂ is computed in T before the log,
// as Keras does. No renormalisation.
func BinaryCrossentropy[T backend.Float](yTrue, yPred []T, batch, units int, out []T) {
	binaryCrossentropy(yTrue, yPred, batch, units, out, noSmoothing[T]())
}

// binaryCrossentropy is [BinaryCrossentropy] of the targets smoothed by ls.
func binaryCrossentropy[T backend.Float](yTrue, yPred []T, batch, units int, out []T, ls smoothing[T]) {
	lossCheck("BinaryCrossentropy", batch, units, len(yTrue), batch*units, len(yPred), len(out), batch)
	lo, hi := lossClipBounds[T]()
	u := T(units)
	for i := 0; i < batch; i++ {
		t := yTrue[i*units : (i+1)*units]
		p := yPred[i*units : (i+1)*units]
		var l T
		for j, y := range t {
			y = ls.apply(y)
			c, _ := lossClip(p[j], lo, hi)
			b := y * lossLog(c)
			b += (1 - y) * lossLog(1-c)
			l += -b
		}
		out[i] = l / u
	}
}

// BinaryCrossentropyGrad writes ∂L/∂yPred into grad (len ≥ batch·units),
// L the batch mean of [BinaryCrossentropy] (N = batch, U = units):
//
//	gradᵢⱼ = aᵢⱼ · (−y/p + (1 − y)/(1 − p)) / (U·N)
//	       = aᵢⱼ · (p − y) / (p · (1 − p)) / (U·N)
//
// with p = yPredᵢⱼ, y = yTrueᵢⱼ and aᵢⱼ = 1 if ε ≤ p ≤ 1−ε, else 0: where the
// clip is active the clipped value is constant and the gradient is zero, as
// TensorFlow's clip_by_value gradient gives (so a saturated prediction of
// exactly 0 or 1 gets no gradient, wrong or right).
func BinaryCrossentropyGrad[T backend.Float](yTrue, yPred []T, batch, units int, grad []T) {
	binaryCrossentropyGrad(yTrue, yPred, batch, units, grad, noSmoothing[T]())
}

// binaryCrossentropyGrad is [BinaryCrossentropyGrad] of the targets
// smoothed by ls.
func binaryCrossentropyGrad[T backend.Float](yTrue, yPred []T, batch, units int, grad []T, ls smoothing[T]) {
	lossCheck("BinaryCrossentropyGrad", batch, units, len(yTrue), batch*units, len(yPred), len(grad), batch*units)
	lo, hi := lossClipBounds[T]()
	un := T(units) * T(batch)
	for i, y := range yTrue[:batch*units] {
		p := yPred[i]
		if _, pass := lossClip(p, lo, hi); !pass {
			grad[i] = 0
			continue
		}
		grad[i] = (p - ls.apply(y)) / (p * (1 - p)) / un
	}
}

// BinaryCrossentropyLoss is the float32 [Loss] "binary_crossentropy" on
// probabilities: PerSample is [BinaryCrossentropy] and Gradient is
// [BinaryCrossentropyGrad] at T = float32.
//
// LabelSmoothing is Keras 3's label_smoothing (keras/src/losses/losses.py,
// binary_crossentropy): with ls > 0 every target is squeezed towards ½,
//
//	y ← y·(1 − ls) + ½·ls
//
// in both PerSample and Gradient. 0 (the zero value) is no smoothing, bit
// for bit; it must lie in [0, 1] (see WithLabelSmoothing).
type BinaryCrossentropyLoss struct {
	LabelSmoothing float64
}

// Name returns "binary_crossentropy".
func (BinaryCrossentropyLoss) Name() string { return "binary_crossentropy" }

// PerSample implements [Loss] with [BinaryCrossentropy].
func (l BinaryCrossentropyLoss) PerSample(yTrue, yPred []float32, batch, units int, out []float32) {
	binaryCrossentropy(yTrue, yPred, batch, units, out, binarySmoothing[float32](l.LabelSmoothing))
}

// Gradient implements [Loss] with [BinaryCrossentropyGrad].
func (l BinaryCrossentropyLoss) Gradient(yTrue, yPred []float32, batch, units int, grad []float32) {
	binaryCrossentropyGrad(yTrue, yPred, batch, units, grad, binarySmoothing[float32](l.LabelSmoothing))
}
