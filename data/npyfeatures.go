package data

import (
	"archive/zip"
	"fmt"
	"strings"

	"github.com/descent-ml/descent/internal/inputfile"
)

// ReadNPYFeatures reads the features of a data set without targets from a
// NumPy .npy file of shape (N, F) or (N, d1, d2, …), by the rules of
// ReadNPY. The Table has no targets (Y nil) and is named path.
func ReadNPYFeatures(path string) (*Table, error) {
	x, err := readNPYFile(path, true)
	if err != nil {
		return nil, err
	}
	return featuresTable(path, x)
}

// ReadNPZFeatures reads the features of a data set without targets from a
// NumPy .npz file: its array x_test if it has one, else x (targets and a
// training set, if present, are not read). key is the array read. The
// entry is checked and decoded as ReadNPZ does; the Table has no targets
// (Y nil) and is named path+":"+key.
func ReadNPZFeatures(path string) (t *Table, key string, err error) {
	f, size, err := inputfile.Open(path, MaxNPZBytes)
	if err != nil {
		return nil, "", err
	}
	defer f.Close()
	zr, err := zip.NewReader(f, size)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w: not a .npz (zip) file: %v", path, ErrBadTable, err)
	}
	entries := map[string]*zip.File{}
	var keys []string
	for _, zf := range zr.File {
		k := strings.TrimSuffix(zf.Name, ".npy")
		if _, dup := entries[k]; dup {
			return nil, "", fmt.Errorf("%s: %w: array %q stored twice", path, ErrBadTable, k)
		}
		entries[k] = zf
		keys = append(keys, k)
	}
	for _, key = range []string{"x_test", "x"} {
		zf, ok := entries[key]
		if !ok {
			continue
		}
		if err := checkNPZEntry(path, zf); err != nil {
			return nil, "", err
		}
		x, err := readNPZEntry(path, zf, true)
		if err != nil {
			return nil, "", err
		}
		t, err := featuresTable(path+":"+key, x)
		return t, key, err
	}
	return nil, "", fmt.Errorf("%s: %w: it holds the arrays %s; expected x_test or x", path, ErrBadTable, quoteList(keys))
}

// featuresTable makes a Table without targets of a features array.
func featuresTable(name string, x *npyArray) (*Table, error) {
	n, f, err := featureShape(x)
	if err != nil {
		return nil, err
	}
	return &Table{Name: name, N: n, F: f, X: x.x32}, nil
}
