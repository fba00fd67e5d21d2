package train

import "github.com/descent-ml/descent/backend"

// MeanSquaredError writes the mean squared error of each sample into out
// (len ≥ batch), as Keras 3 computes it (keras/src/losses/losses.py
// mean_squared_error: ops.mean(ops.square(y_true - y_pred), axis=-1)):
//
//	lossᵢ = (1/U) Σⱼ (yTrueᵢⱼ − yPredᵢⱼ)²,   U = units
func MeanSquaredError[T backend.Float](yTrue, yPred []T, batch, units int, out []T) {
	lossCheck("MeanSquaredError", batch, units, len(yTrue), batch*units, len(yPred), len(out), batch)
	u := T(units)
	for i := 0; i < batch; i++ {
		t := yTrue[i*units : (i+1)*units]
		p := yPred[i*units : (i+1)*units]
		var l T
		for j, y := range t {
			d := y - p[j]
			l += d * d
		}
		out[i] = l / u
	}
}

// MeanSquaredErrorGrad writes ∂L/∂yPred into grad (len ≥ batch·units), L the
// batch mean of [MeanSquaredError] (N = batch, U = units):
//
//	gradᵢⱼ = 2 · (yPredᵢⱼ − yTrueᵢⱼ) / (U·N)
func MeanSquaredErrorGrad[T backend.Float](yTrue, yPred []T, batch, units int, grad []T) {
	lossCheck("MeanSquaredErrorGrad", batch, units, len(yTrue), batch*units, len(yPred), len(grad), batch*units)
	un := T(units) * T(batch)
	for i, y := range yTrue[:batch*units] {
		grad[i] = 2 * (yPred[i] - y) / un
	}
}

// MeanSquaredErrorLoss is the float32 [Loss] "mean_squared_error" (alias
// "mse"): PerSample is [MeanSquaredError] and Gradient is
// [MeanSquaredErrorGrad] at T = float32.
type MeanSquaredErrorLoss struct{}

// Name returns "mean_squared_error".
func (MeanSquaredErrorLoss) Name() string { return "mean_squared_error" }

// PerSample implements [Loss] with [MeanSquaredError].
func (MeanSquaredErrorLoss) PerSample(yTrue, yPred []float32, batch, units int, out []float32) {
	MeanSquaredError(yTrue, yPred, batch, units, out)
}

// Gradient implements [Loss] with [MeanSquaredErrorGrad].
func (MeanSquaredErrorLoss) Gradient(yTrue, yPred []float32, batch, units int, grad []float32) {
	MeanSquaredErrorGrad(yTrue, yPred, batch, units, grad)
}
