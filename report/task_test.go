package report

import (
	"bytes"
	"encoding/json"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// keys returns the sorted keys of a JSON object.
func keys(t *testing.T, raw json.RawMessage) []string {
	t.Helper()
	var m map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(raw, &m), string(raw))
	return slices.Sorted(maps.Keys(m))
}

// A run's files follow its task: which files, the history CSV's columns,
// and the keys of history.json's history and test sections.
func TestRunFilesByTask(t *testing.T) {
	for _, tc := range []struct {
		name      string
		run       *Run
		files     []string
		csvHeader string
		history   []string
		test      []string
		task      string // history.json's "task"
	}{
		{"classification, no task recorded", fixture().Runs[1],
			[]string{"history.json", "history.csv", "classification_report.txt", "confusion_matrix.csv"},
			"epoch,loss,accuracy,val_loss,val_accuracy,seconds",
			[]string{"accuracy", "loss", "val_accuracy", "val_loss"}, []string{"accuracy", "loss"}, ""},
		{"binary", binaryFixture().Runs[1],
			[]string{"history.json", "history.csv", "classification_report.txt", "confusion_matrix.csv"},
			"epoch,loss,accuracy,val_loss,val_accuracy,seconds",
			[]string{"accuracy", "loss", "val_accuracy", "val_loss"}, []string{"accuracy", "loss", "roc_auc"}, "binary"},
		{"regression", regressionFixture().Runs[0],
			[]string{"history.json", "history.csv", "regression_report.txt"},
			"epoch,loss,mae,val_loss,val_mae,val_r2,seconds",
			[]string{"loss", "mae", "val_loss", "val_mae", "val_r2"}, []string{"loss", "mae", "mse", "r2"}, "regression"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			files, err := RunFiles(tc.run)
			require.NoError(t, err)
			var paths []string
			byName := map[string][]byte{}
			for _, f := range files {
				paths = append(paths, filepath.Base(f.Path))
				byName[filepath.Base(f.Path)] = f.Data
				assert.Equal(t, tc.run.Dir, filepath.Dir(f.Path))
			}
			assert.Equal(t, tc.files, paths)
			assert.Equal(t, tc.csvHeader, strings.SplitN(string(byName[HistoryCSVFile]), "\n", 2)[0])

			var run struct {
				Task    string
				History json.RawMessage
				Test    json.RawMessage
			}
			require.NoError(t, json.Unmarshal(byName[HistoryJSONFile], &run))
			assert.Equal(t, tc.task, run.Task)
			assert.Equal(t, tc.history, keys(t, run.History))
			assert.Equal(t, tc.test, keys(t, run.Test))
		})
	}
	r := regressionFixture().Runs[0]
	files, err := RunFiles(r)
	require.NoError(t, err)
	assert.Equal(t, r.Report, string(files[2].Data), "regression_report.txt is the run's report")
	assert.Equal(t, "epoch,loss,mae,val_loss,val_mae,val_r2,seconds\n"+
		"1,24750.000000000004,142.5,27000,150,-3.5,0.25\n2,7040.000000000001,76,7680,80,-0.2,0.25\n3,3327.5000000000005,52.25,3630,55,0.41,0.25\n",
		string(files[1].Data))
}

// A classifier's files are what they were before runs had tasks: the
// golden files in testdata were written by the code before report knew of
// tasks, so matching them proves only that nothing changed, not that they
// are right. A run that records its task "classification" writes the same
// files, but for the "task" line in history.json.
func TestClassifierFilesUnchanged(t *testing.T) {
	for _, task := range []string{"", TaskClassification} {
		t.Run("task "+task, func(t *testing.T) {
			e := fixture()
			for _, r := range e.Runs {
				r.Task = task
			}
			files, err := RunFiles(e.Runs[0])
			require.NoError(t, err)
			js := files[0].Data
			if task != "" {
				line := "  \"task\": \"classification\",\n"
				require.Contains(t, string(js), `"dir": "lr-100",`+"\n"+line)
				js = bytes.Replace(js, []byte(line), nil, 1)
			}
			golden(t, "history_lr-100.json", js)
			golden(t, "history_lr-100.csv", files[1].Data)
			assert.Equal(t, e.Runs[0].Report, string(files[2].Data))

			summary, err := SummaryJSON(e)
			require.NoError(t, err)
			golden(t, "summary.json", summary)
			page, err := Page(e, stubFigures())
			require.NoError(t, err)
			golden(t, "report.html", page)
			for _, fig := range FiguresFor(task) {
				_, svg, err := RenderFigure(e.Runs, fig)
				require.NoError(t, err)
				golden(t, fig.Name+".svg", svg)
			}
		})
	}
}

