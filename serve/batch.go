package serve

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"time"
)

// errClosed is what a request gets once the batcher has stopped.
var errClosed = errors.New("serve: server is shutting down")

// call is one request's rows waiting for the batcher. done is buffered so
// that the batcher never blocks on a client that has gone away.
type call struct {
	ctx   context.Context
	x     []float32 // rows×in
	rows  int
	probs []float32 // rows×out, written by the batcher
	done  chan error
}

// batcher is the single goroutine per Server that gathers calls for up to
// window (or until max rows), runs them as one PredictInto, and hands each
// call its own rows of the result.
type batcher struct {
	p       Predictor
	in, out int
	window  time.Duration // < 0: take only what is already queued
	max     int
	m       *metricSet
	log     *slog.Logger

	calls chan *call    // unbuffered: a send completes only when the batcher took it
	stop  chan struct{} // closed by close
	done  chan struct{} // closed when the goroutine has flushed and exited

	xbuf, pbuf []float32 // reused for merged batches; only the batcher goroutine touches them
}

func newBatcher(p Predictor, window time.Duration, max int, m *metricSet, log *slog.Logger) *batcher {
	b := &batcher{
		p: p, in: p.Input(), out: p.Output(), window: window, max: max, m: m, log: log,
		calls: make(chan *call),
		stop:  make(chan struct{}),
		done:  make(chan struct{}),
	}
	go b.loop()
	return b
}

// predict queues rows samples x and waits until probs (rows×out) holds their
// probabilities, the context ends, or the batcher stops.
func (b *batcher) predict(ctx context.Context, x []float32, rows int, probs []float32) error {
	select {
	case <-b.stop:
		return errClosed
	default:
	}
	c := &call{ctx: ctx, x: x, rows: rows, probs: probs, done: make(chan error, 1)}
	select {
	case b.calls <- c:
	case <-ctx.Done():
		return ctx.Err()
	case <-b.done:
		return errClosed
	}
	select {
	case err := <-c.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// close stops taking calls, runs every call already handed over, and waits
// for the goroutine to exit. It is safe to call more than once.
func (b *batcher) close() {
	select {
	case <-b.stop:
	default:
		close(b.stop)
	}
	<-b.done
}

func (b *batcher) loop() {
	defer close(b.done)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	var pending *call // taken but did not fit the previous batch
	for {
		first := pending
		pending = nil
		if first == nil {
			select {
			case first = <-b.calls:
			case <-b.stop:
				b.flush()
				return
			}
		}
		batch := []*call{first}
		rows := first.rows
		// Gather more calls: until the window closes (window > 0), or while
		// some are already queued (window < 0); never past MaxBatch rows.
		if b.window != 0 && rows < b.max {
			if b.window > 0 {
				timer.Reset(b.window)
			}
		gather:
			for rows < b.max {
				var c *call
				if b.window > 0 {
					select {
					case c = <-b.calls:
					case <-timer.C:
						break gather
					}
				} else {
					select {
					case c = <-b.calls:
					default:
						break gather
					}
				}
				if rows+c.rows > b.max {
					pending = c
					break
				}
				batch = append(batch, c)
				rows += c.rows
			}
			timer.Stop()
		}
		b.run(batch)
	}
}

// flush runs whatever calls are still being handed over when the batcher
// stops. New callers see stop and do not queue, so this ends.
func (b *batcher) flush() {
	var batch []*call
	rows := 0
	for {
		select {
		case c := <-b.calls:
			if len(batch) > 0 && rows+c.rows > b.max {
				b.run(batch)
				batch, rows = nil, 0
			}
			batch = append(batch, c)
			rows += c.rows
		default:
			if len(batch) > 0 {
				b.run(batch)
			}
			return
		}
	}
}

// run makes the PredictInto calls for one batch and answers its calls.
func (b *batcher) run(batch []*call) {
	live := batch[:0]
	for _, c := range batch {
		if err := c.ctx.Err(); err != nil {
			c.done <- err // dropped: its client is gone
			continue
		}
		live = append(live, c)
	}
	switch len(live) {
	case 0:
		return
	case 1:
		// Alone (possibly larger than max): no copies, chunks of at most max rows.
		c := live[0]
		var err error
		for off := 0; off < c.rows && err == nil; off += b.max {
			n := min(b.max, c.rows-off)
			err = b.predictOnce(c.x[off*b.in:(off+n)*b.in], n, c.probs[off*b.out:(off+n)*b.out], 1)
		}
		c.done <- err
		return
	}
	rows := 0
	for _, c := range live {
		rows += c.rows
	}
	b.xbuf = grow(b.xbuf, rows*b.in)
	b.pbuf = grow(b.pbuf, rows*b.out)
	off := 0
	for _, c := range live {
		copy(b.xbuf[off*b.in:], c.x)
		off += c.rows
	}
	err := b.predictOnce(b.xbuf, rows, b.pbuf, len(live))
	off = 0
	for _, c := range live {
		if err == nil {
			copy(c.probs, b.pbuf[off*b.out:(off+c.rows)*b.out])
		}
		off += c.rows
		c.done <- err
	}
}

func grow(s []float32, n int) []float32 {
	if cap(s) < n {
		return make([]float32, n)
	}
	return s[:n]
}

// predictOnce is one PredictInto call, with a panic turned into an error.
func (b *batcher) predictOnce(x []float32, rows int, probs []float32, requests int) (err error) {
	b.m.batchRows.Observe(float64(rows))
	b.m.batchRequests.Observe(float64(requests))
	defer func() {
		if v := recover(); v != nil {
			b.m.panics.Inc()
			b.log.Error("serve: Predictor panicked", "panic", v, "rows", rows, "stack", string(debug.Stack()))
			err = fmt.Errorf("model panicked: %v", v)
		}
		if err != nil {
			b.m.predictErrors.Inc()
		}
	}()
	if in, out := b.p.Input(), b.p.Output(); in != b.in || out != b.out {
		return fmt.Errorf("the model's shape changed from %d→%d to %d→%d while serving; a reload must keep it (restart the server for a new shape)", b.in, b.out, in, out)
	}
	return b.p.PredictInto(context.Background(), x, rows, probs)
}
