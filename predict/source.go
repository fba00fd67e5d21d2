package predict

import (
	"context"
	"fmt"

	"github.com/descent-ml/descent/data"
)

// Batch is one batch of PredictSource: samples Start … Start+Rows−1 of the
// source, the model's outputs for them and the source's targets. The slices
// are the Predictor's own, valid only during the callback.
type Batch struct {
	Start, Rows int
	Outputs     []float32 // (Rows, Output)
	Targets     []float32 // (Rows, Targets): the source's targets
	Labels      []int     // (Rows): the source's labels; nil for a regression (Classes 0)
}

// PredictSource runs every sample of src, in order and in batches of at
// most MaxBatch rows, through the served model on one workspace, and hands
// each batch to f; an error from f stops it and is returned. A data.Source
// yields features already preprocessed (package data scales its images), so
// the model's Preprocessing is not applied again. It is what evaluation
// uses (train.Evaluate); all batches see the same snapshot.
func (p *Predictor) PredictSource(ctx context.Context, src data.Source, f func(Batch) error) error {
	s, w, err := p.acquire(ctx)
	if err != nil {
		return err
	}
	defer s.release(w)
	in, out := s.m.Input(), s.m.Output()
	switch {
	case src == nil:
		return fmt.Errorf("predict: no data")
	case src.Features() != in:
		return fmt.Errorf("predict: the data has %d features per sample, the model takes %d", src.Features(), in)
	case src.Targets() != out:
		return fmt.Errorf("predict: the data has %d targets per sample, the model outputs %d", src.Targets(), out)
	}
	withLabels := src.Classes() > 0
	n, mb := src.Len(), p.opts.MaxBatch
	for start := 0; start < n; start += mb {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("predict: interrupted at sample %d of %d: %w", start, n, err)
		}
		r := min(mb, n-start)
		idx := w.idx[:r]
		for i := range idx {
			idx[i] = start + i
		}
		if err := src.Batch(ctx, idx, w.x[:r*in], w.y[:r*out], w.labels[:r]); err != nil {
			return fmt.Errorf("predict: reading samples %d–%d: %w", start, start+r-1, err)
		}
		y, err := s.forward(w, r)
		if err != nil {
			return err
		}
		var labels []int
		if withLabels {
			labels = w.labels[:r]
		}
		if err := f(Batch{Start: start, Rows: r, Outputs: y[:r*out], Targets: w.y[:r*out], Labels: labels}); err != nil {
			return err
		}
	}
	return nil
}
