package data

import (
	"errors"
	"fmt"
	"math"
)

// ErrBadTable is wrapped by every error about a user's data file (CSV,
// NumPy) whose content cannot be a data set: ragged rows, non-numeric or
// non-finite values, lying shapes, unsupported dtypes.
var ErrBadTable = errors.New("bad data file")

// MaxTableValues bounds the number of values (rows × features) a reader
// builds in memory: 2³⁰ float32 values, 4 GiB. A file that declares more is
// refused before anything of that size is allocated.
const MaxTableValues = 1 << 30

// Table is a data set read from a user's file, in memory: N samples of F
// features, row-major float32 as read (no preprocessing applied), and one
// target per sample, as float64 so that both class labels (whole numbers)
// and regression values are exact.
type Table struct {
	// Name identifies the data in messages (usually the file's path).
	Name string
	// X holds N×F feature values, row-major.
	X []float32
	// Y holds the N targets, or is nil for features read without targets
	// (CSVOptions.LabelOptional, ReadNPYFeatures, ReadNPZFeatures): such a
	// table is for prediction, and Validate refuses it.
	Y []float64
	// N is the number of samples, F the number of features.
	N, F int
	// FeatureNames names the F features (a CSV header), or is nil.
	FeatureNames []string
	// TargetName names the target column, or is "".
	TargetName string
}

// Validate checks the table's shape and that every value is finite.
func (t *Table) Validate() error {
	switch {
	case t.N < 1 || t.F < 1:
		return fmt.Errorf("%s: %w: %d samples of %d features", t.Name, ErrBadTable, t.N, t.F)
	case len(t.X) != t.N*t.F:
		return fmt.Errorf("%s: %w: %d feature values for %d×%d", t.Name, ErrBadTable, len(t.X), t.N, t.F)
	case len(t.Y) != t.N:
		return fmt.Errorf("%s: %w: %d targets for %d samples", t.Name, ErrBadTable, len(t.Y), t.N)
	case t.FeatureNames != nil && len(t.FeatureNames) != t.F:
		return fmt.Errorf("%s: %w: %d feature names for %d features", t.Name, ErrBadTable, len(t.FeatureNames), t.F)
	}
	for i, v := range t.X {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return fmt.Errorf("%s: %w: sample %d, feature %d is %v", t.Name, ErrBadTable, i/t.F, i%t.F, v)
		}
	}
	for i, v := range t.Y {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("%s: %w: target of sample %d is %v", t.Name, ErrBadTable, i, v)
		}
	}
	return nil
}
