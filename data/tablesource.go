package data

import (
	"context"
	"fmt"
)

// TableSource serves a Table's samples as a Source, its targets encoded as
// an Encoding says: one-hot classes, a 0/1 binary target or the regression
// values (as float32). Features are served as stored; wrap the source with
// Scaled to normalise them. It is safe for concurrent use (it is read-only).
type TableSource struct {
	t      *Table
	enc    Encoding
	labels []int // class of every sample of t (nil for a regression)
	rows   []int // the samples of t served, in order; nil: all of them
}

// TableSource is a Source.
var _ Source = (*TableSource)(nil)

// NewTableSource serves t with its targets encoded by enc (see
// NewEncoding). A target that is not one of enc's class values — a class
// the training data did not have — is refused, naming the sample.
func NewTableSource(t *Table, enc Encoding) (*TableSource, error) {
	if err := t.Validate(); err != nil {
		return nil, err
	}
	s := &TableSource{t: t, enc: enc}
	if enc.Task == TaskRegression {
		return s, nil
	}
	if enc.Classes() < 2 {
		return nil, fmt.Errorf("%s: %w: the encoding has %d classes", t.Name, ErrBadTable, enc.Classes())
	}
	s.labels = make([]int, t.N)
	for i, v := range t.Y {
		l := enc.label(v)
		if l < 0 {
			return nil, fmt.Errorf("%s: %w: the target of sample %d is %v, which is not one of the classes of the training data (%s)",
				t.Name, ErrBadTable, i, v, formatValues(enc.Values, 10))
		}
		s.labels[i] = l
	}
	return s, nil
}

// Table returns the table served.
func (s *TableSource) Table() *Table { return s.t }

// Encoding returns the target encoding.
func (s *TableSource) Encoding() Encoding { return s.enc }

// Subset returns a source of the samples idx of s, in idx order (an index
// may repeat), sharing s's table: nothing is copied. An index out of range
// is an error.
func (s *TableSource) Subset(idx []int) (*TableSource, error) {
	rows := make([]int, len(idx))
	for i, j := range idx {
		if j < 0 || j >= s.Len() {
			return nil, fmt.Errorf("%s: subset index %d out of range [0, %d)", s.t.Name, j, s.Len())
		}
		rows[i] = s.row(j)
	}
	return &TableSource{t: s.t, enc: s.enc, labels: s.labels, rows: rows}, nil
}

// row maps a sample of s to its row of the table.
func (s *TableSource) row(i int) int {
	if s.rows == nil {
		return i
	}
	return s.rows[i]
}

// Len returns the number of samples.
func (s *TableSource) Len() int {
	if s.rows == nil {
		return s.t.N
	}
	return len(s.rows)
}

// Features returns the number of features.
func (s *TableSource) Features() int { return s.t.F }

// Targets returns the width of a target row.
func (s *TableSource) Targets() int { return s.enc.Targets() }

// Classes returns the number of classes, 0 for a regression.
func (s *TableSource) Classes() int { return s.enc.Classes() }

// Batch writes the samples idx (see Source). It never fails for in-range
// indices and long enough buffers, and allocates nothing.
func (s *TableSource) Batch(_ context.Context, idx []int, x, y []float32, labels []int) error {
	f, t := s.t.F, s.Targets()
	if err := checkBuffers(len(idx), x, y, labels, f, t, s.labels != nil); err != nil {
		return fmt.Errorf("%s: %w", s.t.Name, err)
	}
	n := s.Len()
	for i, j := range idx {
		if j < 0 || j >= n {
			return fmt.Errorf("%s: batch index %d out of range [0, %d)", s.t.Name, j, n)
		}
		r := s.row(j)
		copy(x[i*f:(i+1)*f], s.t.X[r*f:(r+1)*f])
		s.enc.put(y[i*t:(i+1)*t], labels, i, s.t.Y[r], s.labels, r)
	}
	return nil
}
