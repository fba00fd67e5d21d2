package cli_test

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/descent-ml/descent/cli"
	"github.com/descent-ml/descent/data"
)

// summaryFile is the part of summary.json the tests read.
type summaryFile struct {
	Kind    string          `json:"kind"`
	Title   string          `json:"title"`
	Command string          `json:"command"`
	Dataset string          `json:"dataset"`
	Config  map[string]any  `json:"config"`
	Runs    []summaryRunRow `json:"runs"`
}

type summaryRunRow struct {
	Name        string  `json:"name"`
	Dir         string  `json:"dir"`
	Epochs      int     `json:"epochs"`
	ValAccuracy float64 `json:"val_accuracy"`
	Test        struct {
		Loss     float64 `json:"loss"`
		Accuracy float64 `json:"accuracy"`
	} `json:"test"`
}

type runFile struct {
	Name    string               `json:"name"`
	History map[string][]float64 `json:"history"`
	Test    struct {
		Loss     float64 `json:"loss"`
		Accuracy float64 `json:"accuracy"`
	} `json:"test"`
	Config    map[string]any `json:"config"`
	Report    string         `json:"classification_report"`
	Classes   []string       `json:"classes"`
	Confusion [][]int        `json:"confusion_matrix"`
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, v), path)
}

// The tutorial's first experiment, small: two learning rates, two epochs,
// a narrow network, into the default folder runs/<date>-<time>.
func TestSweepEndToEnd(t *testing.T) {
	t.Chdir(t.TempDir())
	status, out, errs := run(t, "sweep", "--lrs", "1,0.001", "--epochs", "2", "--hidden", "16", "--backend", "openblas")
	require.Equal(t, 0, status, errs)
	assert.Contains(t, out, "[1/2] lr=1: sgd lr 1, batch 128, 2 epochs\nEpoch 1/2\n")
	assert.Contains(t, out, "[2/2] lr=0.001: sgd lr 0.001")
	assert.Regexp(t, `(?m)^\s+run\s+epochs\s+val_loss\s+val_accuracy\s+test_loss\s+test_accuracy\s+seconds$`, out)
	m := regexp.MustCompile(`(?m)^report: (runs/\d{8}-\d{6}/report\.html)$`).FindStringSubmatch(out)
	require.NotNil(t, m, "the report's path, under runs/<date>-<time>:\n%s", out)
	dir := filepath.Dir(m[1])

	for _, f := range []string{"summary.json", "report.html", "val_accuracy.png", "val_accuracy.svg", "val_loss.png", "val_loss.svg",
		"lr-1/history.json", "lr-1/history.csv", "lr-1/classification_report.txt", "lr-1/confusion_matrix.csv",
		"lr-0.001/history.json", "lr-0.001/history.csv", "lr-0.001/classification_report.txt", "lr-0.001/confusion_matrix.csv"} {
		st, err := os.Stat(filepath.Join(dir, f))
		if assert.NoError(t, err, f) {
			assert.Greater(t, st.Size(), int64(20), f)
		}
	}
	matches, _ := filepath.Glob(filepath.Join(dir, ".*tmp*"))
	assert.Empty(t, matches, "no temporary files left behind")

	var s summaryFile
	readJSON(t, filepath.Join(dir, "summary.json"), &s)
	assert.Equal(t, "sweep", s.Kind)
	assert.Equal(t, "Learning-rate sweep: SGD on MNIST", s.Title)
	assert.Equal(t, "mnist", s.Dataset)
	assert.Equal(t, "descent sweep --lrs 1,0.001 --hidden 16 --epochs 2 --backend openblas", s.Command)
	assert.Equal(t, []any{1.0, 0.001}, s.Config["lr"])
	assert.Equal(t, "sgd", s.Config["optimizer"])
	assert.Equal(t, "openblas", s.Config["backend"])
	require.Len(t, s.Runs, 2)
	assert.Equal(t, []string{"lr=1", "lr=0.001"}, []string{s.Runs[0].Name, s.Runs[1].Name})
	assert.Equal(t, 2, s.Runs[0].Epochs)
	// Even this small network learns at lr 1 and not at lr 0.001, as in the
	// tutorial.
	assert.Greater(t, s.Runs[0].ValAccuracy, 0.85)
	assert.Less(t, s.Runs[1].ValAccuracy, 0.3)

	var r runFile
	readJSON(t, filepath.Join(dir, "lr-1", "history.json"), &r)
	assert.Equal(t, 1.0, r.Config["lr"])
	assert.Len(t, r.History["val_accuracy"], 2)
	assert.Equal(t, s.Runs[0].ValAccuracy, r.History["val_accuracy"][1])
	assert.Equal(t, s.Runs[0].Test.Accuracy, r.Test.Accuracy)
	txt, err := os.ReadFile(filepath.Join(dir, "lr-1", "classification_report.txt"))
	require.NoError(t, err)
	assert.Equal(t, r.Report, string(txt))
	assert.Contains(t, r.Report, "weighted avg")
	assert.Contains(t, r.Report, "    accuracy                         "+strconv.FormatFloat(r.Test.Accuracy, 'f', 4, 64)+"     10000\n")

	// The confusion matrix counts every test image once, by true class.
	f, err := os.Open(filepath.Join(dir, "lr-1", "confusion_matrix.csv"))
	require.NoError(t, err)
	rows, err := csv.NewReader(f).ReadAll()
	f.Close()
	require.NoError(t, err)
	require.Len(t, rows, 11)
	assert.Equal(t, []string{`true\predicted`, "0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}, rows[0])
	total, diag := 0, 0
	for i, row := range rows[1:] {
		for j, cell := range row[1:] {
			n, err := strconv.Atoi(cell)
			require.NoError(t, err)
			total += n
			if i == j {
				diag += n
			}
		}
	}
	assert.Equal(t, 10000, total)
	assert.InDelta(t, r.Test.Accuracy, float64(diag)/10000, 1e-12, "the diagonal is the test accuracy")
	assert.Equal(t, r.Confusion[3][3], mustAtoi(t, rows[4][4]))

	hist, err := os.ReadFile(filepath.Join(dir, "lr-1", "history.csv"))
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(hist)), "\n")
	require.Len(t, lines, 3)
	assert.Equal(t, "epoch,loss,accuracy,val_loss,val_accuracy,seconds", lines[0])
	assert.True(t, strings.HasPrefix(lines[2], "2,"+strconv.FormatFloat(r.History["loss"][1], 'g', -1, 64)+","), lines[2])

	page, err := os.ReadFile(filepath.Join(dir, "report.html"))
	require.NoError(t, err)
	assert.Contains(t, string(page), "<title>Learning-rate sweep: SGD on MNIST</title>")
	assert.Equal(t, 2, strings.Count(string(page), "<svg "))

	// descent report rebuilds the page and figures from the folder, byte
	// for byte.
	want := map[string][]byte{}
	for _, f := range []string{"report.html", "val_accuracy.png", "val_accuracy.svg", "val_loss.png", "val_loss.svg", "summary.json"} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		require.NoError(t, err)
		want[f] = b
		if f != "summary.json" {
			require.NoError(t, os.Remove(filepath.Join(dir, f)))
		}
	}
	status, out, errs = run(t, "report", dir)
	require.Equal(t, 0, status, errs)
	assert.Equal(t, "report: "+filepath.Join(dir, "report.html")+" (2 runs)\n", out)
	for f, b := range want {
		got, err := os.ReadFile(filepath.Join(dir, f))
		require.NoError(t, err)
		assert.True(t, string(b) == string(got), "%s differs after descent report", f)
	}

	// The folder now holds an experiment: a second sweep into it is refused.
	status, _, errs = run(t, "sweep", "--out", dir, "--lrs", "1")
	assert.Equal(t, cli.ExitUsage, status)
	assert.Contains(t, errs, "already holds an experiment")
}

func mustAtoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	require.NoError(t, err)
	return n
}

// The tutorial's second experiment, small, with the models saved; descent
// evaluate on a saved model gives back the numbers the run reported.
func TestCompareAndEvaluate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cmp")
	status, out, errs := run(t, "compare", "--optimizers", "adam,momentum", "--epochs", "1", "--hidden", "16",
		"--backend", "openblas", "--out", dir, "--save-models", "--quiet")
	require.Equal(t, 0, status, errs)
	assert.NotContains(t, out, "Epoch 1/1", "--quiet prints only the summary")
	assert.Regexp(t, `(?m)^\s+Adam\s+1\s+`, out)
	assert.Regexp(t, `(?m)^\s+Momentum\s+1\s+`, out)

	var s summaryFile
	readJSON(t, filepath.Join(dir, "summary.json"), &s)
	assert.Equal(t, "compare", s.Kind)
	assert.Equal(t, "Optimizer comparison at lr 0.001 on MNIST", s.Title)
	assert.Equal(t, []any{"adam", "momentum"}, s.Config["optimizer"])
	assert.Equal(t, []any{0.0, 0.9}, s.Config["momentum"])
	require.Len(t, s.Runs, 2)
	assert.Equal(t, "adam", s.Runs[0].Dir)
	assert.Greater(t, s.Runs[0].Test.Accuracy, 0.8, "Adam learns in one epoch")

	var r runFile
	readJSON(t, filepath.Join(dir, "momentum", "history.json"), &r)
	assert.Equal(t, "Momentum", r.Name)
	assert.Equal(t, 0.001, r.Config["lr"], "every optimizer at --lr, not its Keras default")
	assert.Equal(t, 0.9, r.Config["momentum"])

	readJSON(t, filepath.Join(dir, "adam", "history.json"), &r)
	status, out, errs = run(t, "evaluate", "--model", filepath.Join(dir, "adam", "model.descent"), "--backend", "openblas")
	require.Equal(t, 0, status, errs)
	assert.Contains(t, out, "test: loss "+strconv.FormatFloat(r.Test.Loss, 'f', 4, 64)+" - accuracy "+strconv.FormatFloat(r.Test.Accuracy, 'f', 4, 64)+"\n")
	assert.Contains(t, out, "\n"+r.Report+"\n", "the same classification report as the run's")
	assert.Contains(t, out, "confusion matrix (rows: true class, columns: predicted)\n")
	i := strings.Index(out, "confusion matrix")
	matrix := strings.Split(strings.TrimRight(out[i:], "\n"), "\n")[1:]
	require.Len(t, matrix, 11, "a header and ten rows:\n%s", out[i:])
	fields := strings.Fields(matrix[1])
	assert.Equal(t, "0", fields[0])
	assert.Equal(t, strconv.Itoa(r.Confusion[0][0]), fields[1])
}

func TestExperimentUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"sweep", "--lrs", "1,x"}, "--lrs"},
		{[]string{"sweep", "--lrs", "1,0"}, "not a positive learning rate"},
		{[]string{"sweep", "--lrs", "0.1,0.1"}, "listed twice"},
		{[]string{"sweep", "--val-split", "0"}, "validation curves"},
		{[]string{"sweep", "--lr", "1"}, "flag provided but not defined"},
		{[]string{"sweep", "--history", "h.json"}, "flag provided but not defined"},
		{[]string{"sweep", "--dataset", "cifar"}, `unknown data set "cifar"`},
		{[]string{"sweep", "--optimizer", "adagrad"}, "unknown optimizer"},
		{[]string{"compare", "--optimizers", "sgd,adagrad"}, `--optimizers: unknown optimizer "adagrad"`},
		{[]string{"compare", "--optimizers", "sgd,sgd"}, "listed twice"},
		{[]string{"compare", "--lr", "0"}, "--lr"},
		{[]string{"compare", "--optimizer", "sgd"}, "flag provided but not defined"},
		{[]string{"compare", "extra"}, "unexpected argument"},
		{[]string{"report"}, "want one folder"},
		{[]string{"report", "a", "b"}, "want one folder"},
		{[]string{"evaluate"}, "Required flag"},
		{[]string{"evaluate", "--model", "m", "--dataset", "cifar"}, `unknown data set "cifar"`},
		{[]string{"evaluate", "--model", "m", "--batch-size", "0"}, "--batch-size"},
		{[]string{"train", "--dataset", "cifar"}, `unknown data set "cifar"`},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			status, _, errs := run(t, tc.args...)
			assert.Equal(t, cli.ExitUsage, status, errs)
			assert.Contains(t, errs, tc.want)
			assert.Equal(t, 1, strings.Count(errs, "\n"), "one line: %q", errs)
		})
	}
}

func TestExperimentRunErrors(t *testing.T) {
	empty := t.TempDir()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"report", empty}, "summary.json not found"},
		{[]string{"evaluate", "--model", filepath.Join(empty, "none.descent")}, "none.descent"},
		{[]string{"sweep", "--data", empty, "--out", filepath.Join(empty, "out")}, "train-images-idx3-ubyte"},
		{[]string{"train", "--dataset", "fashion-mnist", "--data", empty}, "train-images-idx3-ubyte"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			status, _, errs := run(t, tc.args...)
			assert.Equal(t, cli.ExitError, status, errs)
			assert.Contains(t, errs, tc.want)
			assert.Equal(t, 1, strings.Count(errs, "\n"), "one line: %q", errs)
		})
	}
	_, err := os.Stat(filepath.Join(empty, "out"))
	assert.True(t, os.IsNotExist(err), "a failed load creates no experiment folder")
}

