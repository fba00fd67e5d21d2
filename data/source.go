package data

import (
	"context"
	"fmt"
)

// Source is a labelled data set that the training loop reads in batches.
//
// Samples are stored however the Source likes (package data keeps images as
// uint8 in memory, a StreamSource reads them from disk); Batch converts the
// selected samples to float32 on demand, so no float copy of the whole set
// is ever made.
//
// What the targets are follows from Targets and Classes (see TaskOf):
//
//	task            Targets   Classes   y row               labels
//	classification  K         K ≥ 2     one-hot, K values   class 0…K−1
//	binary          1         2         0 or 1              class 0 or 1
//	regression      T         0         T real values       not written
type Source interface {
	// Len is the number of samples.
	Len() int
	// Features is the length of one input vector.
	Features() int
	// Targets is the length of one target row y.
	Targets() int
	// Classes is the number of classes the labels count, or 0 for a
	// regression target, which has none.
	Classes() int
	// Batch writes the samples idx into x ((len(idx), Features) row-major,
	// float32), their targets into y ((len(idx), Targets)) and, when
	// Classes() > 0, their class labels into labels (len(idx); labels is
	// not touched, and may be nil, for regression). The buffers may be
	// longer than needed. It allocates nothing once warm. An in-memory
	// Source never fails; one that reads from disk returns the read error,
	// naming the file, or ctx's error when ctx is done.
	Batch(ctx context.Context, idx []int, x, y []float32, labels []int) error
}

// checkBuffers checks that Batch's buffers hold n samples of f features and
// t targets (and n labels when withLabels).
func checkBuffers(n int, x, y []float32, labels []int, f, t int, withLabels bool) error {
	if len(x) < n*f || len(y) < n*t || (withLabels && len(labels) < n) {
		return fmt.Errorf("batch of %d samples: buffers x=%d y=%d labels=%d too short (want %d, %d, %d)",
			n, len(x), len(y), len(labels), n*f, n*t, n)
	}
	return nil
}

// headSource serves the first n samples of another Source.
type headSource struct {
	Source
	n int
}

// Head returns a Source of the first n samples of src (all of them when n
// is not below src.Len()), sharing src.
func Head(src Source, n int) Source {
	if n >= src.Len() {
		return src
	}
	return headSource{Source: src, n: max(n, 0)}
}

// Len returns the number of samples.
func (h headSource) Len() int { return h.n }

// Batch writes the samples idx, which must be below Len.
func (h headSource) Batch(ctx context.Context, idx []int, x, y []float32, labels []int) error {
	for _, j := range idx {
		if j < 0 || j >= h.n {
			return fmt.Errorf("data: batch index %d out of range [0, %d)", j, h.n)
		}
	}
	return h.Source.Batch(ctx, idx, x, y, labels)
}

// InOrder reads every sample of src, in order, in batches of at most rows
// samples, and hands each batch to f: its first sample's index, its size
// n and the buffers Batch filled ((n, Features), (n, Targets), n labels;
// the labels are meaningful only when Classes() > 0). The buffers are
// reused from batch to batch; an error from Batch or f stops the pass.
func InOrder(ctx context.Context, src Source, rows int, f func(start, n int, x, y []float32, labels []int) error) error {
	rows = max(1, min(rows, src.Len()))
	nf, nt := src.Features(), src.Targets()
	x, y, labels, idx := make([]float32, rows*nf), make([]float32, rows*nt), make([]int, rows), make([]int, rows)
	for start := 0; start < src.Len(); start += rows {
		n := min(rows, src.Len()-start)
		for i := range idx[:n] {
			idx[i] = start + i
		}
		if err := src.Batch(ctx, idx[:n], x, y, labels); err != nil {
			return err
		}
		if err := f(start, n, x[:n*nf], y[:n*nt], labels[:n]); err != nil {
			return err
		}
	}
	return nil
}
