package train_test

import (
	"fmt"

	"github.com/descent-ml/descent/train"
)

// One Adam step on two parameters. On the first step Adam's bias correction
// makes the update almost exactly lr·sign(g), whatever the gradient's size.
func ExampleAdam() {
	opt := train.NewAdam(0.1, 0.9, 0.999, 1e-7, false) // Keras defaults but lr
	params := []float32{1, -1}
	grads := []float32{0.5, -2}

	opt.Build(len(params))
	opt.Step(params, grads)

	st := opt.State()
	fmt.Printf("%s after %d step\n", opt.Name(), opt.Iterations())
	fmt.Printf("params %.6f\n", params)
	fmt.Printf("m      %.6f\n", st.Slots[0]) // (1−β₁)·g
	fmt.Printf("v      %.6f\n", st.Slots[1]) // (1−β₂)·g²
	// Output:
	// adam after 1 step
	// params [0.900001 -0.900000]
	// m      [0.050000 -0.200000]
	// v      [0.000250 0.004000]
}