// A regression experiment written to a folder loads back equal, and
// rebuilding it from the folder (descent report) gives the same bytes.
func TestRegressionFolderRoundTrip(t *testing.T) {
	dir := t.TempDir()
	e := regressionFixture()
	for _, r := range e.Runs {
		files, err := RunFiles(r)
		require.NoError(t, err)
		writeAll(t, dir, files)
	}
	page, err := PageFiles(e)
	require.NoError(t, err)
	writeAll(t, dir, page)
	var names []string
	for _, f := range page {
		names = append(names, f.Path)
	}
	assert.Equal(t, []string{"summary.json", "val_mae.png", "val_mae.svg", "val_loss.png", "val_loss.svg", "report.html"}, names)
	for _, gone := range []string{"val_accuracy.png", "lr-0.01/classification_report.txt", "lr-0.01/confusion_matrix.csv"} {
		assert.NoFileExists(t, filepath.Join(dir, gone))
	}

	got, err := Load(dir)
	require.NoError(t, err)
	require.Len(t, got.Runs, len(e.Runs))
	for i, r := range got.Runs {
		assert.Equal(t, TaskRegression, r.Task)
		want, _ := json.Marshal(e.Runs[i])
		have, _ := json.Marshal(r)
		assert.JSONEq(t, string(want), string(have), "run %d", i)
	}
	again, err := PageFiles(got)
	require.NoError(t, err)
	require.Len(t, again, len(page))
	for i := range page {
		assert.Equal(t, page[i].Path, again[i].Path)
		assert.True(t, bytes.Equal(page[i].Data, again[i].Data), "%s differs after Load", page[i].Path)
	}

	var s struct {
		Runs []map[string]json.RawMessage `json:"runs"`
	}
	require.NoError(t, json.Unmarshal(page[0].Data, &s))
	require.Len(t, s.Runs, 2)
	assert.Equal(t, []string{"dir", "epochs", "loss", "mae", "name", "seconds", "test", "train_seconds", "val_loss", "val_mae", "val_r2"},
		slices.Sorted(maps.Keys(s.Runs[0])), "a regression's summary row has no accuracy")
	assert.JSONEq(t, `{"loss":3210.5,"mse":3210.5,"mae":46.25,"r2":0.41}`, string(s.Runs[0]["test"]))
	assert.JSONEq(t, `0.41`, string(s.Runs[0]["val_r2"]))
}

// The page shows the task's columns, figures and reports.
func TestPageByTask(t *testing.T) {
	for _, tc := range []struct {
		name     string
		exp      *Experiment
		heads    []string
		has, not []string
	}{
		{"classification", fixture(),
			[]string{"loss", "accuracy", "val_loss", "val_accuracy", "test loss", "test accuracy", "train s", "total s"},
			[]string{`id="figure-val_accuracy"`, `id="confusion-lr-1"`, "<h4>Classification report</h4>", "loss and accuracy averaged", "lr-1/confusion_matrix.csv"},
			[]string{"roc_auc", "val_mae", "Regression report"}},
		{"binary", binaryFixture(),
			[]string{"loss", "accuracy", "val_loss", "val_accuracy", "test loss", "test accuracy", "test roc_auc", "train s", "total s"},
			[]string{`id="figure-val_accuracy"`, `id="confusion-lr-1"`, "<h4>Classification report</h4>",
				`<td class="best">0.9300</td>`}, // lr=0.001's roc_auc, the best
			[]string{"val_mae", "Regression report"}},
		{"regression", regressionFixture(),
			[]string{"loss", "mae", "val_loss", "val_mae", "val_r2", "test mse", "test mae", "test r2", "train s", "total s"},
			[]string{`id="figure-val_mae"`, `id="figure-val_loss"`, "<h4>Regression report</h4>", `id="report-lr-0.01"`,
				"loss and mae averaged", "lr-0.01/regression_report.txt",
				`<td class="best">0.41</td>`, `<td class="best">3210.5</td>`}, // the best val_r2 and test mse
			[]string{`<table class="confusion"`, "confusion_matrix", "accuracy", "Classification report", "figure-val_accuracy", "classification_report.txt", "NaN"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			task := ExperimentTask(tc.exp.Runs)
			assert.Equal(t, tc.heads, SummaryHeads(task))
			figs := map[string][]byte{}
			for _, f := range FiguresFor(task) {
				figs[f.Name] = []byte("<svg><text>" + f.Name + "</text></svg>")
			}
			page, err := Page(tc.exp, figs)
			require.NoError(t, err)
			s := string(page)
			head := "<thead><tr><th>run</th><th>epochs</th><th>" + strings.Join(tc.heads, "</th><th>") + "</th></tr></thead>"
			assert.Contains(t, s, head)
			for _, want := range tc.has {
				assert.Contains(t, s, want)
			}
			for _, bad := range tc.not {
				assert.NotContains(t, s, bad)
			}
		})
	}
}

