package predict_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"

	"github.com/descent-ml/descent/backend/gonum"
	"github.com/descent-ml/descent/model"
	"github.com/descent-ml/descent/predict"
)

// Serve a model to several goroutines at once, then swap in a retrained
// version while they keep asking. Inputs are raw features: the model's
// recorded preprocessing (here: divide by 255) is applied by the Predictor.
func Example() {
	m, _ := model.NewSequential(4, model.Dense(8, model.Tanh), model.Dense(3, model.Softmax))
	m.Init(rand.New(rand.NewPCG(1, 1)))
	m.Preprocessing = model.ScaleBy(255)
	m.Labels = []string{"low", "mid", "high"}

	p, err := predict.New(m, gonum.New(), predict.Options{Workers: 2})
	if err != nil {
		panic(err)
	}
	defer p.Close()

	raw := []float32{0, 64, 128, 255} // one sample, 4 features in 0–255
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, _, err := p.Predict(context.Background(), raw, 1); err != nil {
				panic(err)
			}
		}()
	}
	wg.Wait()

	// Training goes on elsewhere; publish its parameters atomically.
	for i := range m.Params {
		m.Params[i] = 0 // stands in for an update: all-zero weights give uniform outputs
	}
	version, _ := p.Swap(m)
	probs, classes, _ := p.Predict(context.Background(), raw, 1)
	fmt.Printf("version %d: %.3f, class %s\n", version, probs, m.Labels[classes[0]])
	// Output:
	// version 2: [0.333 0.333 0.333], class low
}
