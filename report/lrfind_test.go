package report

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func rangeTestFixture(name string, best float64) *RangeTest {
	rt := &RangeTest{Name: name, Optimizer: strings.ToLower(name), Rule: "minimum/10", MinLR: 1e-5, MaxLR: 100, Steps: 50}
	for i := range 40 {
		lr := 1e-5 * math.Pow(1e7, float64(i)/49)
		l := 2.3 - math.Exp(-math.Pow(math.Log10(lr/best), 2))
		rt.Rates, rt.Losses, rt.Smoothed = append(rt.Rates, lr), append(rt.Losses, l), append(rt.Smoothed, l)
	}
	rt.Smoothed[3] = math.NaN() // left out of the figure, written as null
	rt.SuggestedLR, rt.StoppedEarly = best/10, true
	rt.Suggestions = map[string]float64{"minimum/10": best / 10}
	return rt
}

// The range test's files, and its section on a page with runs (descent
// train --lr auto --out) and without (descent lrfind).
func TestRangeTestFiles(t *testing.T) {
	tests := []*RangeTest{rangeTestFixture("SGD", 1), rangeTestFixture("Adam", 0.01)}
	files, err := RangeTestFiles(tests, "Learning-rate range test")
	require.NoError(t, err)
	require.Len(t, files, 3)
	assert.Equal(t, RangeTestFile, files[0].Path)
	var got []map[string]any
	require.NoError(t, json.Unmarshal(files[0].Data, &got))
	require.Len(t, got, 2)
	assert.Equal(t, 0.1, got[0]["suggested_lr"])
	assert.Nil(t, got[0]["smoothed"].([]any)[3], "NaN is written as null")
	assert.Equal(t, "\x89PNG", string(files[1].Data[:4]))
	assert.Contains(t, string(files[2].Data), "SGD → 0.1")

	one, err := RangeTestJSON(tests[:1])
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(string(one), "{"), "one test is one object")

	e := fixture()
	e.RangeTests = tests[:1]
	all, err := PageFiles(e)
	require.NoError(t, err)
	var names []string
	var page string
	for _, f := range all {
		names = append(names, f.Path)
		if f.Path == PageFile {
			page = string(f.Data)
		}
	}
	assert.Subset(t, names, []string{"lrfind.json", "lrfind.png", "lrfind.svg", "val_accuracy.png", PageFile})
	assert.Contains(t, page, `id="range-test"`)
	assert.Contains(t, page, `id="curves"`)

	alone := &Experiment{Kind: "lrfind", Title: "t", RangeTests: tests[:1], Config: json.RawMessage(`{"optimizer":"sgd"}`)}
	p, err := Page(alone, map[string][]byte{RangeTestFigure: files[2].Data})
	require.NoError(t, err)
	assert.Contains(t, string(p), `id="range-test"`)
	assert.NotContains(t, string(p), `id="summary"`)
	_, err = Page(alone, nil)
	assert.Error(t, err, "the section needs its figure")
}