// A regression run that diverged says so without naming a confusion matrix.
func TestDivergedRegressionPage(t *testing.T) {
	e := regressionFixture()
	r := e.Runs[1]
	r.Test = Scores{Loss: Float(math.NaN())}
	r.Diverged = &Divergence{Epoch: 2, Step: 1, Steps: 3, Loss: "NaN"}
	page, err := Page(e, map[string][]byte{"val_mae": nil, "val_loss": nil})
	require.NoError(t, err)
	assert.Contains(t, string(page), "there is no test result or regression report (the model")
	files, err := RunFiles(r)
	require.NoError(t, err)
	var run struct{ Test json.RawMessage }
	require.NoError(t, json.Unmarshal(files[0].Data, &run))
	assert.JSONEq(t, `{"loss":null,"mse":null,"mae":null,"r2":null}`, string(run.Test), "the task's keys, null: not measured")
}

// A folder written before runs had tasks loads as a classification, keeps
// its null test accuracy, and a task descent does not know is refused.
func TestLoadTask(t *testing.T) {
	for _, tc := range []struct {
		name, json, task, test, err string
	}{
		{"no task", `{"dir":"a","history":{"loss":[1],"accuracy":[0.5]},"test":{"loss":null,"accuracy":null}}`,
			TaskClassification, `{"loss":null,"accuracy":null}`, ""},
		{"no test accuracy", `{"dir":"a","test":{"loss":1}}`, TaskClassification, `{"loss":1,"accuracy":null}`, ""},
		{"binary", `{"dir":"a","task":"binary","test":{"loss":1,"accuracy":0.5}}`, TaskBinary, `{"loss":1,"accuracy":0.5,"roc_auc":null}`, ""},
		{"regression", `{"dir":"a","task":"regression","test":{"loss":1,"mse":1}}`, TaskRegression, `{"loss":1,"mse":1,"mae":null,"r2":null}`, ""},
		{"unknown", `{"dir":"a","task":"ranking"}`, "", "", `unknown task "ranking"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := decodeRun([]byte(tc.json), "a/history.json", "a", "summary.json")
			if tc.err != "" {
				assert.ErrorContains(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.task, r.TaskName())
			b, err := json.Marshal(r.Test)
			require.NoError(t, err)
			assert.JSONEq(t, tc.test, string(b))
		})
	}
}

func TestHistorySeriesByName(t *testing.T) {
	h := regressionFixture().Runs[0].History
	for name, want := range map[string]Series{
		"loss": h.Loss, "val_loss": h.ValLoss, "mae": h.MAE, "val_mae": h.ValMAE, "val_r2": h.ValR2, "accuracy": nil, "r2": nil,
	} {
		assert.Equal(t, want, h.Series(name), name)
	}
	// A regression has no accuracy key at all; a classifier's empty one is
	// kept, as before.
	b, err := json.Marshal(History{Loss: Series{}})
	require.NoError(t, err)
	assert.Equal(t, `{"loss":[]}`, string(b))
	b, err = json.Marshal(History{Loss: Series{}, Accuracy: Series{}})
	require.NoError(t, err)
	assert.Equal(t, `{"loss":[],"accuracy":[]}`, string(b))
}

func TestFiguresFor(t *testing.T) {
	names := func(figs []Figure) []string {
		var out []string
		for _, f := range figs {
			out = append(out, f.Name)
		}
		return out
	}
	for task, want := range map[string][]string{
		"": {"val_accuracy", "val_loss"}, TaskClassification: {"val_accuracy", "val_loss"},
		TaskBinary: {"val_accuracy", "val_loss"}, TaskRegression: {"val_mae", "val_loss"},
	} {
		assert.Equal(t, want, names(FiguresFor(task)), task)
	}
	for _, fig := range RegressionFigures {
		_, svg, err := RenderFigure(regressionFixture().Runs, fig)
		require.NoError(t, err)
		for _, want := range []string{fig.Title, fig.YLabel, "lr=0.01", "lr=0.001"} {
			assert.Contains(t, string(svg), ">"+want+"<", "%s shows %q", fig.Name, want)
		}
	}
	assert.Equal(t, TaskClassification, ExperimentTask(nil))
	var f *Float
	assert.True(t, math.IsNaN(f.Value()), "a metric the task lacks reads as NaN")
}

// The regression page renders in Chromium without a console message, with
// no confusion matrix table.
func TestRegressionReportInChromium(t *testing.T) {
	bin := chromiumPath()
	if bin == "" {
		t.Skip("Chromium not found (see TestReportInChromium)")
	}
	dir := t.TempDir()
	e := regressionFixture()
	for _, r := range e.Runs {
		files, err := RunFiles(r)
		require.NoError(t, err)
		writeAll(t, dir, files)
	}
	files, err := PageFiles(e)
	require.NoError(t, err)
	writeAll(t, dir, files)
	dom, console := runChromium(t, bin, filepath.Join(dir, PageFile), "--dump-dom", "--window-size=1200,3000")
	assert.Empty(t, console)
	assert.Equal(t, 2, strings.Count(dom, "<svg "))
	assert.Equal(t, 2, strings.Count(dom, "<table"), "configuration and summary, no confusion matrix")
	assert.Contains(t, dom, `id="figure-val_mae"`)
	_, err = os.Stat(filepath.Join(dir, "lr-0.01", RegressionReportFile))
	assert.NoError(t, err)
}
