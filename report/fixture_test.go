package report

import (
	"encoding/json"
	"math"
)

// fixture is a small experiment shaped like the tutorial's learning-rate
// sweep (its validation accuracies; made-up losses and times), with one
// diverged epoch (NaN) to exercise the gaps.
func fixture() *Experiment {
	cm := func(diag int) [][]int {
		m := make([][]int, 3)
		for i := range m {
			m[i] = make([]int, 3)
			m[i][i] = diag
			m[i][(i+1)%3] = 10 - i
		}
		return m
	}
	report := "              precision    recall  f1-score   support\n\n" +
		"           0     0.9000    0.9000    0.9000        10\n\n" +
		"    accuracy                         0.9000        10\n" +
		"   macro avg     0.9000    0.9000    0.9000        10\n" +
		"weighted avg     0.9000    0.9000    0.9000        10\n"
	run := func(name, dir string, lr float64, valAcc, valLoss []float64, test float64) *Run {
		n := len(valAcc)
		h := History{ValAccuracy: valAcc, ValLoss: valLoss}
		for i := 0; i < n; i++ {
			h.Loss = append(h.Loss, valLoss[i]*1.1)
			h.Accuracy = append(h.Accuracy, valAcc[i]*0.98)
		}
		secs := make(Series, n)
		for i := range secs {
			secs[i] = 0.5 + 0.01*float64(i)
		}
		cfg, _ := json.Marshal(map[string]any{"optimizer": "sgd", "lr": lr, "epochs": n})
		return &Run{Name: name, Dir: dir, History: h, EpochSeconds: secs,
			Test:   ClassScores(valLoss[n-1], test),
			Config: cfg, Report: report, Classes: []string{"0", "1", "2"}, Confusion: cm(80 + n),
			Seconds: Float(3.25)}
	}
	e := &Experiment{
		Kind: "sweep", Title: "Learning-rate sweep: sgd on mnist",
		Command: "descent sweep --optimizer sgd --lrs 100,1,0.1,0.001 --epochs 5",
		Dataset: "mnist", Created: "2026-01-02T03:04:05Z",
		Config: json.RawMessage(`{"optimizer":"sgd","lr":[100,1,0.1,0.001],"epochs":5,"hidden":[128,128],"backend":"openblas"}`),
	}
	e.Runs = []*Run{
		run("lr=100", "lr-100", 100, []float64{0.0918, 0.0918, 0.1053, 0.0975, 0.0967}, []float64{16.1, 15.9, math.NaN(), 16.0, 15.8}, 0.098),
		run("lr=1", "lr-1", 1, []float64{0.9043, 0.9285, 0.9455, 0.9577, 0.9510}, []float64{0.31, 0.24, 0.18, 0.14, 0.16}, 0.9498),
		run("lr=0.1", "lr-0.1", 0.1, []float64{0.6883, 0.8473, 0.8763, 0.8927, 0.9008}, []float64{1.6, 0.7, 0.48, 0.40, 0.36}, 0.9012),
		run("lr=0.001", "lr-0.001", 0.001, []float64{0.1105, 0.1092, 0.1103, 0.1097, 0.1177}, []float64{2.31, 2.29, 2.288, 2.284, 2.281}, 0.1135),
	}
	return e
}
