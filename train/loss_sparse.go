package train

import (
	"fmt"

	"github.com/descent-ml/descent/backend"
)

// Sparse categorical cross-entropy: the targets are class indices instead of
// one-hot rows. yTrue is (batch, 1) and holds the indices as floats, as Keras
// accepts them (keras/src/backend/{numpy,jax}/nn.py cast them to int32 and
// build the one-hot rows); yPred is (batch, units). Every function here is
// the corresponding categorical one with yTrueᵢ = one_hot(kᵢ, units), kᵢ =
// yTrue[i], and gives the same numbers.
//
// Unlike the other losses, len(yTrue) must be exactly batch, so that one-hot
// targets passed by mistake panic instead of being read as labels. A label
// that is not an integer in [0, units) panics too: Keras's backends disagree
// there (NumPy and JAX silently give a zero loss, TensorFlow and PyTorch
// raise), and a bad label is a data error worth stopping on.

// lossSparseCheck checks the shapes of a sparse loss (see lossCheck).
func lossSparseCheck(fn string, batch, units, nTrue, nPred, nOut, wantOut int) {
	if nTrue != batch {
		panic(fmt.Sprintf("train.%s: yTrue must hold exactly batch=%d class indices (shape (batch, 1)), got len %d", fn, batch, nTrue))
	}
	lossCheck(fn, batch, units, nTrue, batch, nPred, nOut, wantOut)
}

// lossLabel returns yTrue[i] as a class index in [0, units), or panics.
func lossLabel[T backend.Float](fn string, yTrue []T, i, units int) int {
	v := yTrue[i]
	k := int(v)
	if T(k) != v || k < 0 || k >= units {
		panic(fmt.Sprintf("train.%s: sample %d has label %v, want an integer in [0, %d)", fn, i, float64(v), units))
	}
	return k
}

// SparseCategoricalCrossentropy writes the sparse categorical cross-entropy of
// each sample into out (len ≥ batch), with the Keras 3 semantics for
// probabilities (keras/src/losses/losses.py sparse_categorical_crossentropy;
// keras/src/backend/{numpy,jax,torch}/nn.py sparse_categorical_crossentropy):
//
//	kᵢ    = yTrue[i]                       (class index)
//	lossᵢ = −log clip(yPredᵢₖ / Σⱼ yPredᵢⱼ, ε, 1−ε),   k = kᵢ, ε = 1e-7
//
// which is [CategoricalCrossentropy] with one-hot targets. (Keras's
// TensorFlow backend instead clips first and lets its sparse softmax op
// renormalise the clipped row, which differs only when a clip is active.)
func SparseCategoricalCrossentropy[T backend.Float](yTrue, yPred []T, batch, units int, out []T) {
	const fn = "SparseCategoricalCrossentropy"
	lossSparseCheck(fn, batch, units, len(yTrue), len(yPred), len(out), batch)
	lo, hi := lossClipBounds[T]()
	for i := 0; i < batch; i++ {
		k := lossLabel(fn, yTrue, i, units)
		p := yPred[i*units : (i+1)*units]
		var s T
		for _, v := range p {
			s += v
		}
		q, _ := lossClip(p[k]/s, lo, hi)
		out[i] = -lossLog(q)
	}
}

// SparseCategoricalCrossentropyGrad writes ∂L/∂yPred into grad
// (len ≥ batch·units), L the batch mean of [SparseCategoricalCrossentropy].
// It is [CategoricalCrossentropyGrad] with one-hot targets: with
// Sᵢ = Σⱼ yPredᵢⱼ, k = kᵢ and aᵢ = 1 if the clip passes
// ε ≤ yPredᵢₖ/Sᵢ ≤ 1−ε, else 0,
//
//	gradᵢₘ = aᵢ · (1/Sᵢ − δₘₖ/yPredᵢₖ) / N
//
// so a sample whose class probability is clipped contributes no gradient at
// all (the clip's gradient is zero, as TensorFlow's clip_by_value gives).
func SparseCategoricalCrossentropyGrad[T backend.Float](yTrue, yPred []T, batch, units int, grad []T) {
	const fn = "SparseCategoricalCrossentropyGrad"
	lossSparseCheck(fn, batch, units, len(yTrue), len(yPred), len(grad), batch*units)
	lo, hi := lossClipBounds[T]()
	n := T(batch)
	for i := 0; i < batch; i++ {
		k := lossLabel(fn, yTrue, i, units)
		p := yPred[i*units : (i+1)*units]
		g := grad[i*units : (i+1)*units]
		var s T
		for _, v := range p {
			s += v
		}
		if _, pass := lossClip(p[k]/s, lo, hi); !pass {
			clear(g)
			continue
		}
		base := 1 / s / n
		for j := range g {
			g[j] = base
		}
		g[k] = (1/s - 1/p[k]) / n
	}
}