// Fashion-MNIST through the same command line, with its class names in
// the report. Needs Debian's dataset-fashion-mnist.
func TestTrainFashionMNIST(t *testing.T) {
	if _, err := data.LocateFashionMNIST(); err != nil {
		t.Skipf("Fashion-MNIST is not installed (scripts/setup-extras.sh fashion-mnist): %v", err)
	}
	hist := filepath.Join(t.TempDir(), "h.json")
	status, out, errs := run(t, "train", "--dataset", "fashion-mnist", "--epochs", "1", "--hidden", "32",
		"--backend", "openblas", "--quiet", "--history", hist)
	require.Equal(t, 0, status, errs)
	for _, name := range data.FashionMNISTClasses {
		assert.Regexp(t, `(?m)^\s+`+regexp.QuoteMeta(name)+`\s+0\.\d{4}\s+0\.\d{4}\s+0\.\d{4}\s+1000$`, out)
	}
	var h struct {
		Test   struct{ Accuracy float64 }
		Config map[string]any `json:"config"`
	}
	readJSON(t, hist, &h)
	assert.Equal(t, "fashion-mnist", h.Config["dataset"])
	// One epoch of Adam: well above chance, well below MNIST's figures.
	assert.Greater(t, h.Test.Accuracy, 0.6)
	assert.Less(t, h.Test.Accuracy, 0.95)
}

// descent train at the tutorial's settings on the oneDNN backend, what
// --backend auto runs, reaches the floors train's TestTutorialAccuracy
// holds every backend to: those of the independent PyTorch reproduction
// (0.971–0.974 validation accuracy after 10 epochs of Adam lr 0.001), just
// under its range, the same floor the openblas runs above are held to.
// About 10 s.
func TestTrainAccuracyFloorDNNL(t *testing.T) {
	if testing.Short() {
		t.Skip("trains the tutorial network for 10 epochs; skipped with -short")
	}
	hist := filepath.Join(t.TempDir(), "h.json")
	status, _, errs := run(t, "train", "--backend", "dnnl", "--quiet", "--history", hist)
	require.Equal(t, 0, status, errs)
	h := readHistory(t, hist)
	val := h.History["val_accuracy"]
	require.Len(t, val, 10)
	require.NotNil(t, h.Test["accuracy"])
	t.Logf("val_accuracy %v, test accuracy %.4f", val, *h.Test["accuracy"])
	assert.GreaterOrEqual(t, val[9], 0.97)
	assert.GreaterOrEqual(t, *h.Test["accuracy"], 0.965)
}

// The acceptance figures, at the tutorial's settings (about 35 s):
// the sweep's picture after 5 epochs, Adam and RMSprop at ≥ 0.97, and the
// finding of docs/reproduction.md that the stated settings cannot give the
// tutorial's SGD (0.81) and Momentum (0.93) curves.
func TestTutorialFigures(t *testing.T) {
	if testing.Short() {
		t.Skip("trains the tutorial's 8 networks (about 35 s); skipped with -short")
	}
	sweep := filepath.Join(t.TempDir(), "sweep")
	status, _, errs := run(t, "sweep", "--backend", "openblas", "--quiet", "--out", sweep)
	require.Equal(t, 0, status, errs)
	var s summaryFile
	readJSON(t, filepath.Join(sweep, "summary.json"), &s)
	require.Len(t, s.Runs, 4)
	val := map[string]float64{}
	for _, r := range s.Runs {
		assert.Equal(t, 5, r.Epochs)
		val[r.Name] = r.ValAccuracy
	}
	assert.LessOrEqual(t, val["lr=100"], 0.2)
	assert.GreaterOrEqual(t, val["lr=1"], 0.94)
	assert.GreaterOrEqual(t, val["lr=0.1"], 0.88)
	assert.LessOrEqual(t, val["lr=0.1"], 0.92)
	assert.LessOrEqual(t, val["lr=0.001"], 0.2)

	compare := filepath.Join(t.TempDir(), "compare")
	status, _, errs = run(t, "compare", "--backend", "openblas", "--quiet", "--out", compare)
	require.Equal(t, 0, status, errs)
	s = summaryFile{}
	readJSON(t, filepath.Join(compare, "summary.json"), &s)
	require.Len(t, s.Runs, 4)
	byName := map[string]summaryRunRow{}
	for _, r := range s.Runs {
		assert.Equal(t, 10, r.Epochs)
		byName[r.Name] = r
	}
	for _, name := range []string{"RMSprop", "Adam"} {
		assert.GreaterOrEqual(t, byName[name].ValAccuracy, 0.97, name)
		assert.GreaterOrEqual(t, byName[name].Test.Accuracy, 0.97, name)
	}
	assert.Less(t, byName["SGD"].ValAccuracy, 0.3, "SGD at lr 0.001 stays near chance, not the tutorial's 0.81")
	assert.Less(t, byName["Momentum"].ValAccuracy, 0.8, "Momentum at lr 0.001 is far from the tutorial's 0.93")
	assert.Greater(t, byName["Momentum"].ValAccuracy, 0.6)
}
