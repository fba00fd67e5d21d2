package cli_test

import (
	"encoding/csv"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// writeTaskCSV writes n samples of three features and a label column: a
// linear function of them (regression) or its sign as 0/1 (binary).
func writeTaskCSV(t *testing.T, task string, n int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), task+".csv")
	f, err := os.Create(path)
	require.NoError(t, err)
	w := csv.NewWriter(f)
	require.NoError(t, w.Write([]string{"a", "b", "c", "label"}))
	rng := rand.New(rand.NewPCG(7, 0))
	for range n {
		x := []float64{rng.NormFloat64(), rng.NormFloat64(), rng.NormFloat64()}
		y := 3*x[0] - 2*x[1] + 0.5*x[2] + 0.1*rng.NormFloat64()
		label := strconv.FormatFloat(10+y, 'f', 6, 64)
		if task == "binary" {
			label = "0"
			if y > 0 {
				label = "1"
			}
		}
		rec := []string{}
		for _, v := range x {
			rec = append(rec, strconv.FormatFloat(v, 'f', 6, 64))
		}
		require.NoError(t, w.Write(append(rec, label)))
	}
	w.Flush()
	require.NoError(t, w.Error())
	require.NoError(t, f.Close())
	return path
}

// A sweep on one's own data writes the folder of its task: a regression's
// has MAE and R² in the printed table, summary.json, the history and the
// page, a val_mae figure and a regression report, and no accuracy or
// confusion matrix; a binary task's adds the test ROC AUC to a
// classifier's. descent report rebuilds either page byte for byte.
func TestSweepOfEachTask(t *testing.T) {
	for _, tc := range []struct {
		task        string
		heads       []string // of the printed table, after run and epochs
		files, gone []string
		test        []string // the keys of summary.json's test scores
		pageHas     []string
		pageNot     []string
	}{
		{"regression",
			[]string{"val_loss", "val_mae", "val_r2", "test_mse", "test_mae", "test_r2", "seconds"},
			[]string{"val_mae.png", "val_mae.svg", "val_loss.png", "lr-0.01/history.csv", "lr-0.01/regression_report.txt"},
			[]string{"val_accuracy.png", "lr-0.01/classification_report.txt", "lr-0.01/confusion_matrix.csv"},
			[]string{"loss", "mae", "mse", "r2"},
			[]string{"<th>val_mae</th><th>val_r2</th><th>test mse</th><th>test mae</th><th>test r2</th>", "<h4>Regression report</h4>", "mean_absolute_error"},
			[]string{`<table class="confusion"`, "<th>accuracy</th>", "figure-val_accuracy"}},
		{"binary",
			[]string{"val_loss", "val_accuracy", "test_loss", "test_accuracy", "test_roc_auc", "seconds"},
			[]string{"val_accuracy.png", "val_loss.svg", "lr-0.01/classification_report.txt", "lr-0.01/confusion_matrix.csv"},
			[]string{"val_mae.png", "lr-0.01/regression_report.txt"},
			[]string{"accuracy", "loss", "roc_auc"},
			[]string{"<th>test accuracy</th><th>test roc_auc</th>", `<table class="confusion" id="confusion-lr-0.01">`},
			[]string{"val_mae", "Regression report"}},
	} {
		t.Run(tc.task, func(t *testing.T) {
			data := writeTaskCSV(t, tc.task, 300)
			dir := filepath.Join(t.TempDir(), "sweep")
			status, out, errs := run(t, "sweep", "--data", data, "--normalize", "standardize", "--optimizer", "adam",
				"--lrs", "0.01,0.001", "--epochs", "2", "--hidden", "8", "--quiet", "--out", dir)
			require.Equal(t, 0, status, errs)
			head := strings.Fields(strings.SplitN(out, "\n", 2)[0])
			assert.Equal(t, append([]string{"run", "epochs"}, tc.heads...), head, out)
			for _, f := range tc.files {
				assert.FileExists(t, filepath.Join(dir, f))
			}
			for _, f := range tc.gone {
				assert.NoFileExists(t, filepath.Join(dir, f))
			}

			var s struct {
				Runs []struct {
					Test map[string]*float64 `json:"test"`
				} `json:"runs"`
			}
			readJSON(t, filepath.Join(dir, "summary.json"), &s)
			require.Len(t, s.Runs, 2)
			var keys []string
			for k, v := range s.Runs[0].Test {
				keys = append(keys, k)
				assert.NotNil(t, v, "test %s measured", k)
			}
			assert.ElementsMatch(t, tc.test, keys)

			var h struct {
				Task    string                `json:"task"`
				History map[string][]*float64 `json:"history"`
				Classes []string              `json:"classes"`
			}
			readJSON(t, filepath.Join(dir, "lr-0.01", "history.json"), &h)
			assert.Equal(t, tc.task, h.Task)
			if tc.task == "regression" {
				assert.Len(t, h.History["val_r2"], 2)
				assert.Len(t, h.History["mae"], 2)
				assert.NotContains(t, h.History, "accuracy")
				assert.Nil(t, h.Classes)
			} else {
				assert.Len(t, h.History["val_accuracy"], 2)
				assert.NotContains(t, h.History, "mae")
			}

			page, err := os.ReadFile(filepath.Join(dir, "report.html"))
			require.NoError(t, err)
			for _, want := range tc.pageHas {
				assert.Contains(t, string(page), want)
			}
			for _, bad := range tc.pageNot {
				assert.NotContains(t, string(page), bad)
			}
			status, _, errs = run(t, "report", dir)
			require.Equal(t, 0, status, errs)
			rebuilt, err := os.ReadFile(filepath.Join(dir, "report.html"))
			require.NoError(t, err)
			assert.Equal(t, string(page), string(rebuilt))
		})
	}
}

// descent train --out on a regression writes the same kind of folder.
func TestTrainOutRegression(t *testing.T) {
	data := writeTaskCSV(t, "regression", 200)
	dir := filepath.Join(t.TempDir(), "run")
	status, _, errs := run(t, "train", "--data", data, "--epochs", "2", "--hidden", "8", "--quiet", "--out", dir)
	require.Equal(t, 0, status, errs)
	for _, f := range []string{"report.html", "summary.json", "val_mae.svg", "val_loss.png", "adam/history.json", "adam/regression_report.txt"} {
		assert.FileExists(t, filepath.Join(dir, f))
	}
	assert.NoFileExists(t, filepath.Join(dir, "adam", "confusion_matrix.csv"))
	var r struct {
		Test json.RawMessage `json:"test"`
	}
	readJSON(t, filepath.Join(dir, "adam", "history.json"), &r)
	var test map[string]float64
	require.NoError(t, json.Unmarshal(r.Test, &test))
	assert.Contains(t, test, "r2")
	assert.NotContains(t, test, "accuracy")
}
