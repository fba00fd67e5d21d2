package report

import (
	"encoding/json"
	"flag"
	"math"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.WriteFile(path, got, 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test ./report -update to create it")
	assert.Equal(t, string(want), string(got), "%s differs (go test ./report -update rewrites it; check the diff)", path)
}

func TestHistoryCSVGolden(t *testing.T) {
	e := fixture()
	golden(t, "history_lr-100.csv", HistoryCSV(e.Runs[0]))
	golden(t, "history_lr-0.1.csv", HistoryCSV(e.Runs[2]))

	// Without validation the val columns are left out.
	r := &Run{History: History{Loss: Series{2.5, 1.25}, Accuracy: Series{0.1, 0.5}}, EpochSeconds: Series{1, 2}}
	assert.Equal(t, "epoch,loss,accuracy,seconds\n1,2.5,0.1,1\n2,1.25,0.5,2\n", string(HistoryCSV(r)))
}

func TestConfusionCSV(t *testing.T) {
	assert.Equal(t, "true\\predicted,0,1\n0,5,1\n1,0,7\n", string(ConfusionCSV([][]int{{5, 1}, {0, 7}})))
	golden(t, "confusion_lr-1.csv", ConfusionCSV(fixture().Runs[1].Confusion))
}

func TestRunAndSummaryJSONGolden(t *testing.T) {
	e := fixture()
	files, err := RunFiles(e.Runs[0])
	require.NoError(t, err)
	paths := make([]string, len(files))
	for i, f := range files {
		paths[i] = f.Path
	}
	assert.Equal(t, []string{"lr-100/history.json", "lr-100/history.csv", "lr-100/classification_report.txt", "lr-100/confusion_matrix.csv"}, paths)
	golden(t, "history_lr-100.json", files[0].Data)
	assert.Equal(t, e.Runs[0].Report, string(files[2].Data))

	summary, err := SummaryJSON(e)
	require.NoError(t, err)
	golden(t, "summary.json", summary)
}

// history.json is a superset of the file descent train --history writes:
// the same keys hold the same kinds of values.
func TestRunJSONKeys(t *testing.T) {
	b, err := json.Marshal(fixture().Runs[1])
	require.NoError(t, err)
	var m map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(b, &m))
	for _, k := range []string{"history", "epoch_seconds", "test", "config", "classification_report", "confusion_matrix", "classes", "name", "dir", "seconds"} {
		assert.Contains(t, m, k)
	}
	var h map[string][]float64
	require.NoError(t, json.Unmarshal(m["history"], &h))
	assert.Len(t, h["val_accuracy"], 5)
}

func TestSeriesJSON(t *testing.T) {
	b, err := json.Marshal(Series{1.5, math.NaN(), math.Inf(1), 0.1})
	require.NoError(t, err)
	assert.Equal(t, "[1.5,null,null,0.1]", string(b))

	var s Series
	require.NoError(t, json.Unmarshal([]byte("[1.5,null,0.1]"), &s))
	require.Len(t, s, 3)
	assert.Equal(t, 1.5, s[0])
	assert.True(t, math.IsNaN(s[1]))
	assert.Equal(t, 0.1, s[2])
	require.Error(t, json.Unmarshal([]byte(`["x"]`), &s))

	b, err = json.Marshal(struct{ A, B Float }{1, Float(math.NaN())})
	require.NoError(t, err)
	assert.Equal(t, `{"A":1,"B":null}`, string(b))
	var f Float
	require.NoError(t, json.Unmarshal([]byte("null"), &f))
	assert.True(t, math.IsNaN(float64(f)))

	// Shortest round-trip form: every float comes back bit for bit.
	x := Series{0.1 + 0.2, 1.0 / 3, 2.2250738585072014e-308}
	b, err = json.Marshal(x)
	require.NoError(t, err)
	var y Series
	require.NoError(t, json.Unmarshal(b, &y))
	assert.Equal(t, x, y)
}

func TestCheckDir(t *testing.T) {
	for _, ok := range []string{"lr-0.1", "sgd", "lr-1e-05", "run_1"} {
		assert.NoError(t, checkDir(ok), ok)
	}
	for _, bad := range []string{"", ".", "..", "a/b", `a\b`, "/abs", "../up"} {
		assert.Error(t, checkDir(bad), bad)
	}
}

