package predict

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/descent-ml/descent/backend"
	"github.com/descent-ml/descent/model"
)

// DefaultMaxBatch is the most rows one forward pass runs unless
// Options.MaxBatch says otherwise.
const DefaultMaxBatch = 256

// ErrClosed is returned by every call on a closed Predictor.
var ErrClosed = errors.New("predict: predictor closed")

// Options configures a Predictor. The zero value is the defaults.
type Options struct {
	// MaxBatch is the most rows one forward pass runs (default
	// DefaultMaxBatch); larger requests run in chunks of MaxBatch rows.
	MaxBatch int
	// Workers is the number of forward passes that may run at once, each
	// on a workspace of its own (default runtime.GOMAXPROCS(0) at New).
	Workers int
}

// Predictor runs a snapshot of a trained model on an engine. It is safe for
// concurrent use by any number of goroutines; see the package documentation
// for the snapshot, pool and plan design.
type Predictor struct {
	eng  backend.Engine
	opts Options

	cur atomic.Pointer[snapshot] // nil once closed

	mu       sync.Mutex // serialises Swap and Close
	version  int64      // the last version handed out, under mu
	retiring sync.WaitGroup
	errMu    sync.Mutex
	retErr   error // the first error closing a retired pool
}

// snapshot is one immutable model version and the pool that runs it.
type snapshot struct {
	m       *model.Sequential // a private clone: never changed
	version int64
	pool    *pool
}

// pool is the set of workspaces for one architecture; snapshots of the same
// architecture share it.
type pool struct {
	free    chan *worker
	retired chan struct{} // closed when no new request may take a worker
	workers int
	buckets []int // planned batch sizes, nil when the engine runs any
}

// worker is one workspace and its input buffers.
type worker struct {
	ws      *model.Workspace
	x       []float32 // (MaxBatch, Input): preprocessed, zero-padded rows
	y       []float32 // (MaxBatch, Output): targets, for PredictSource
	labels  []int
	idx     []int
	classes int
}

// New returns a Predictor serving a snapshot of m (m itself is not kept:
// training may go on changing it) on engine e. It makes every workspace
// and native plan the Predictor will use, so it may take a moment.
func New(m *model.Sequential, e backend.Engine, opts Options) (*Predictor, error) {
	if m == nil {
		return nil, errors.New("predict: nil model")
	}
	if e == nil {
		return nil, errors.New("predict: nil engine")
	}
	if opts.MaxBatch == 0 {
		opts.MaxBatch = DefaultMaxBatch
	}
	if opts.Workers == 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	if opts.MaxBatch < 1 || opts.Workers < 1 {
		return nil, fmt.Errorf("predict: MaxBatch and Workers must be ≥ 1, got %d and %d", opts.MaxBatch, opts.Workers)
	}
	p := &Predictor{eng: e, opts: opts}
	s, err := p.newSnapshot(m, nil)
	if err != nil {
		return nil, err
	}
	p.cur.Store(s)
	return p, nil
}

// newSnapshot clones m and gives it old's pool when the architecture is the
// same, else a new pool. Called with p.mu held (or before p is shared).
func (p *Predictor) newSnapshot(m *model.Sequential, old *snapshot) (*snapshot, error) {
	if err := m.Preprocessing.Validate(m.Input()); err != nil {
		return nil, fmt.Errorf("predict: %w", err)
	}
	c := m.Clone()
	p.version++
	s := &snapshot{m: c, version: p.version}
	if old != nil && old.m.SameArchitecture(c) {
		s.pool = old.pool
		return s, nil
	}
	pl, err := p.newPool(c)
	if err != nil {
		p.version--
		return nil, err
	}
	s.pool = pl
	return s, nil
}

func (p *Predictor) newPool(m *model.Sequential) (*pool, error) {
	n, mb := p.opts.Workers, p.opts.MaxBatch
	pl := &pool{free: make(chan *worker, n), retired: make(chan struct{}), workers: n}
	buckets := Buckets(mb)
	for i := range n {
		ws, err := m.NewInferenceWorkspace(p.eng, mb, buckets)
		if err != nil {
			pl.closeFree()
			return nil, fmt.Errorf("predict: workspace %d: %w", i, err)
		}
		pl.buckets = ws.PlannedBatches()
		pl.free <- &worker{ws: ws, x: make([]float32, mb*m.Input()), y: make([]float32, mb*m.Output()),
			labels: make([]int, mb), idx: make([]int, mb), classes: m.Output()}
	}
	return pl, nil
}

// closeFree closes the workspaces now in the free list.
func (pl *pool) closeFree() error {
	var first error
	for {
		select {
		case w := <-pl.free:
			if err := w.ws.Close(); err != nil && first == nil {
				first = err
			}
		default:
			return first
		}
	}
}

// retire stops pl from handing out workers and closes every workspace once
// the requests using them give them back, in the background.
func (p *Predictor) retire(pl *pool) {
	close(pl.retired)
	p.retiring.Add(1)
	go func() {
		defer p.retiring.Done()
		var first error
		for range pl.workers {
			w := <-pl.free
			if err := w.ws.Close(); err != nil && first == nil {
				first = err
			}
		}
		if first != nil {
			p.errMu.Lock()
			if p.retErr == nil {
				p.retErr = first
			}
			p.errMu.Unlock()
		}
	}()
}

