package train_test

import (
	"fmt"

	"github.com/descent-ml/descent/train"
)

// Keras 3's CosineDecay with a linear warm-up: from 0 to 0.01 over 100
// steps, then half a cosine to 0 over 900. A Fit takes it as
// FitConfig{Schedule: s}, alongside callbacks such as
// &train.EarlyStopping{Patience: 3, RestoreBestWeights: true}.
func ExampleCosineDecay() {
	s := train.CosineDecay{Initial: 0, WarmupTarget: 0.01, WarmupSteps: 100, DecaySteps: 900}
	for _, step := range []int{0, 50, 100, 550, 1000} {
		fmt.Printf("step %4d: %.4g\n", step, s.At(step))
	}
	// Output:
	// step    0: 0
	// step   50: 0.005
	// step  100: 0.01
	// step  550: 0.005
	// step 1000: 0
}