// writeAll writes files under dir as descent does (without the atomic
// rename, which package cli owns).
func writeAll(t *testing.T, dir string, files []File) {
	t.Helper()
	for _, f := range files {
		p := filepath.Join(dir, f.Path)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, f.Data, 0o644))
	}
}

// An experiment written to a folder loads back equal, and rebuilding the
// page from the folder gives the same bytes.
func TestLoadRoundTrip(t *testing.T) {
	dir := t.TempDir()
	e := fixture()
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
	assert.Equal(t, []string{"summary.json", "val_accuracy.png", "val_accuracy.svg", "val_loss.png", "val_loss.svg", "report.html"}, names)

	got, err := Load(dir)
	require.NoError(t, err)
	require.Len(t, got.Runs, len(e.Runs))
	for i, r := range got.Runs {
		want, _ := json.Marshal(e.Runs[i])
		have, _ := json.Marshal(r)
		assert.JSONEq(t, string(want), string(have), "run %d", i)
	}
	assert.Equal(t, e.Title, got.Title)
	assert.Equal(t, e.Command, got.Command)
	assert.JSONEq(t, string(e.Config), string(got.Config))

	again, err := PageFiles(got)
	require.NoError(t, err)
	require.Len(t, again, len(page))
	for i := range page {
		assert.Equal(t, page[i].Path, again[i].Path)
		assert.True(t, string(page[i].Data) == string(again[i].Data), "%s differs after Load", page[i].Path)
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	_, err := Load(dir)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "summary.json not found")
	assert.Contains(t, err.Error(), "descent sweep or descent compare")

	write := func(name, content string) {
		p := filepath.Join(dir, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	}
	for _, tc := range []struct{ summary, want string }{
		{`{`, "summary.json"},
		{`{"runs":[]}`, "lists no runs"},
		{`{"runs":[{"name":"x","dir":"../x"}]}`, "one plain path element"},
		{`{"runs":[{"name":"x","dir":"x"}]}`, "run x"},
		{`{"runs":[{"name":"y","dir":"y"}]}`, "names folder"},
		{`{"runs":[{"name":"z","dir":"z"}]}`, "z/history.json"},
		{`{"runs":[{"name":"f","dir":"f"}]}`, "f/history.json: not a regular file (it is a FIFO)"},
		{`{"runs":[{"name":"d","dir":"d"}]}`, "d/history.json: not a regular file (it is a folder)"},
		{`{"runs":[{"name":"y","dir":"y"},{"name":"y2","dir":"y"}]}`, `lists folder "y" twice`},
		{`{"runs":[` + strings.Repeat(`{"name":"y","dir":"y"},`, MaxRuns) + `{"name":"y","dir":"y"}]}`, "more than the 1000 descent reads"},
	} {
		write("summary.json", tc.summary)
		write("y/history.json", `{"name":"y","dir":"other"}`)
		write("z/history.json", `{"history":{"loss":["bad"]}}`)
		if _, err := os.Lstat(filepath.Join(dir, "f")); err != nil {
			require.NoError(t, os.MkdirAll(filepath.Join(dir, "f"), 0o755))
			require.NoError(t, syscall.Mkfifo(filepath.Join(dir, "f", "history.json"), 0o600))
			require.NoError(t, os.MkdirAll(filepath.Join(dir, "d", "history.json"), 0o755))
		}
		_, err := Load(dir)
		if assert.Error(t, err, tc.summary) {
			assert.Contains(t, err.Error(), tc.want, tc.summary)
		}
	}
}

func TestSummarize(t *testing.T) {
	r := fixture().Runs[0]
	s := r.Summarize()
	assert.Equal(t, "lr=100", s.Name)
	assert.Equal(t, 5, s.Epochs)
	assert.Equal(t, 0.0967, s.ValAccuracy.Value())
	assert.InDelta(t, 0.5+0.51+0.52+0.53+0.54, float64(s.TrainSeconds), 1e-12)
	assert.True(t, math.IsNaN(float64((&Run{}).Summarize().ValLoss)), "no epochs: NaN, not a panic")
	assert.True(t, strings.HasPrefix(fixture().Runs[1].Report, "              precision"))
}
