// Package gonum is the pure-Go backend: gonum's Go BLAS
// (gonum.org/v1/gonum/blas/gonum) driven by a worker pool of its own.
//
// It needs no C library and no cgo, so it is the fallback wherever native
// libraries are missing, and the baseline that every native figure in
// bench/RESULTS.md is compared with.
//
// Threads. gonum's Sgemm parallelises large products by itself, starting a
// goroutine per 64×64 block of C on every call: it allocates on every call
// and its parallelism follows GOMAXPROCS, not a setting of ours. This engine
// instead cuts C into tiles small enough that gonum runs each serially, and
// hands the tiles to a fixed pool of SetThreads(n) workers started once, so
// a step allocates nothing and the thread count is what the caller chose.
package gonum

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// Tile size of C. gonum runs a product serially when C has fewer than four
// 64×64 blocks, so a 64×192 tile (three blocks) always stays serial.
const (
	tileRows = 64
	tileCols = 192
)

// Engine is the pure-Go backend. It is safe for concurrent use: a call that
// finds the pool busy runs serially on its own goroutine.
type Engine struct {
	*pool // shared with the workers; Engine itself is what users hold
}

// New returns the pure-Go engine with one thread (no workers).
func New() *Engine {
	e := &Engine{&pool{threads: 1}}
	// Stop the workers when the Engine is dropped without Close.
	runtime.AddCleanup(e, func(p *pool) { p.stop() }, e.pool)
	return e
}

// Name returns "gonum".
func (e *Engine) Name() string { return "gonum" }

// SetThreads sets the number of goroutines that share a GEMM (n ≥ 1),
// starting or stopping workers.
func (e *Engine) SetThreads(n int) error {
	if n < 1 {
		return fmt.Errorf("gonum: threads must be ≥ 1, got %d", n)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.stopLocked()
	e.threads = n
	if n > 1 {
		e.wake = make(chan struct{})
		for range n - 1 {
			go e.worker(e.wake)
		}
	}
	return nil
}

// Threads reports the value last given to SetThreads (1 by default).
func (e *Engine) Threads() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.threads
}

// Close stops the worker goroutines; the engine then runs serially.
func (e *Engine) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.stopLocked()
	e.threads = 1
	return nil
}

// Sgemm computes C = alpha·op(A)·op(B) + beta·C with gonum's Go kernels,
// tile by tile, on the pool's threads.
func (e *Engine) Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	g := gemm{transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc}
	tiles := g.tiles()
	if tiles <= 1 || !e.mu.TryLock() {
		g.run(0, tiles) // one tile, or the pool is busy with another caller
		return
	}
	defer e.mu.Unlock()
	if e.threads == 1 {
		g.run(0, tiles)
		return
	}
	e.job, e.total = g, int64(tiles)
	e.next.Store(0)
	helpers := min(e.threads-1, tiles-1)
	e.done.Add(helpers)
	for range helpers {
		e.wake <- struct{}{}
	}
	e.work()
	e.done.Wait()
	e.job = gemm{} // drop the slices
}

// pool is the state the workers share with the Engine.
type pool struct {
	mu      sync.Mutex // held by the goroutine running a parallel GEMM
	threads int
	wake    chan struct{} // one token per helper per GEMM; closed to stop
	done    sync.WaitGroup
	job     gemm
	total   int64
	next    atomic.Int64
}

func (p *pool) worker(wake <-chan struct{}) {
	for range wake {
		p.work()
		p.done.Done()
	}
}

// work takes tiles until none are left.
func (p *pool) work() {
	for {
		i := p.next.Add(1) - 1
		if i >= p.total {
			return
		}
		p.job.run(int(i), int(i)+1)
	}
}

func (p *pool) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stopLocked()
}

func (p *pool) stopLocked() {
	if p.wake != nil {
		close(p.wake)
		p.wake = nil
	}
}

// gemm is one Sgemm call.
type gemm struct {
	transA, transB bool
	m, n, k        int
	alpha          float32
	a              []float32
	lda            int
	b              []float32
	ldb            int
	beta           float32
	c              []float32
	ldc            int
}

func (g *gemm) rowTiles() int { return (g.m + tileRows - 1) / tileRows }
func (g *gemm) colTiles() int { return (g.n + tileCols - 1) / tileCols }
func (g *gemm) tiles() int    { return g.rowTiles() * g.colTiles() }

// run computes tiles [from, to) of C: each is C[r0:r1, c0:c1] =
// alpha·op(A)[r0:r1, :]·op(B)[:, c0:c1] + beta·C[r0:r1, c0:c1].
func (g *gemm) run(from, to int) {
	var impl gonum.Implementation
	if g.m == 0 || g.n == 0 {
		return
	}
	for t := from; t < to; t++ {
		r0, c0 := (t/g.colTiles())*tileRows, (t%g.colTiles())*tileCols
		r1, c1 := min(r0+tileRows, g.m), min(c0+tileCols, g.n)
		a := g.a
		if g.k > 0 {
			if g.transA { // A is stored k×m: the rows of op(A) are columns of A
				a = a[r0:]
			} else {
				a = a[r0*g.lda:]
			}
		}
		b := g.b
		if g.k > 0 {
			if g.transB { // B is stored n×k
				b = b[c0*g.ldb:]
			} else {
				b = b[c0:]
			}
		}
		impl.Sgemm(trans(g.transA), trans(g.transB), r1-r0, c1-c0, g.k, g.alpha, a, g.lda, b, g.ldb, g.beta, g.c[r0*g.ldc+c0:], g.ldc)
	}
}

func trans(t bool) blas.Transpose {
	if t {
		return blas.Trans
	}
	return blas.NoTrans
}
