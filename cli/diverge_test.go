package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/descent-ml/descent/cli"
)

// divergingArgs make a network whose loss is NaN within the first epoch's
// first steps (a linear network at SGD lr 1000).
var divergingArgs = []string{"--hidden", "16", "--activation", "linear", "--optimizer", "sgd", "--lr", "1000"}

// A diverged run stops at the step where the loss turns NaN (--on-nan stop,
// the default), says where and why in one line, writes its history and run
// folder, refuses --save (non-finite weights) and exits 3.
func TestDivergedRunStops(t *testing.T) {
	dir := t.TempDir()
	hist, out, save := filepath.Join(dir, "h.json"), filepath.Join(dir, "run"), filepath.Join(dir, "m.descent")
	status, stdout, errs := run(t, append([]string{"train", "--epochs", "3", "--quiet",
		"--history", hist, "--out", out, "--save", save}, divergingArgs...)...)
	require.Equal(t, cli.ExitDiverged, status, errs)
	assert.Equal(t, 1, strings.Count(errs, "\n"), "one line: %q", errs)
	assert.Regexp(t, `^descent: training diverged at epoch 1, step \d+ of 422 \(loss NaN\): the likely cause is the learning rate, sgd lr 1000: try a smaller --lr`, errs)
	assert.Contains(t, errs, "the 0 completed epoch(s) are in "+hist+" and "+out)
	assert.Contains(t, errs, "--save "+save+" not written: the weights are not finite")
	assert.NotContains(t, stdout, "test: loss", "no test pass on a diverged model")
	assert.NotContains(t, stdout, "precision", "no classification report from NaN outputs")
	assert.NoFileExists(t, save)

	var h struct {
		History  map[string][]*float64 `json:"history"`
		Test     map[string]*float64   `json:"test"`
		Report   string                `json:"classification_report"`
		Diverged struct {
			Epoch, Step, Steps int
			Loss               string
		} `json:"diverged"`
		Config map[string]any `json:"config"`
	}
	readJSON(t, hist, &h)
	assert.Equal(t, 1, h.Diverged.Epoch)
	assert.Equal(t, 422, h.Diverged.Steps)
	assert.Greater(t, h.Diverged.Step, 0)
	assert.Equal(t, "NaN", h.Diverged.Loss)
	assert.NotNil(t, h.History["loss"], "an empty list, not null")
	assert.Empty(t, h.History["loss"])
	assert.Nil(t, h.Test["accuracy"])
	assert.Contains(t, h.Report, "No classification report")
	assert.Equal(t, "stop", h.Config["on_nan"])

	var s struct {
		Runs []struct {
			Diverged *struct{ Epoch, Step int } `json:"diverged"`
		} `json:"runs"`
	}
	readJSON(t, filepath.Join(out, "summary.json"), &s)
	require.Len(t, s.Runs, 1)
	require.NotNil(t, s.Runs[0].Diverged)
	assert.Equal(t, h.Diverged.Step, s.Runs[0].Diverged.Step)
	page, err := os.ReadFile(filepath.Join(out, "report.html"))
	require.NoError(t, err)
	assert.Contains(t, string(page), "diverged at epoch 1 step")
}

// --on-nan continue keeps Keras's behaviour: every epoch runs and the NaN
// is reported, exit status 0; but metrics computed from NaN outputs are not
// shown as real: test accuracy is NaN (null) and there is no classification
// report.
func TestDivergedRunContinues(t *testing.T) {
	hist := filepath.Join(t.TempDir(), "h.json")
	status, out, errs := run(t, append([]string{"train", "--epochs", "2", "--quiet", "--on-nan", "continue",
		"--history", hist}, divergingArgs...)...)
	require.Equal(t, cli.ExitOK, status, errs)
	assert.Contains(t, out, "test: loss NaN - accuracy NaN")
	assert.Contains(t, out, "No classification report")
	assert.NotContains(t, out, "precision")
	var h struct {
		History map[string][]*float64 `json:"history"`
		Test    map[string]*float64   `json:"test"`
	}
	readJSON(t, hist, &h)
	require.Len(t, h.History["loss"], 2, "every epoch ran")
	assert.Nil(t, h.History["loss"][1], "NaN is written as null")
	assert.Nil(t, h.Test["accuracy"], "an accuracy from NaN outputs is not a result")

	status, _, errs = run(t, "train", "--on-nan", "maybe")
	assert.Equal(t, cli.ExitUsage, status)
	assert.Contains(t, errs, "--on-nan")
}

// descent sweep records a diverged run as diverged and goes on with the
// others: the table, summary.json and the page say where it diverged.
func TestSweepRecordsDivergedRun(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "sweep")
	status, out, errs := run(t, "sweep", "--lrs", "1000,0.1", "--hidden", "16", "--activation", "linear",
		"--epochs", "2", "--quiet", "--out", dir)
	require.Equal(t, cli.ExitOK, status, errs)
	assert.Contains(t, errs, "descent: run lr=1000: training diverged at epoch 1, step ")
	assert.Contains(t, errs, "going on")
	assert.Regexp(t, `lr=1000 +0 .* diverged at epoch 1 step \d+`, out)
	var s summaryFile
	readJSON(t, filepath.Join(dir, "summary.json"), &s)
	require.Len(t, s.Runs, 2)
	assert.Equal(t, 2, s.Runs[1].Epochs, "the next run trained in full")
	assert.Greater(t, s.Runs[1].ValAccuracy, 0.8)
	var rs struct {
		Runs []struct {
			Diverged *struct{ Epoch int } `json:"diverged"`
		} `json:"runs"`
	}
	readJSON(t, filepath.Join(dir, "summary.json"), &rs)
	require.NotNil(t, rs.Runs[0].Diverged)
	assert.Nil(t, rs.Runs[1].Diverged)
	page, err := os.ReadFile(filepath.Join(dir, "report.html"))
	require.NoError(t, err)
	assert.Contains(t, string(page), `<em class="diverged">diverged at epoch 1 step`)

	status, _, errs = run(t, "report", dir)
	require.Equal(t, cli.ExitOK, status, errs)
	rebuilt, err := os.ReadFile(filepath.Join(dir, "report.html"))
	require.NoError(t, err)
	assert.Equal(t, string(page), string(rebuilt))
}
