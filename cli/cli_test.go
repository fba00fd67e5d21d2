package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/descent-ml/descent/cli"
	"github.com/descent-ml/descent/model"
)

// run runs the command line in-process and returns status, stdout, stderr.
func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	status := cli.Run(context.Background(), append([]string{"descent"}, args...),
		cli.Env{Stdout: &out, Stderr: &errb, Getenv: os.Getenv})
	return status, out.String(), errb.String()
}

// The tutorial's first code cell, through the command line.
func TestLossTutorialExample(t *testing.T) {
	args := []string{"loss", "--loss", "categorical_crossentropy",
		"--y-true", "[[0,1,0],[1,0,0],[0,0,1],[0,0,1]]",
		"--y-pred", "[[0.1,0.8,0.1],[0.7,0.2,0.1],[0.8,0.1,0.1],[0.01,0.01,0.98]]"}
	status, out, errs := run(t, args...)
	require.Equal(t, 0, status, errs)
	assert.Equal(t, "losses: [0.22314355 0.35667494 2.30258509 0.02020271]\nmean: 0.7256515738911267\n", out)

	status, out, errs = run(t, append(args, "--json")...)
	require.Equal(t, 0, status, errs)
	var got struct {
		Losses []float64 `json:"losses"`
		Mean   float64   `json:"mean"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &got))
	assert.InDeltaSlice(t, []float64{0.22314355, 0.35667494, 2.30258509, 0.02020271}, got.Losses, 5e-9)
	assert.Equal(t, 0.7256515738911267, got.Mean)
}

func TestUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"train", "--epochs", "0"}, "--epochs"},
		{[]string{"train", "--epochs", "ten"}, "invalid value"},
		{[]string{"train", "--optimizer", "adagrad"}, `unknown optimizer "adagrad"`},
		{[]string{"train", "--lr", "-1"}, "--lr"},
		{[]string{"train", "--lr", "NaN"}, "--lr"},
		{[]string{"train", "--hidden", "128,x"}, "--hidden"},
		{[]string{"train", "--activation", "softmax"}, "--activation"},
		{[]string{"train", "--val-split", "1"}, "--val-split"},
		{[]string{"train", "--momentum", "1.5"}, "--momentum"},
		{[]string{"train", "--threads", "0"}, "--threads"},
		{[]string{"train", "--backend", "cuda", "--data", "/nonexistent"}, ""},
		{[]string{"train", "--no-such-flag"}, "flag provided but not defined"},
		{[]string{"train", "extra"}, "unexpected argument"},
		{[]string{"loss", "--y-true", "[[1,0]]", "--y-pred", "[[0.5]]"}, "1×2 but --y-pred is 1×1"},
		{[]string{"loss", "--y-true", "[[1,0]]", "--y-pred", "[[0.5,"}, "not a JSON matrix"},
		{[]string{"loss", "--y-true", "[[1,0]]", "--y-pred", "[[0.5,0.5],[1]]"}, "row 1 has 1 values"},
		{[]string{"loss", "--loss", "hinge", "--y-true", "[[1]]", "--y-pred", "[[1]]"}, `unknown loss "hinge"`},
		{[]string{"loss", "--loss", "sparse_categorical_crossentropy", "--y-true", "[3]", "--y-pred", "[[0.5,0.5]]"}, "not a class index"},
		{[]string{"loss", "--y-pred", "[[1]]"}, "Required flag"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			status, _, errs := run(t, tc.args...)
			if tc.want == "" { // a failure while running, not a usage error
				assert.NotEqual(t, 0, status)
			} else {
				assert.Equal(t, cli.ExitUsage, status, errs)
				assert.Contains(t, errs, tc.want)
			}
			assert.Equal(t, 1, strings.Count(errs, "\n"), "one line: %q", errs)
			assert.NotContains(t, errs, "goroutine")
		})
	}
}

func TestMissingDataIsAClearError(t *testing.T) {
	status, _, errs := run(t, "train", "--data", t.TempDir())
	assert.Equal(t, cli.ExitError, status)
	assert.Contains(t, errs, "train-images-idx3-ubyte")
}

// A short end-to-end run on real MNIST: flags, history file, report.
func TestTrainEndToEnd(t *testing.T) {
	hist := filepath.Join(t.TempDir(), "h.json")
	saved := filepath.Join(t.TempDir(), "m.descent")
	status, out, errs := run(t, "train", "--epochs", "2", "--hidden", "32", "--backend", "openblas", "--history", hist, "--save", saved)
	require.Equal(t, 0, status, errs)
	assert.Contains(t, out, "Epoch 2/2\n")
	assert.Regexp(t, `(?m)^422/422 - \d+s - \d+(us|ms)/step - accuracy: 0\.\d{4} - loss: \d\.\d{4} - val_accuracy: 0\.\d{4} - val_loss: \d\.\d{4}$`, out)
	assert.Contains(t, out, "weighted avg")

	var h struct {
		History map[string][]float64 `json:"history"`
		Epochs  []float64            `json:"epoch_seconds"`
		Test    struct{ Loss, Accuracy float64 }
		Config  map[string]any `json:"config"`
	}
	b, err := os.ReadFile(hist)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &h))
	for _, k := range []string{"loss", "accuracy", "val_loss", "val_accuracy"} {
		assert.Len(t, h.History[k], 2, k)
	}
	assert.Len(t, h.Epochs, 2)
	assert.Greater(t, h.Test.Accuracy, 0.9)
	assert.Equal(t, "adam", h.Config["optimizer"])

	m, err := model.Load(saved)
	require.NoError(t, err)
	assert.Equal(t, 784*32+32+32*10+10, m.NumParams())
}

// descent train --out writes the same folder as one run of descent compare,
// which descent report can rebuild; an existing experiment is not overwritten.
func TestTrainOutFolder(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	status, out, errs := run(t, "train", "--epochs", "1", "--hidden", "16", "--quiet", "--out", dir)
	require.Equal(t, 0, status, errs)
	assert.Contains(t, out, "report: "+filepath.Join(dir, "report.html"))
	for _, f := range []string{"report.html", "summary.json", "val_accuracy.png", "val_loss.svg",
		"adam/history.json", "adam/history.csv", "adam/classification_report.txt", "adam/confusion_matrix.csv"} {
		assert.FileExists(t, filepath.Join(dir, f))
	}
	page, err := os.ReadFile(filepath.Join(dir, "report.html"))
	require.NoError(t, err)
	status, _, errs = run(t, "report", dir)
	require.Equal(t, 0, status, errs)
	rebuilt, err := os.ReadFile(filepath.Join(dir, "report.html"))
	require.NoError(t, err)
	assert.Equal(t, string(page), string(rebuilt))

	status, _, errs = run(t, "train", "--epochs", "1", "--out", dir)
	assert.Equal(t, cli.ExitUsage, status)
	assert.Contains(t, errs, "already holds an experiment")
}

// cancelOnWrite cancels a context when the output contains a marker.
type cancelOnWrite struct {
	marker string
	cancel context.CancelFunc
	seen   strings.Builder
}

func (w *cancelOnWrite) Write(p []byte) (int, error) {
	w.seen.Write(p)
	if strings.Contains(w.seen.String(), w.marker) {
		w.cancel()
	}
	return len(p), nil
}

// Ctrl-C during training keeps the completed epochs in --history and the
// run folder.
func TestInterruptedRunKeepsHistory(t *testing.T) {
	hist := filepath.Join(t.TempDir(), "h.json")
	runDir := filepath.Join(t.TempDir(), "run")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := &cancelOnWrite{marker: "Epoch 3/50", cancel: cancel}
	var errb bytes.Buffer
	status := cli.Run(ctx, []string{"descent", "train", "--epochs", "50", "--hidden", "16", "--history", hist, "--out", runDir},
		cli.Env{Stdout: out, Stderr: &errb, Getenv: os.Getenv})
	assert.Equal(t, cli.ExitError, status)
	assert.Contains(t, errb.String(), "context canceled")
	assert.Contains(t, errb.String(), "the 2 completed epoch(s) are in "+hist+" and "+runDir)
	page, err := os.ReadFile(filepath.Join(runDir, "report.html"))
	require.NoError(t, err)
	assert.Contains(t, string(page), "interrupted before its test pass")
	var h struct {
		History map[string][]float64 `json:"history"`
		Test    map[string]*float64  `json:"test"`
	}
	b, err := os.ReadFile(hist)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &h))
	assert.Len(t, h.History["val_accuracy"], 2)
	var hr struct {
		History map[string][]float64 `json:"history"`
	}
	readJSON(t, filepath.Join(runDir, "adam", "history.json"), &hr)
	assert.Len(t, hr.History["val_accuracy"], 2, "the run folder has the completed epochs")
	assert.Nil(t, h.Test["accuracy"], "no test result for an interrupted run")
}

// descent bench predict runs end to end on the pure-Go backend without the
// PyTorch peer and prints the table's header and one row per configuration.
func TestBenchPredict(t *testing.T) {
	status, out, errOut := run(t, "bench", "predict", "--backends", "gonum", "--goroutines", "1,2", "--batch", "1",
		"--rounds", "1", "--seconds", "0.01", "--torch=false")
	require.Equal(t, cli.ExitOK, status, errOut)
	assert.Contains(t, out, "# descent bench predict, ")
	assert.Contains(t, out, "# PyTorch peer not run (--torch=false)")
	assert.Contains(t, out, "| system | goroutines | batch | samples/s | × one goroutine | × PyTorch (1 thread, same batch) | p50 ms | p99 ms |")
	assert.Contains(t, out, "| gonum (")
	assert.Equal(t, 2, strings.Count(out, "| gonum ("), out)

	status, _, errOut = run(t, "bench", "predict", "--threads", "dnnl=zero")
	assert.Equal(t, cli.ExitUsage, status, errOut)
}