// Swap replaces the served model with a snapshot of m, atomically: a
// request that started before runs on the old snapshot, one that starts
// after on the new; none sees a mix. m may have another architecture (even
// other input and output sizes); then Swap makes the new workspaces and
// plans before it publishes the snapshot, and the old ones are closed once
// their last request ends. It returns the new version number.
func (p *Predictor) Swap(m *model.Sequential) (int64, error) {
	if m == nil {
		return 0, errors.New("predict: Swap: nil model")
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	old := p.cur.Load()
	if old == nil {
		return 0, ErrClosed
	}
	s, err := p.newSnapshot(m, old)
	if err != nil {
		return 0, err
	}
	p.cur.Store(s)
	if s.pool != old.pool {
		p.retire(old.pool)
	}
	return s.version, nil
}

// Close releases every workspace and native plan, waiting for the requests
// in flight to finish; later calls return ErrClosed. Close the Predictor
// before its engine.
func (p *Predictor) Close() error {
	p.mu.Lock()
	s := p.cur.Swap(nil)
	if s != nil {
		p.retire(s.pool)
	}
	p.mu.Unlock()
	p.retiring.Wait()
	p.errMu.Lock()
	defer p.errMu.Unlock()
	return p.retErr
}

// Version is the version number of the served snapshot: 1 after New, one
// more after each Swap; 0 once closed.
func (p *Predictor) Version() int64 {
	if s := p.cur.Load(); s != nil {
		return s.version
	}
	return 0
}

// Input is the number of raw input features the served model takes (0 once
// closed).
func (p *Predictor) Input() int {
	if s := p.cur.Load(); s != nil {
		return s.m.Input()
	}
	return 0
}

// Output is the number of outputs per sample (classes) of the served model
// (0 once closed).
func (p *Predictor) Output() int {
	if s := p.cur.Load(); s != nil {
		return s.m.Output()
	}
	return 0
}

// Model returns a copy of the served snapshot (architecture, parameters,
// preprocessing, labels), or nil once closed.
func (p *Predictor) Model() *model.Sequential {
	if s := p.cur.Load(); s != nil {
		return s.m.Clone()
	}
	return nil
}

// acquire takes a worker from the current snapshot's pool, following Swaps
// that retire a pool while it waits.
func (p *Predictor) acquire(ctx context.Context) (*snapshot, *worker, error) {
	for {
		s := p.cur.Load()
		if s == nil {
			return nil, nil, ErrClosed
		}
		select {
		case w := <-s.pool.free:
			return s, w, nil
		case <-s.pool.retired:
			// Swapped to another architecture (or closed): look again.
		case <-ctx.Done():
			return nil, nil, fmt.Errorf("predict: waiting for a free workspace: %w", ctx.Err())
		}
	}
}

func (s *snapshot) release(w *worker) { s.pool.free <- w }

// PredictInto runs rows samples of raw features x ((rows, Input) row-major,
// in the model's raw units) through the served model and writes its
// outputs ((rows, Output), class probabilities for a softmax model) into
// out. Once warm it allocates nothing.
func (p *Predictor) PredictInto(ctx context.Context, x []float32, rows int, out []float32) error {
	if rows < 1 {
		return fmt.Errorf("predict: %d rows, want ≥ 1", rows)
	}
	s, w, err := p.acquire(ctx)
	if err != nil {
		return err
	}
	defer s.release(w)
	return s.predict(ctx, w, x, rows, out, p.opts.MaxBatch)
}

// Predict is PredictInto into a new slice, with the arg-max class of each
// row (see Argmax).
func (p *Predictor) Predict(ctx context.Context, x []float32, rows int) (outputs []float32, classes []int, err error) {
	if rows < 1 {
		return nil, nil, fmt.Errorf("predict: %d rows, want ≥ 1", rows)
	}
	s, w, err := p.acquire(ctx)
	if err != nil {
		return nil, nil, err
	}
	defer s.release(w)
	n := s.m.Output()
	outputs = make([]float32, rows*n)
	if err := s.predict(ctx, w, x, rows, outputs, p.opts.MaxBatch); err != nil {
		return nil, nil, err
	}
	classes = make([]int, rows)
	for r := range classes {
		classes[r] = Argmax(outputs[r*n : (r+1)*n])
	}
	return outputs, classes, nil
}

// predict runs the rows of x through s on w in chunks of at most mb rows.
func (s *snapshot) predict(ctx context.Context, w *worker, x []float32, rows int, out []float32, mb int) error {
	in, classes := s.m.Input(), s.m.Output()
	if len(x) < rows*in {
		return fmt.Errorf("predict: input has %d values, want %d (%d rows × %d features)", len(x), rows*in, rows, in)
	}
	if len(out) < rows*classes {
		return fmt.Errorf("predict: output buffer has %d values, want %d (%d rows × %d outputs)", len(out), rows*classes, rows, classes)
	}
	for start := 0; start < rows; start += mb {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("predict: at row %d of %d: %w", start, rows, err)
		}
		r := min(mb, rows-start)
		s.m.Preprocessing.Apply(w.x, x[start*in:], r, in)
		y, err := s.forward(w, r)
		if err != nil {
			return err
		}
		copy(out[start*classes:(start+r)*classes], y[:r*classes])
	}
	return nil
}

// forward runs the first r rows of w.x on the smallest planned bucket that
// holds them, zero-padding the rows in between.
func (s *snapshot) forward(w *worker, r int) ([]float32, error) {
	in := s.m.Input()
	b := bucketFor(s.pool.buckets, r)
	clear(w.x[r*in : b*in])
	y, err := s.m.Forward(w.ws, w.x, b)
	if err != nil {
		return nil, fmt.Errorf("predict: %w", err)
	}
	return y, nil
}

// Argmax returns the index of the largest value of row: ties go to the
// lowest index and a NaN wins over any number, as numpy.argmax (and Keras's
// accuracy) do.
func Argmax(row []float32) int {
	best := 0
	for j, v := range row {
		if v > row[best] || (v != v && row[best] == row[best]) {
			best = j
		}
	}
	return best
}
