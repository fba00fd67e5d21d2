package train_test

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/descent-ml/descent/backend/gonum"
	"github.com/descent-ml/descent/data"
	"github.com/descent-ml/descent/model"
	"github.com/descent-ml/descent/train"
)

// Train a small network end to end: a data set of 2-pixel "images" whose
// class is which pixel is brighter, a Sequential, Adam, Fit with validation,
// Evaluate.
func ExampleTrainer_Fit() {
	rng := rand.New(rand.NewPCG(1, 1))
	makeSet := func(n int) *data.Dataset {
		d := &data.Dataset{Name: "brighter", N: n, NumFeatures: 2, NumClasses: 2,
			Images: make([]uint8, 2*n), Labels: make([]uint8, n)}
		for i := range n {
			a, b := uint8(rng.IntN(256)), uint8(rng.IntN(256))
			d.Images[2*i], d.Images[2*i+1] = a, b
			if b > a {
				d.Labels[i] = 1
			}
		}
		return d
	}
	trainSet, valSet := makeSet(2000), makeSet(500)

	m, _ := model.NewSequential(2, model.Dense(8, model.Tanh), model.Dense(2, model.Softmax))
	m.Init(rand.New(rand.NewPCG(2, 2)))
	tr, err := train.NewTrainer(m, gonum.New(), train.NewAdam(0.01, 0.9, 0.999, 1e-7, false),
		train.CategoricalCrossentropyLoss{}, 32)
	if err != nil {
		panic(err)
	}
	hist, err := tr.Fit(context.Background(), trainSet, train.FitConfig{Epochs: 20, Seed: 3, Validation: valSet})
	if err != nil {
		panic(err)
	}
	_, acc, _ := tr.Evaluate(context.Background(), valSet)
	fmt.Printf("epoch 1: loss %.2f, accuracy %.2f\n", hist.Loss[0], hist.Accuracy[0])
	fmt.Printf("epoch %d: loss %.2f, accuracy %.2f\n", hist.Epochs(), hist.Loss[19], hist.Accuracy[19])
	fmt.Printf("validation accuracy %.2f\n", acc)
	// Output:
	// epoch 1: loss 0.29, accuracy 0.96
	// epoch 20: loss 0.03, accuracy 0.99
	// validation accuracy 0.98
}
