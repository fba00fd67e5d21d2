package train

// What a loss is, declared by the types it implements rather than by its
// name: the trainer asks these interfaces, never Loss.Name.

// SoftmaxFusedLoss is implemented by losses that have a fused gradient with
// respect to the logits z of a softmax last layer, given its outputs
// probs = softmax(z). The trainer uses it, back-propagating from the logits
// (model.GradLogits), whenever the last layer is a softmax: cheaper than the
// softmax's Jacobian and free of the probability clipping (see
// SoftmaxCrossentropyGrad).
type SoftmaxFusedLoss interface {
	Loss
	// SoftmaxLogitsGradient writes ∂L/∂z ((batch, units)) into grad, where
	// L is the batch mean of the loss of softmax(z) = probs.
	SoftmaxLogitsGradient(yTrue, probs []float32, batch, units int, grad []float32)
}

// ClassIndexLoss is implemented by losses whose targets are class indices,
// yTrue of shape (batch, 1), rather than one value per output (Keras's
// sparse losses). The trainer feeds one-hot targets, so it refuses them.
type ClassIndexLoss interface {
	Loss
	// TakesClassIndices marks the loss; it does nothing.
	TakesClassIndices()
}

var (
	_ SoftmaxFusedLoss = CategoricalCrossentropyLoss{}
	_ SoftmaxFusedLoss = SparseCategoricalCrossentropyLoss{}
	_ ClassIndexLoss   = SparseCategoricalCrossentropyLoss{}
)

// SoftmaxLogitsGradient implements [SoftmaxFusedLoss] with
// [SoftmaxCrossentropyGrad] of the smoothed targets.
func (l CategoricalCrossentropyLoss) SoftmaxLogitsGradient(yTrue, probs []float32, batch, units int, grad []float32) {
	softmaxCrossentropyGrad(yTrue, probs, batch, units, grad, categoricalSmoothing[float32](l.LabelSmoothing, units))
}

// SoftmaxLogitsGradient implements [SoftmaxFusedLoss] with
// [SparseSoftmaxCrossentropyGrad].
func (SparseCategoricalCrossentropyLoss) SoftmaxLogitsGradient(yTrue, probs []float32, batch, units int, grad []float32) {
	SparseSoftmaxCrossentropyGrad(yTrue, probs, batch, units, grad)
}

// TakesClassIndices implements [ClassIndexLoss].
func (SparseCategoricalCrossentropyLoss) TakesClassIndices() {}
