package report

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// divergedFixture is the fixture with lr=100 diverged at epoch 3, step 17
// of 422: its history holds the two completed epochs, and it has no test
// result, report or confusion matrix.
func divergedFixture() *Experiment {
	e := fixture()
	r := e.Runs[0]
	r.History = History{Loss: r.History.Loss[:2], Accuracy: r.History.Accuracy[:2],
		ValLoss: r.History.ValLoss[:2], ValAccuracy: r.History.ValAccuracy[:2]}
	r.EpochSeconds = r.EpochSeconds[:2]
	r.Test = ClassScores(math.NaN(), math.NaN())
	r.Report, r.Confusion = "No classification report: training diverged.\n", nil
	r.Diverged = &Divergence{Epoch: 3, Step: 17, Steps: 422, Loss: "NaN"}
	return e
}

// A diverged run is recorded as diverged in summary.json, the history, the
// page's summary table and run section, and the figures' legends; Load
// reads it back.
func TestDivergedRunIsRecorded(t *testing.T) {
	e := divergedFixture()
	files, err := PageFiles(e)
	require.NoError(t, err)
	runFiles, err := RunFiles(e.Runs[0])
	require.NoError(t, err)
	byName := map[string][]byte{}
	for _, f := range append(files, runFiles...) {
		byName[f.Path] = f.Data
	}

	var s struct {
		Runs []struct {
			Name     string
			Epochs   int
			Diverged *Divergence
			Test     struct{ Loss, Accuracy *float64 }
		} `json:"runs"`
	}
	require.NoError(t, json.Unmarshal(byName[SummaryFile], &s))
	require.Len(t, s.Runs, 4)
	assert.Equal(t, &Divergence{Epoch: 3, Step: 17, Steps: 422, Loss: "NaN"}, s.Runs[0].Diverged)
	assert.Equal(t, 2, s.Runs[0].Epochs)
	assert.Nil(t, s.Runs[0].Test.Accuracy, "no test accuracy for a diverged run")
	for _, r := range s.Runs[1:] {
		assert.Nil(t, r.Diverged, r.Name)
	}
	assert.Contains(t, string(byName[filepath.Join("lr-100", HistoryJSONFile)]), `"diverged": {`)

	page := string(byName[PageFile])
	assert.Contains(t, page, `<tr class="diverged"><td><a href="#run-lr-100">lr=100</a> <em class="diverged">diverged at epoch 3 step 17</em></td><td>2</td>`)
	assert.Contains(t, page, `<p class="diverged" id="diverged-lr-100">This run diverged at epoch 3 step 17`)
	assert.NotContains(t, page, `id="confusion-lr-100"`, "no confusion matrix from non-finite outputs")
	assert.NotContains(t, page, `id="report-lr-100"`)
	assert.Contains(t, page, `id="confusion-lr-1"`)
	assert.NotContains(t, page, "NaN")
	assert.Equal(t, 1, strings.Count(page, `<tr class="diverged">`))

	for _, fig := range Figures {
		svg := string(byName[fig.Name+".svg"])
		assert.Contains(t, svg, "lr=100 (diverged at epoch 3 step 17)", fig.Name)
	}

	dir := t.TempDir()
	for _, f := range append(files, runFiles...) {
		require.NoError(t, os.MkdirAll(filepath.Dir(filepath.Join(dir, f.Path)), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, f.Path), f.Data, 0o644))
	}
	for _, r := range e.Runs[1:] {
		rf, err := RunFiles(r)
		require.NoError(t, err)
		for _, f := range rf {
			require.NoError(t, os.MkdirAll(filepath.Dir(filepath.Join(dir, f.Path)), 0o755))
			require.NoError(t, os.WriteFile(filepath.Join(dir, f.Path), f.Data, 0o644))
		}
	}
	got, err := Load(dir)
	require.NoError(t, err)
	assert.Equal(t, e.Runs[0].Diverged, got.Runs[0].Diverged)
	assert.Equal(t, e.Runs[0].Diverged, got.Summaries[0].Diverged)
	assert.Nil(t, got.Runs[1].Diverged)
}

// A run that diverged in its first epoch has nothing to plot, yet the
// legend still names it.
func TestDivergedInFirstEpochIsInLegend(t *testing.T) {
	e := fixture()
	e.Runs[0].History, e.Runs[0].EpochSeconds = History{Loss: Series{}, Accuracy: Series{}}, nil
	e.Runs[0].Diverged = &Divergence{Epoch: 1, Step: 7, Steps: 422, Loss: "NaN"}
	for _, fig := range Figures {
		_, svg, err := RenderFigure(e.Runs, fig)
		require.NoError(t, err)
		assert.Contains(t, string(svg), "lr=100 (diverged at epoch 1 step 7)")
	}
	assert.Equal(t, "diverged after epoch 2 (validation loss +Inf)", (&Divergence{Epoch: 2, Validation: true, Loss: "+Inf"}).String())
}
