package train_test

import (
	"fmt"
	"strconv"

	"github.com/descent-ml/descent/numpyfmt"
	"github.com/descent-ml/descent/train"
)

// The categorical cross-entropy of the tutorial, on the float64 path. Rows of
// y_pred are renormalised (the second sums to 0.9999999999999999 in float64,
// which is why its loss is −log(0.7000000000000001) and not −log(0.7)) and
// clipped to [1e-7, 1−1e-7] before the log, as Keras does. The mean is the
// plain left-to-right sum divided by 4, which is what NumPy's pairwise sum
// does below 8 elements. Taking −log of the raw probabilities instead, or
// summing as l₀ + ((l₁ + l₂) + l₃), would make the mean's last digit 8.
func ExampleCategoricalCrossentropy() {
	yTrue := []float64{
		0, 1, 0,
		1, 0, 0,
		0, 0, 1,
		0, 0, 1,
	}
	yPred := []float64{
		0.1, 0.8, 0.1,
		0.7, 0.2, 0.1,
		0.8, 0.1, 0.1,
		0.01, 0.01, 0.98,
	}
	const batch, units = 4, 3
	losses := make([]float64, batch)
	train.CategoricalCrossentropy(yTrue, yPred, batch, units, losses)

	var sum float64
	for _, l := range losses {
		sum += l
	}
	mean := sum / batch

	fmt.Println("losses:", numpyfmt.Format(losses))
	fmt.Println("mean:", strconv.FormatFloat(mean, 'g', -1, 64))
	// Output:
	// losses: [0.22314355 0.35667494 2.30258509 0.02020271]
	// mean: 0.7256515738911267
}

// The float32 Loss the trainer uses, looked up by its Keras name.
func ExampleLossByName() {
	loss, err := train.LossByName("mse")
	if err != nil {
		panic(err)
	}
	yTrue := []float32{0, 1, 1, 0}
	yPred := []float32{0.5, 1, 0, 0}
	out := make([]float32, 2)
	loss.PerSample(yTrue, yPred, 2, 2, out)
	fmt.Println(loss.Name(), numpyfmt.Format32(out))

	_, err = train.LossByName("hinge")
	fmt.Println(err)
	// Output:
	// mean_squared_error [0.125 0.5  ]
	// train: unknown loss "hinge"; valid losses: binary_crossentropy, categorical_crossentropy, mean_squared_error (alias mse), sparse_categorical_crossentropy
}
