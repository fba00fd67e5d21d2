package train

import (
	"context"
	"fmt"

	"github.com/descent-ml/descent/data"
)

// A batch buffer: one batch's inputs, targets and labels, as loadBatch
// fills the trainer's own.
type batchBuffer struct {
	x, y   []float32
	labels []int
}

// prefetcher reads the next batch on its own goroutine while the trainer
// computes the current one (FitConfig.Prefetch): double buffering, as a
// data loader with one worker does. Exactly one read is in flight at a
// time, so the source sees the batches in the same order as without it and
// the training is bit for bit the same.
type prefetcher struct {
	src     data.Source
	bufs    [2]batchBuffer
	req     chan prefetchRequest
	done    chan error
	pending bool // a read is in flight
}

type prefetchRequest struct {
	ctx  context.Context
	idx  []int
	slot int
}

// newPrefetcher starts the reading goroutine; stop ends it. The second
// buffer is allocated on the trainer's first prefetching epoch and kept.
func (t *Trainer) newPrefetcher(src data.Source) *prefetcher {
	p := &prefetcher{src: src, req: make(chan prefetchRequest), done: make(chan error)}
	if t.spare.x == nil {
		t.spare = batchBuffer{make([]float32, len(t.x)), make([]float32, len(t.y)), make([]int, len(t.labels))}
	}
	p.bufs[0] = batchBuffer{t.x, t.y, t.labels}
	p.bufs[1] = t.spare
	go func() {
		for r := range p.req {
			b := p.bufs[r.slot]
			n := len(r.idx)
			err := p.src.Batch(r.ctx, r.idx, b.x[:n*src.Features()], b.y[:n*src.Targets()], b.labels[:n])
			if err != nil {
				err = fmt.Errorf("train: reading a batch: %w", err)
			}
			p.done <- err
		}
	}()
	return p
}

// start asks for the samples idx in buffer slot.
func (p *prefetcher) start(ctx context.Context, idx []int, slot int) {
	p.pending = true
	p.req <- prefetchRequest{ctx: ctx, idx: idx, slot: slot}
}

// wait returns when the requested batch is in its buffer, with the read's
// error.
func (p *prefetcher) wait() error {
	p.pending = false
	return <-p.done
}

// stop waits for the read in flight, if any (its buffer must not be
// reused before), and ends the goroutine.
func (p *prefetcher) stop() {
	if p.pending {
		p.wait()
	}
	close(p.req)
}
