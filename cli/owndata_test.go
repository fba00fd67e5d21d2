package cli_test

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/descent-ml/descent/cli"
	"github.com/descent-ml/descent/model"
)

// writeCSV writes a header and rows to dir/name and returns the path.
func writeCSV(t *testing.T, dir, name string, header []string, rows [][]float64) string {
	t.Helper()
	var sb strings.Builder
	sb.WriteString(strings.Join(header, ",") + "\n")
	for _, r := range rows {
		for j, v := range r {
			if j > 0 {
				sb.WriteByte(',')
			}
			fmt.Fprint(&sb, v)
		}
		sb.WriteByte('\n')
	}
	path := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(path, []byte(sb.String()), 0o644))
	return path
}

// blobs returns n samples of 2 features in k well separated clusters
// (class c centred at (10c, −10c), unit noise), labelled first+c, with
// features offset and scaled far from [0, 1] so that training without
// standardisation would be slow: what --normalize standardize must fix.
func blobs(n, k int, first float64, seed uint64) [][]float64 {
	rng := rand.New(rand.NewPCG(seed, 1))
	rows := make([][]float64, n)
	for i := range rows {
		c := i % k
		rows[i] = []float64{1000 + 50*(10*float64(c)+rng.NormFloat64()), -300 + 50*(-10*float64(c)+rng.NormFloat64()), first + float64(c)}
	}
	return rows
}

// linear returns n samples of y = 3a − 2b + 5 + noise(σ 0.1).
func linear(n int, seed uint64) [][]float64 {
	rng := rand.New(rand.NewPCG(seed, 2))
	rows := make([][]float64, n)
	for i := range rows {
		a, b := rng.NormFloat64(), rng.NormFloat64()
		rows[i] = []float64{a, b, 3*a - 2*b + 5 + 0.1*rng.NormFloat64()}
	}
	return rows
}

type historyFile struct {
	History map[string][]float64 `json:"history"`
	Test    map[string]*float64  `json:"test"`
	Config  struct {
		Task      string `json:"task"`
		Normalize string `json:"normalize"`
		Classes   int    `json:"classes"`
	} `json:"config"`
}

func readHistory(t *testing.T, path string) historyFile {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	var h historyFile
	require.NoError(t, json.Unmarshal(b, &h))
	return h
}

