package data

import (
	"bytes"
	"encoding/csv"
	"errors"
	"math"
	"strconv"
	"testing"

	"github.com/descent-ml/descent/internal/inputfile"
)

// FuzzReadCSV feeds arbitrary bytes, and a label column name, to the CSV
// reader (corpus: testdata/fuzz/FuzzReadCSV). It must never panic; a
// refusal must wrap ErrBadTable, or be an I/O error (here only the byte
// limit, which the fuzzer's small inputs never reach); an accepted table
// must Validate and, written back as CSV (its header, then each row's
// features formatted for float32 and its target for float64, shortest
// form), read again as the identical table, bit for bit.
func FuzzReadCSV(f *testing.F) {
	f.Add([]byte("sepal_length,sepal_width,label\n5.1,3.5,0\n7,3.2,1\n"), "")
	f.Add([]byte(utf8BOM+"label,x\r\n\r\n1,2\r\n-0,1e-45\r\n"), "label")
	f.Add([]byte("\"a,b\",\"q\"\"\",y\n\"1\",2.5, 3 \n"), "y")
	f.Add([]byte("a,label\n1e39,1\n"), "")
	f.Add([]byte("a,label\nnan,1\n4,5"), "")
	f.Add([]byte("a,b,label\n1,2\n"), "b")
	f.Add([]byte("a,label\n0x1p-2,1\n"), "")
	f.Fuzz(func(t *testing.T, in []byte, label string) {
		opts := CSVOptions{Label: label}
		tb, err := DecodeCSV(bytes.NewReader(in), "fuzz.csv", opts)
		if err != nil {
			if !errors.Is(err, ErrBadTable) && !errors.Is(err, inputfile.ErrTooLarge) {
				t.Fatalf("error wraps neither ErrBadTable nor an I/O error: %v", err)
			}
			if tb != nil {
				t.Fatalf("a table with an error: %v", err)
			}
			return
		}
		if err := tb.Validate(); err != nil {
			t.Fatalf("accepted table does not validate: %v", err)
		}
		if tb.Name != "fuzz.csv" || tb.FeatureNames == nil || tb.TargetName == "" {
			t.Fatalf("names not filled: %q %q %q", tb.Name, tb.FeatureNames, tb.TargetName)
		}
		if label != "" && tb.TargetName != label || label == "" && tb.TargetName != DefaultCSVLabel {
			t.Fatalf("target %q for label %q", tb.TargetName, label)
		}

		out := writeCSV(t, tb, len(in)%2 == 1)
		again, err := DecodeCSV(bytes.NewReader(out), "fuzz.csv", opts)
		if err != nil {
			t.Fatalf("written back as\n%q\nit is refused: %v", out, err)
		}
		if !identicalTables(tb, again) {
			t.Fatalf("written back as\n%q\nit reads as\n%+v\nnot\n%+v", out, again, tb)
		}
	})
}

// writeCSV writes t as a CSV file DecodeCSV reads back as t: a BOM (so a
// first name that itself starts with U+FEFF survives), the header with the
// target last, then the rows, features formatted as float32 and targets as
// float64, each in its shortest form; lines end in CRLF if crlf.
func writeCSV(tb testing.TB, t *Table, crlf bool) []byte {
	tb.Helper()
	var b bytes.Buffer
	b.WriteString(utf8BOM)
	w := csv.NewWriter(&b)
	w.UseCRLF = crlf
	row := append(append([]string(nil), t.FeatureNames...), t.TargetName)
	if err := w.Write(row); err != nil {
		tb.Fatal(err)
	}
	for i := range t.N {
		for j := range t.F {
			row[j] = strconv.FormatFloat(float64(t.X[i*t.F+j]), 'g', -1, 32)
		}
		row[t.F] = strconv.FormatFloat(t.Y[i], 'g', -1, 64)
		if err := w.Write(row); err != nil {
			tb.Fatal(err)
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

// identicalTables reports whether a and b are equal, values compared bit
// for bit (so -0 differs from 0).
func identicalTables(a, b *Table) bool {
	if a.Name != b.Name || a.N != b.N || a.F != b.F || a.TargetName != b.TargetName ||
		len(a.X) != len(b.X) || len(a.Y) != len(b.Y) || len(a.FeatureNames) != len(b.FeatureNames) {
		return false
	}
	for i := range a.X {
		if math.Float32bits(a.X[i]) != math.Float32bits(b.X[i]) {
			return false
		}
	}
	for i := range a.Y {
		if math.Float64bits(a.Y[i]) != math.Float64bits(b.Y[i]) {
			return false
		}
	}
	for i := range a.FeatureNames {
		if a.FeatureNames[i] != b.FeatureNames[i] {
			return false
		}
	}
	return true
}
