package main

import (
	"slices"
	"strings"
	"testing"

	"github.com/descent-ml/descent/bench"
)

func TestWithEnv(t *testing.T) {
	got := withEnv([]string{"A=1", "OPENBLAS_CORETYPE=SkylakeX", "B=2"}, []string{"OPENBLAS_CORETYPE=", "C=3", "A=4"})
	want := []string{"B=2", "C=3", "A=4"}
	if !slices.Equal(got, want) {
		t.Fatalf("withEnv = %q, want %q", got, want)
	}
}

func TestMedian(t *testing.T) {
	for _, c := range []struct {
		xs   []float64
		want float64
	}{{nil, 0}, {[]float64{3}, 3}, {[]float64{3, 1, 2}, 2}, {[]float64{4, 1, 3, 2}, 2.5}} {
		if got := bench.Median(c.xs); got != c.want {
			t.Errorf("bench.Median(%v) = %v, want %v", c.xs, got, c.want)
		}
	}
}

// The table puts the limit first and gonum last, and gives every row its
// ratio to the limit's median.
func TestRenderTable(t *testing.T) {
	rows := []*row{
		{name: "descent gonum, 2 thread(s)", kind: "descent", secs: []float64{2}, cpu: []float64{2}, loss: []float64{0.7}, acc: []float64{0.9}},
		{name: "PyTorch 1.13, 1 thread, core=Haswell", kind: "torch", secs: []float64{1}, cpu: []float64{0.5}, loss: []float64{0.7}, acc: []float64{0.9}},
		{name: "limit", kind: "limit", secs: []float64{0.5}, cpu: []float64{0.25}, loss: []float64{0.7}, acc: []float64{0.9}},
	}
	rows[2].ep97, rows[2].sec97 = 1, 0.5
	out := renderTable("h", []string{"n"}, rows, rows[2:], 5, 54000)
	lim, torch, gonum := strings.Index(out, "| limit | 0.500 | 108000 | 1.00 | 0.250 | 1.00 |"), strings.Index(out, "| PyTorch 1.13, 1 thread, core=Haswell | 1.000 | 54000 | 2.00 | 0.500 | 2.00 |"),
		strings.Index(out, "| descent gonum, 2 thread(s) | 2.000 | 27000 | 4.00 | 2.000 | 8.00 |")
	if lim < 0 || torch < lim || gonum < torch {
		t.Fatalf("rows missing or out of order:\n%s", out)
	}
	if !strings.Contains(out, "| limit | 1 | 0.50 | 0.9000 |") || !strings.Contains(out, "best setting at 1 thread: PyTorch 1.13, 1 thread") {
		t.Fatalf("97%% table or best PyTorch line missing:\n%s", out)
	}
}