// Each task, from a CSV, end to end: what auto chooses and says, the
// history's metric names and test section, the model file's outputs and
// labels, and evaluate on the same rows giving train's test numbers.
//
// The floors are the effect each case checks, not a tolerance: the
// clusters are 10σ apart, so a trained classifier gets every test sample
// right (chance is 1/k); the regression's noise σ is 0.1 against a target
// spread of √13 ≈ 3.6, so R² ≥ 0.99 means the linear map was learnt
// (predicting the mean gives 0).
func TestTrainOnCSVPerTask(t *testing.T) {
	tests := []struct {
		name       string
		rows       [][]float64
		flags      []string
		task       string
		note       string
		metrics    []string // in the test section
		history    []string // per-epoch series
		outputs    string
		labels     []string
		check      func(t *testing.T, test map[string]*float64)
		evalSubstr string
	}{
		{name: "three classes numbered from 1", rows: blobs(300, 3, 1, 1), task: "classification",
			note: "task: classification (from the targets: 3 class numbers", metrics: []string{"accuracy", "loss"},
			history: []string{"accuracy", "loss", "val_accuracy", "val_loss"}, outputs: model.OutputClassProbabilities,
			labels: []string{"1", "2", "3"},
			check:  func(t *testing.T, m map[string]*float64) { assert.Equal(t, 1.0, *m["accuracy"]) }},
		{name: "binary -1/1", rows: blobs(300, 2, -1, 2), task: "binary",
			note: "task: binary (from the targets: two values, -1 and 0", metrics: []string{"accuracy", "loss", "roc_auc"},
			history: []string{"accuracy", "loss", "val_accuracy", "val_loss"}, outputs: model.OutputPositiveProbability,
			labels: []string{"-1", "0"},
			check: func(t *testing.T, m map[string]*float64) {
				assert.Equal(t, 1.0, *m["accuracy"])
				assert.Equal(t, 1.0, *m["roc_auc"])
			}},
		{name: "regression", rows: linear(600, 3), flags: []string{"--lr", "0.01", "--epochs", "40"}, task: "regression",
			note: "task: regression (from the targets: real values", metrics: []string{"loss", "mae", "mse", "r2"},
			history: []string{"loss", "mae", "val_loss", "val_mae", "val_r2"}, outputs: model.OutputValues,
			labels: []string{"label"},
			check: func(t *testing.T, m map[string]*float64) {
				assert.Greater(t, *m["r2"], 0.99)
				// The loss sums float32 per-sample losses (relative rounding ≤ 2⁻²⁴ each),
				// the MSE float64 squares: equal to float32 precision.
				assert.InEpsilon(t, *m["loss"], *m["mse"], 1e-6, "the loss is the MSE")
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			csv := writeCSV(t, dir, "data.csv", []string{"a", "b", "label"}, tt.rows)
			hist, saved := filepath.Join(dir, "h.json"), filepath.Join(dir, "m.descent")
			args := append([]string{"train", "--data", csv, "--normalize", "standardize", "--hidden", "16",
				"--activation", "relu", "--epochs", "20", "--batch-size", "16", "--history", hist, "--save", saved}, tt.flags...)
			status, out, errs := run(t, args...)
			require.Equal(t, cli.ExitOK, status, errs)
			assert.Contains(t, out, tt.note)
			assert.Contains(t, out, "features: standardize, fitted on the")
			h := readHistory(t, hist)
			assert.Equal(t, tt.task, h.Config.Task)
			assert.ElementsMatch(t, tt.metrics, keys(h.Test))
			assert.ElementsMatch(t, tt.history, keysOf(h.History))
			tt.check(t, h.Test)

			m, err := model.Load(saved)
			require.NoError(t, err)
			assert.Equal(t, tt.outputs, m.Outputs())
			assert.Equal(t, tt.labels, m.ClassLabels())
			assert.Equal(t, "standardize", m.Preprocessing.Kind)

			// evaluate on every row of the file: the model's own
			// preprocessing is applied to the raw features.
			status, out, errs = run(t, "evaluate", "--model", saved, "--data", csv)
			require.Equal(t, cli.ExitOK, status, errs)
			assert.Contains(t, out, fmt.Sprintf("%d samples", len(tt.rows)))
			if tt.task != "regression" {
				assert.Contains(t, out, "accuracy 1.0000")
			}
		})
	}
}

func keys(m map[string]*float64) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func keysOf(m map[string][]float64) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// evaluate --test-data on the rows train held out equals train's test
// section: the same rows, the same model, the same preprocessing.
func TestEvaluateEqualsTrainOnTestData(t *testing.T) {
	dir := t.TempDir()
	rows := blobs(200, 3, 0, 4)
	for i := range rows { // overlap the clusters: accuracy below 1, so equality means something
		rows[i][0] += 400 * math.Sin(float64(i))
	}
	trainCSV := writeCSV(t, dir, "train.csv", []string{"a", "b", "label"}, rows[:150])
	testCSV := writeCSV(t, dir, "test.csv", []string{"a", "b", "label"}, rows[150:])
	hist, saved := filepath.Join(dir, "h.json"), filepath.Join(dir, "m.descent")
	status, _, errs := run(t, "train", "--data", trainCSV, "--test-data", testCSV, "--normalize", "minmax",
		"--epochs", "3", "--hidden", "8", "--history", hist, "--save", saved, "--quiet")
	require.Equal(t, cli.ExitOK, status, errs)
	h := readHistory(t, hist)
	status, out, errs := run(t, "evaluate", "--model", saved, "--data", testCSV)
	require.Equal(t, cli.ExitOK, status, errs)
	assert.Contains(t, out, fmt.Sprintf("test: loss %.4f - accuracy %.4f", *h.Test["loss"], *h.Test["accuracy"]))
	assert.Less(t, *h.Test["accuracy"], 1.0)
}

