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

// Train on your own rows: []float32 features and a label per row, the Go
// counterpart of descent train --data rows.csv --normalize standardize.
// The labels are encoded (here three classes, numbered 1 to 3), the
// features standardised with statistics of the training rows, and the
// model records both, so a predict.Predictor or descent serve takes raw
// rows.
func Example_ownData() {
	rng := rand.New(rand.NewPCG(1, 1))
	rows := func(n int) *data.Table {
		t := &data.Table{Name: "rows", N: n, F: 2, X: make([]float32, 2*n), Y: make([]float64, n)}
		for i := range n {
			c := i % 3 // class c+1 is centred at (100c, −50c)
			t.X[2*i] = float32(100*c) + 10*float32(rng.NormFloat64())
			t.X[2*i+1] = float32(-50*c) + 10*float32(rng.NormFloat64())
			t.Y[i] = float64(c + 1)
		}
		return t
	}
	trainRows, testRows := rows(600), rows(150)

	enc, _ := data.NewEncoding(data.TaskAuto, trainRows.Y) // classification, classes 1, 2, 3
	rawTrain, _ := data.NewTableSource(trainRows, enc)
	rawTest, _ := data.NewTableSource(testRows, enc)
	scaling, _ := data.FitScaling(context.Background(), data.NormalizeStandardize, rawTrain)
	trainSet, _ := data.Scaled(rawTrain, scaling)
	testSet, _ := data.Scaled(rawTest, scaling)

	m, _ := model.NewSequential(2, model.Dense(16, model.ReLU), model.Dense(enc.Targets(), model.Softmax))
	m.Init(rand.New(rand.NewPCG(2, 2)))
	m.Preprocessing = model.Preprocessing{Kind: scaling.Kind, Shift: scaling.Shift, Divisor: scaling.Divisor}
	m.Labels = enc.ClassNames()
	tr, err := train.NewTrainer(m, gonum.New(), train.NewAdam(0.01, 0.9, 0.999, 1e-7, false),
		train.CategoricalCrossentropyLoss{}, 32)
	if err != nil {
		panic(err)
	}
	if _, err := tr.Fit(context.Background(), trainSet, train.FitConfig{Epochs: 5, Seed: 3}); err != nil {
		panic(err)
	}
	ev, _ := tr.Measure(context.Background(), testSet, false)
	fmt.Printf("%s, classes %v: test accuracy %.2f\n", enc.Task, m.Labels, ev.Accuracy)
	// Output:
	// classification, classes [1 2 3]: test accuracy 1.00
}
