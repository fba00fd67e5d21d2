package cli

import (
	"encoding/json"
	"errors"
	"math"
	"slices"
	"testing"
)

// FuzzParseMatrix feeds arbitrary text to the parser of descent loss's
// --y-pred and --y-true (corpus: testdata/fuzz/FuzzParseMatrix). Either it
// refuses with a usage error (exit status 2, never a panic), or it returns a
// non-empty rows×cols matrix of finite numbers, which prints back as JSON
// and parses again to the same values, bit for bit.
func FuzzParseMatrix(f *testing.F) {
	for _, s := range []string{
		"[[0,1,0],[1,0,0],[0,0,1],[0,0,1]]", "[[0.1,0.8,0.1],[0.7,0.2,0.1]]", "[[1e308, -1e308, 5e-324, -0]]",
		"[]", "[[]]", "[[1],[1,2]]", "[[1e999]]", `[["a"]]`, "[[NaN]]", "[[1,2]", "null", "[null]", "[[null]]", "{}",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, rows, cols, err := parseMatrix("--y-pred", s)
		if err != nil {
			var ue usageError
			if !errors.As(err, &ue) {
				t.Fatalf("refusal is not a usage error: %v", err)
			}
			return
		}
		if rows < 1 || cols < 1 || len(m) != rows*cols {
			t.Fatalf("%d×%d matrix with %d values", rows, cols, len(m))
		}
		for i, v := range m {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Fatalf("value %d is %v", i, v)
			}
		}
		again := make([][]float64, rows)
		for r := range again {
			again[r] = m[r*cols : (r+1)*cols]
		}
		b, err := json.Marshal(again)
		if err != nil {
			t.Fatal(err)
		}
		m2, rows2, cols2, err := parseMatrix("--y-pred", string(b))
		if err != nil || rows2 != rows || cols2 != cols || !slices.EqualFunc(m, m2, func(a, b float64) bool {
			return math.Float64bits(a) == math.Float64bits(b) || a == b // -0 prints as "-0" and reads back as -0
		}) {
			t.Fatalf("%s reads back as %v (%d×%d, %v), not %v", b, m2, rows2, cols2, err, m)
		}
	})
}

// FuzzParseLabels feeds arbitrary text and shapes to the parser of
// sparse_categorical_crossentropy's --y-true (corpus:
// testdata/fuzz/FuzzParseLabels). Either it refuses with a usage error, or
// it returns exactly batch labels, each a whole class index in 0..units-1.
func FuzzParseLabels(f *testing.F) {
	for _, c := range []struct {
		s            string
		batch, units uint8
	}{
		{"[1,0]", 2, 3}, {"[[1],[0]]", 2, 3}, {"[2.5]", 1, 3}, {"[-1]", 1, 3}, {"[3]", 1, 3}, {"[1e300]", 1, 3},
		{"[]", 0, 3}, {"[0]", 1, 0}, {"[[0,1]]", 1, 2}, {"x", 1, 1},
	} {
		f.Add(c.s, c.batch, c.units)
	}
	f.Fuzz(func(t *testing.T, s string, batch, units uint8) {
		labels, err := parseLabels(s, int(batch), int(units))
		if err != nil {
			var ue usageError
			if !errors.As(err, &ue) {
				t.Fatalf("refusal is not a usage error: %v", err)
			}
			return
		}
		if len(labels) != int(batch) {
			t.Fatalf("%d labels, want %d", len(labels), batch)
		}
		for i, v := range labels {
			if v != math.Trunc(v) || v < 0 || v >= float64(units) {
				t.Fatalf("label %d is %v, not a class index in 0..%d", i, v, int(units)-1)
			}
		}
	})
}