// SparseCategoricalCrossentropyFromLogits writes the sparse categorical
// cross-entropy of each sample computed from logits z = yPred into out
// (len ≥ batch), as Keras does with from_logits=True:
//
//	lossᵢ = −log_softmax(zᵢ)ₖ = lseᵢ − (zᵢₖ − mᵢ),   k = kᵢ
//
// with mᵢ and lseᵢ as in [CategoricalCrossentropyFromLogits].
func SparseCategoricalCrossentropyFromLogits[T backend.Float](yTrue, logits []T, batch, units int, out []T) {
	const fn = "SparseCategoricalCrossentropyFromLogits"
	lossSparseCheck(fn, batch, units, len(yTrue), len(logits), len(out), batch)
	for i := 0; i < batch; i++ {
		k := lossLabel(fn, yTrue, i, units)
		z := logits[i*units : (i+1)*units]
		m, lse := lossLogSumExp(z)
		out[i] = -((z[k] - m) - lse)
	}
}

// SparseCategoricalCrossentropyFromLogitsGrad writes ∂L/∂z into grad
// (len ≥ batch·units), L the batch mean of
// [SparseCategoricalCrossentropyFromLogits]:
//
//	gradᵢₘ = (softmax(zᵢ)ₘ − δₘₖ) / N,   k = kᵢ
func SparseCategoricalCrossentropyFromLogitsGrad[T backend.Float](yTrue, logits []T, batch, units int, grad []T) {
	const fn = "SparseCategoricalCrossentropyFromLogitsGrad"
	lossSparseCheck(fn, batch, units, len(yTrue), len(logits), len(grad), batch*units)
	n := T(batch)
	for i := 0; i < batch; i++ {
		k := lossLabel(fn, yTrue, i, units)
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
			g[j] = e
			s += e
		}
		for j, e := range g {
			if j == k {
				g[j] = (e/s - 1) / n
			} else {
				g[j] = e / s / n
			}
		}
	}
}

// SparseSoftmaxCrossentropyGrad is [SoftmaxCrossentropyGrad] for class-index
// targets: given probs = softmax(z) of the last layer it writes the gradient
// with respect to the LOGITS z of the batch mean of
// [SparseCategoricalCrossentropyFromLogits] into grad (len ≥ batch·units):
//
//	gradᵢₘ = (probsᵢₘ − δₘₖ) / N,   k = kᵢ
func SparseSoftmaxCrossentropyGrad[T backend.Float](yTrue, probs []T, batch, units int, grad []T) {
	const fn = "SparseSoftmaxCrossentropyGrad"
	lossSparseCheck(fn, batch, units, len(yTrue), len(probs), len(grad), batch*units)
	n := T(batch)
	for i := 0; i < batch; i++ {
		k := lossLabel(fn, yTrue, i, units)
		p := probs[i*units : (i+1)*units]
		g := grad[i*units : (i+1)*units]
		for j, v := range p {
			g[j] = v / n
		}
		g[k] = (p[k] - 1) / n
	}
}

// SparseCategoricalCrossentropyLoss is the float32 [Loss]
// "sparse_categorical_crossentropy" on probabilities: PerSample is
// [SparseCategoricalCrossentropy] and Gradient is
// [SparseCategoricalCrossentropyGrad] at T = float32. yTrue is (batch, 1)
// class indices (len exactly batch); units is the number of classes. With a
// softmax last layer use [SparseSoftmaxCrossentropyGrad] for the fused step.
type SparseCategoricalCrossentropyLoss struct{}

// Name returns "sparse_categorical_crossentropy".
func (SparseCategoricalCrossentropyLoss) Name() string { return "sparse_categorical_crossentropy" }

// PerSample implements [Loss] with [SparseCategoricalCrossentropy].
func (SparseCategoricalCrossentropyLoss) PerSample(yTrue, yPred []float32, batch, units int, out []float32) {
	SparseCategoricalCrossentropy(yTrue, yPred, batch, units, out)
}

// Gradient implements [Loss] with [SparseCategoricalCrossentropyGrad].
func (SparseCategoricalCrossentropyLoss) Gradient(yTrue, yPred []float32, batch, units int, grad []float32) {
	SparseCategoricalCrossentropyGrad(yTrue, yPred, batch, units, grad)
}
