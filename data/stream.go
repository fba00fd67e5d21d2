package data

import (
	"context"
	"fmt"
	"sync"
)

// StreamSource serves a data set whose features stay on disk, in a .npy
// file read a batch at a time (NPYMatrix: memory-mapped, its resident
// pages handed back as it goes), with only the targets in memory: a data
// set larger than memory trains in the memory of one batch. A CSV is
// streamed through its binary cache (CSVCache). Subsets share the file.
//
// Batch returns the read error (naming the file, sample and feature of a
// bad value) or ctx's error; it is safe for concurrent use.
type StreamSource struct {
	x      *NPYMatrix
	y      []float64 // the target of every row of the file
	enc    Encoding
	labels []int // the class of every row (nil for a regression)
	rows   []int // the rows served, in order; nil: all

	mu      sync.Mutex
	scratch []int // rows of the batch being read, guarded by mu
}

// StreamSource is a Source.
var _ Source = (*StreamSource)(nil)

// NewStreamSource serves the rows of x with the targets y (one per row),
// encoded by enc (see NewEncoding; a class value enc lacks is refused,
// naming the sample). The source does not own x: close it when done.
func NewStreamSource(x *NPYMatrix, y []float64, enc Encoding) (*StreamSource, error) {
	if len(y) != x.Rows() {
		return nil, fmt.Errorf("%s: %w: %d samples of features but %d targets", x.Name(), ErrCountMismatch, x.Rows(), len(y))
	}
	s := &StreamSource{x: x, y: y, enc: enc}
	if enc.Task == TaskRegression {
		return s, nil
	}
	s.labels = make([]int, len(y))
	for i, v := range y {
		l := enc.label(v)
		if l < 0 {
			return nil, fmt.Errorf("%s: %w: the target of sample %d is %v, which is not one of the classes (%s)",
				x.Name(), ErrBadTable, i, v, formatValues(enc.Values, 10))
		}
		s.labels[i] = l
	}
	return s, nil
}

// TargetValues returns the target values of the samples, in order (for
// all of the file's rows, s's own slice: do not change it).
func (s *StreamSource) TargetValues() []float64 {
	if s.rows == nil {
		return s.y
	}
	out := make([]float64, len(s.rows))
	for i, r := range s.rows {
		out[i] = s.y[r]
	}
	return out
}

// Subset returns a source of the samples idx of s, in idx order, sharing
// the file and the targets.
func (s *StreamSource) Subset(idx []int) (*StreamSource, error) {
	rows := make([]int, len(idx))
	for i, j := range idx {
		if j < 0 || j >= s.Len() {
			return nil, fmt.Errorf("%s: subset index %d out of range [0, %d)", s.x.Name(), j, s.Len())
		}
		rows[i] = s.row(j)
	}
	return &StreamSource{x: s.x, y: s.y, enc: s.enc, labels: s.labels, rows: rows}, nil
}

func (s *StreamSource) row(i int) int {
	if s.rows == nil {
		return i
	}
	return s.rows[i]
}

// Len returns the number of samples.
func (s *StreamSource) Len() int {
	if s.rows == nil {
		return s.x.Rows()
	}
	return len(s.rows)
}

// Features returns the number of features.
func (s *StreamSource) Features() int { return s.x.Cols() }

// Targets returns the width of a target row.
func (s *StreamSource) Targets() int { return s.enc.Targets() }

// Classes returns the number of classes, 0 for a regression.
func (s *StreamSource) Classes() int { return s.enc.Classes() }

// Batch reads the samples idx from disk (see Source). It allocates nothing
// once its index buffer has grown to the batch size.
func (s *StreamSource) Batch(ctx context.Context, idx []int, x, y []float32, labels []int) error {
	f, t := s.Features(), s.Targets()
	if err := checkBuffers(len(idx), x, y, labels, f, t, s.labels != nil); err != nil {
		return fmt.Errorf("%s: %w", s.x.Name(), err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if cap(s.scratch) < len(idx) {
		s.scratch = make([]int, len(idx))
	}
	rows := s.scratch[:len(idx)]
	n := s.Len()
	for i, j := range idx {
		if j < 0 || j >= n {
			return fmt.Errorf("%s: batch index %d out of range [0, %d)", s.x.Name(), j, n)
		}
		rows[i] = s.row(j)
	}
	if err := s.x.ReadRows(ctx, rows, x[:len(idx)*f]); err != nil {
		return err
	}
	for i, r := range rows {
		s.enc.put(y[i*t:(i+1)*t], labels, i, s.y[r], s.labels, r)
	}
	return nil
}
