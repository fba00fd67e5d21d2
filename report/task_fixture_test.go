package report

import (
	"encoding/json"
	"math"
)

// regressionFixture is a two-run learning-rate sweep of a regression
// (made-up numbers shaped like the diabetes data set's: MSE in thousands,
// R² rising from below zero), the second run with a NaN epoch.
func regressionFixture() *Experiment {
	run := func(name, dir string, lr float64, valMAE, valR2 []float64, test Scores) *Run {
		h := History{ValMAE: valMAE, ValR2: valR2, Loss: Series{}}
		for _, m := range valMAE {
			h.ValLoss = append(h.ValLoss, m*m*1.2)
			h.Loss = append(h.Loss, m*m*1.1)
			h.MAE = append(h.MAE, m*0.95)
		}
		cfg, _ := json.Marshal(map[string]any{"optimizer": "adam", "lr": lr, "epochs": len(valMAE)})
		return &Run{Name: name, Dir: dir, Task: TaskRegression, History: h,
			EpochSeconds: Series{0.25, 0.25, 0.25}, Test: test, Config: cfg,
			Report:  "regression on 89 test samples\n\n  mean_squared_error   3210.5\n  mean_absolute_error  46.25\n  r2_score             0.4100\n",
			Seconds: 1.5}
	}
	e := &Experiment{
		Kind: "sweep", Title: "Learning-rate sweep: adam on diabetes.csv",
		Command: "descent sweep --data diabetes.csv --lrs 0.01,0.001 --epochs 3",
		Dataset: "diabetes.csv", Created: "2026-01-02T03:04:05Z",
		Config: json.RawMessage(`{"optimizer":"adam","lr":[0.01,0.001],"epochs":3,"task":"regression"}`),
	}
	e.Runs = []*Run{
		run("lr=0.01", "lr-0.01", 0.01, []float64{150, 80, 55}, []float64{-3.5, -0.2, 0.41},
			Scores{Loss: 3210.5, MSE: ptr(3210.5), MAE: ptr(46.25), R2: ptr(0.41)}),
		run("lr=0.001", "lr-0.001", 0.001, []float64{170, math.NaN(), 160}, []float64{-5.6, math.NaN(), -5.2},
			Scores{Loss: 25501, MSE: ptr(25501), MAE: ptr(142.16), R2: ptr(-3.81)}),
	}
	return e
}

// binaryFixture is the classifier fixture as a binary task, each run with
// a test ROC AUC.
func binaryFixture() *Experiment {
	e := fixture()
	for i, r := range e.Runs {
		r.Task = TaskBinary
		r.Test.ROCAUC = ptr(0.9 + 0.01*float64(i))
	}
	return e
}
