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

// Keras's tutorial network with Dropout(0.2) after each hidden layer, as
// Keras 3's model.summary() prints it.
func ExampleSequential_Summary() {
	m, err := model.NewSequential(28*28,
		model.Dense(128, model.ReLU).WithDropout(0.2),
		model.Dense(128, model.ReLU).WithDropout(0.2),
		model.Dense(10, model.Softmax))
	if err != nil {
		panic(err)
	}
	fmt.Print(m.Summary())
	// Output:
	// Model: "sequential"
	// ┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓
	// ┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃
	// ┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩
	// │ dense (Dense)                   │ (None, 128)            │       100,480 │
	// ├─────────────────────────────────┼────────────────────────┼───────────────┤
	// │ dropout (Dropout)               │ (None, 128)            │             0 │
	// ├─────────────────────────────────┼────────────────────────┼───────────────┤
	// │ dense_1 (Dense)                 │ (None, 128)            │        16,512 │
	// ├─────────────────────────────────┼────────────────────────┼───────────────┤
	// │ dropout_1 (Dropout)             │ (None, 128)            │             0 │
	// ├─────────────────────────────────┼────────────────────────┼───────────────┤
	// │ dense_2 (Dense)                 │ (None, 10)             │         1,290 │
	// └─────────────────────────────────┴────────────────────────┴───────────────┘
	//  Total params: 118,282 (462.04 KB)
	//  Trainable params: 118,282 (462.04 KB)
	//  Non-trainable params: 0 (0.00 B)
}