func TestOwnDataErrors(t *testing.T) {
	dir := t.TempDir()
	csv := writeCSV(t, dir, "d.csv", []string{"a", "b", "label"}, blobs(30, 3, 0, 5))
	narrow := writeCSV(t, dir, "narrow.csv", []string{"a", "label"}, [][]float64{{1, 0}, {2, 1}})
	reg := writeCSV(t, dir, "reg.csv", []string{"a", "b", "label"}, linear(30, 6))
	odd := filepath.Join(dir, "features.npy")
	require.NoError(t, os.WriteFile(odd, []byte("x"), 0o644))
	for _, tc := range []struct {
		args   []string
		status int
		want   string
	}{
		{[]string{"train", "--data", csv, "--task", "binary"}, cli.ExitError, "the task binary needs exactly two target values, the data has 3 (0, 1, 2)"},
		{[]string{"train", "--data", reg, "--task", "classification"}, cli.ExitError, "not a class number (for real-valued targets use the task regression)"},
		{[]string{"train", "--data", csv, "--task", "ranking"}, cli.ExitUsage, `--task: unknown task "ranking"`},
		{[]string{"train", "--data", csv, "--normalize", "zscore"}, cli.ExitUsage, `--normalize: unknown normalisation "zscore"`},
		{[]string{"train", "--data", csv, "--test-split", "1.5"}, cli.ExitUsage, "--test-split: must be in (0, 1)"},
		{[]string{"train", "--data", csv, "--test-split", "0"}, cli.ExitUsage, "--test-split: must be in (0, 1)"},
		{[]string{"train", "--data", csv, "--label", "target"}, cli.ExitError, `"target"`},
		{[]string{"train", "--data", csv, "--test-data", narrow}, cli.ExitError, "has 1 features, the training data"},
		{[]string{"train", "--data", filepath.Join(dir, "d.txt")}, cli.ExitUsage, `unknown kind of file ".txt"`},
		{[]string{"train", "--data", odd}, cli.ExitUsage, "this name has no x to replace"},
		{[]string{"train", "--task", "regression"}, cli.ExitUsage, "--task regression: mnist is a classification data set"},
	} {
		t.Run(strings.Join(tc.args[1:], " "), func(t *testing.T) {
			status, _, errs := run(t, tc.args...)
			assert.Equal(t, tc.status, status, errs)
			assert.Contains(t, errs, tc.want)
			assert.NotContains(t, errs, "goroutine")
		})
	}
}

// descent predict's classes are descent evaluate's: on the same rows the
// accuracy and the confusion matrix computed from predict's CSV equal the
// ones evaluate prints (the clusters overlap, so neither is trivially 1).
func TestPredictAgreesWithEvaluate(t *testing.T) {
	dir := t.TempDir()
	rows := blobs(300, 3, 0, 8)
	for i := range rows {
		rows[i][0] += 500 * math.Sin(float64(i))
	}
	csv := writeCSV(t, dir, "d.csv", []string{"a", "b", "label"}, rows)
	saved, out := filepath.Join(dir, "m.descent"), filepath.Join(dir, "p.csv")
	status, _, errs := run(t, "train", "--data", csv, "--normalize", "standardize", "--epochs", "3", "--hidden", "8", "--save", saved, "--quiet")
	require.Equal(t, cli.ExitOK, status, errs)
	status, evalOut, errs := run(t, "evaluate", "--model", saved, "--data", csv)
	require.Equal(t, cli.ExitOK, status, errs)
	status, _, errs = run(t, "predict", "--model", saved, "--data", csv, "--out", out)
	require.Equal(t, cli.ExitOK, status, errs)
	b, err := os.ReadFile(out)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	require.Equal(t, "class,p_0,p_1,p_2", lines[0])
	require.Len(t, lines, len(rows)+1)
	correct := 0
	cm := [3][3]int{}
	for i, l := range lines[1:] {
		var c int
		_, err := fmt.Sscanf(strings.SplitN(l, ",", 2)[0], "%d", &c)
		require.NoError(t, err)
		if c == int(rows[i][2]) {
			correct++
		}
		cm[int(rows[i][2])][c]++
	}
	acc := float64(correct) / float64(len(rows))
	assert.Less(t, acc, 1.0)
	assert.Contains(t, evalOut, fmt.Sprintf("accuracy %.4f", acc))
	for i, row := range cm {
		assert.Contains(t, evalOut, fmt.Sprintf("%d %3d %3d %3d", i, row[0], row[1], row[2]))
	}
}
