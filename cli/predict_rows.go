package cli

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/descent-ml/descent/data"
)

// rowsSource is where descent predict reads its input from: Len rows of
// Features raw feature values each (in the model's raw units: no
// preprocessing applied), read in order a batch at a time. It is all the
// command knows of its input, so that a reader that does not hold the
// whole file in memory (a memory-mapped .npy) replaces openRows alone.
type rowsSource interface {
	Len() int
	Features() int
	// Read copies rows start … start+n−1 into dst ((n, Features)
	// row-major, len(dst) ≥ n·Features).
	Read(ctx context.Context, start, n int, dst []float32) error
	// Close releases what the source holds (a mapping, a file).
	Close() error
}

// Input kinds descent predict reads, by --data's extension.
const (
	inputCSV = ".csv"
	inputNPY = ".npy"
	inputNPZ = ".npz"
)

// inputKind returns --data's kind from its extension (any case), or a
// usage error.
func inputKind(path string) (string, error) {
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case inputCSV, inputNPY, inputNPZ:
		return ext, nil
	}
	return "", usagef("--data %s: the input must be a .csv, .npy or .npz file", path)
}

// openRows opens the input rows at path, of the given kind (inputKind). A
// CSV's label column, when it has one, is left out of the features; which
// array of a .npz is read (x_test, else x) and which CSV column is left
// out are said on stderr. features says where the features came from, for
// a message about their count.
func openRows(path, kind, label string, stderr io.Writer) (src rowsSource, features string, err error) {
	var t *data.Table
	switch kind {
	case inputCSV:
		t, err = data.ReadCSV(path, data.CSVOptions{Label: label, LabelOptional: true})
		switch {
		case err != nil:
		case t.TargetName != "":
			fmt.Fprintf(stderr, "descent predict: %s: column %q (--label) is not a feature: left out\n", path, t.TargetName)
			features = fmt.Sprintf("every column but %q (--label)", t.TargetName)
		default:
			features = fmt.Sprintf("there is no column %q (--label), so every column is a feature", label)
		}
	case inputNPY:
		// Memory-mapped: a .npy larger than memory predicts in the
		// memory of one batch. What cannot be mapped (Fortran order) is
		// read whole, by the reader whose errors are the reference.
		features = "the product of the array's dimensions after the first"
		if m, merr := data.OpenNPYMatrix(path); merr == nil {
			return &mappedRows{m: m}, features, nil
		}
		t, err = data.ReadNPYFeatures(path)
	case inputNPZ:
		var key string
		t, key, err = data.ReadNPZFeatures(path)
		if err == nil {
			fmt.Fprintf(stderr, "descent predict: %s: predicting its array %s\n", path, key)
			features = "array " + key + ": the product of its dimensions after the first"
		}
	default:
		return nil, "", fmt.Errorf("descent predict: unknown input kind %q", kind)
	}
	if err != nil {
		return nil, "", err
	}
	return memoryRows{t}, features, nil
}

// memoryRows is a rowsSource over a Table read in memory.
type memoryRows struct{ t *data.Table }

func (r memoryRows) Len() int      { return r.t.N }
func (r memoryRows) Features() int { return r.t.F }
func (r memoryRows) Close() error  { return nil }

func (r memoryRows) Read(ctx context.Context, start, n int, dst []float32) error {
	if start < 0 || n < 0 || start+n > r.t.N {
		return fmt.Errorf("%s: rows %d to %d of %d", r.t.Name, start, start+n, r.t.N)
	}
	f := r.t.F
	copy(dst[:n*f], r.t.X[start*f:(start+n)*f])
	return nil
}

// mappedRows is a rowsSource over a memory-mapped .npy; idx is the row
// list of the last Read, reused.
type mappedRows struct {
	m   *data.NPYMatrix
	idx []int
}

func (r *mappedRows) Len() int      { return r.m.Rows() }
func (r *mappedRows) Features() int { return r.m.Cols() }
func (r *mappedRows) Close() error  { return r.m.Close() }

func (r *mappedRows) Read(ctx context.Context, start, n int, dst []float32) error {
	if start < 0 || n < 0 || start+n > r.m.Rows() {
		return fmt.Errorf("%s: rows %d to %d of %d", r.m.Name(), start, start+n, r.m.Rows())
	}
	if cap(r.idx) < n {
		r.idx = make([]int, n)
	}
	idx := r.idx[:n]
	for i := range idx {
		idx[i] = start + i
	}
	return r.m.ReadRows(ctx, idx, dst[:n*r.m.Cols()])
}
