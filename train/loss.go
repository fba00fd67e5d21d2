package train

// Loss is a training objective over a batch.
//
// yTrue and yPred are (batch, units) row-major matrices. For the sparse loss
// yTrue is (batch, 1) and holds class indices as floats, as in Keras.
type Loss interface {
	// Name is the loss's name as accepted by --loss (Keras's names).
	Name() string
	// PerSample writes the loss of each sample into out (len batch).
	PerSample(yTrue, yPred []float32, batch, units int, out []float32)
	// Gradient writes ∂L/∂yPred into grad (batch×units), where L is the mean
	// of the per-sample losses over the batch.
	Gradient(yTrue, yPred []float32, batch, units int, grad []float32)
}
