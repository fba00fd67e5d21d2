package model_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/descent-ml/descent/backend/gonum"
	"github.com/descent-ml/descent/model"
)

// The tutorial's network: 784 → 128 sigmoid → 128 sigmoid → 10 softmax.
func ExampleSequential() {
	m, err := model.NewSequential(28*28,
		model.Dense(128, model.Sigmoid),
		model.Dense(128, model.Sigmoid),
		model.Dense(10, model.Softmax))
	if err != nil {
		panic(err)
	}
	m.Init(rand.New(rand.NewPCG(1, 2)))
	fmt.Print(m)

	ws, _ := m.NewWorkspace(gonum.New(), 1)
	probs, _ := m.Forward(ws, make([]float32, 28*28), 1)
	var sum float32
	for _, p := range probs {
		sum += p
	}
	fmt.Printf("outputs: %d, sum of probabilities: %.4f\n", len(probs), sum)
	// Output:
	// Sequential: input 784
	//   layer    output shape   activation     params
	//   dense_0  (None, 128)    sigmoid        100480
	//   dense_1  (None, 128)    sigmoid         16512
	//   dense_2  (None, 10)     softmax          1290
	//   total params: 118282
	// outputs: 10, sum of probabilities: 1.0000
}
