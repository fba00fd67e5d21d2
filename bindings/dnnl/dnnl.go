//go:build cgo && !nodnnl

package dnnl

/*
#cgo CFLAGS: -O3 -I${SRCDIR}/../../native
#cgo LDFLAGS: -ldnnl -lgomp
#include <stdlib.h>
#include "descent_dnnl.h"
*/
import "C"

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"unsafe"
)

// Available reports whether oneDNN is linked into this binary.
func Available() bool { return true }

// Version describes the linked oneDNN, e.g. "oneDNN v2.6.3 (CPU runtime
// OpenMP, ISA ...)".
func Version() string { return C.GoString(C.descent_dnnl_version()) }

// threads mirrors the C layer's setting.
var threads atomic.Int32

// oneDNN runs on one thread until SetThreads says otherwise (OpenMP's own
// default, the core count, would start a team on whichever thread calls).
func init() {
	C.descent_dnnl_set_threads(1)
	threads.Store(1)
}

// SetThreads sets the number of threads oneDNN uses (n ≥ 1; 1 until
// called), process-wide. Plans made earlier rebuild their primitives at
// their next call.
func SetThreads(n int) error {
	if n < 1 {
		return fmt.Errorf("dnnl: threads must be ≥ 1, got %d", n)
	}
	mu.Lock()
	defer mu.Unlock()
	req.op, req.n = opSetThreads, C.int(n)
	if err := do("set threads"); err != nil {
		return err
	}
	threads.Store(int32(n))
	return nil
}

// Threads reports the thread setting (oneDNN may run on fewer for a while:
// see Backoffs).
func Threads() int {
	mu.Lock()
	defer mu.Unlock()
	req.op = opThreads
	_ = do("threads")
	return int(req.n)
}

// Backoffs counts how many times, since the process started, the C layer's
// contention guard found oneDNN's OpenMP team losing more time to stalls
// (another process holding a core the team needs) than it drains away, and
// ran every plan on one thread for a quarter second (doubling up to 8 s
// while it keeps happening) before trying the team again
// (native/descent_dnnl.c).
func Backoffs() int64 { return int64(C.descent_dnnl_backoffs()) } // an atomic load; any thread

// ---- the one place native calls are made --------------------------------

type op int

const (
	opSetThreads op = iota
	opThreads
	opCtxCreate
	opCtxDestroy
	opSgemm
	opDenseCreate
	opDenseDestroy
	opForward
	opActBackward
	opBackward
)

// call holds one native call's arguments and results. There is one, req,
// guarded by mu: calls are serialised, so it is reused and nothing is
// allocated per call.
type call struct {
	op     op
	ctx    *C.descent_ctx
	plan   *C.descent_dense
	p      [6]*C.float // buffers, in the C function's order
	n      C.int       // threads
	dims   [6]C.long   // sgemm m, n, k, lda, ldb, ldc; dense batch, in, out, act
	ta, tb C.int
	alpha  C.float
	beta   C.float
	status C.int
	msg    string // the C layer's message, on failure only
}

var (
	mu  sync.Mutex // serialises every native call
	req call

	// The locked OS thread that runs the calls when threads > 1.
	ownerOnce sync.Once
	reqs      chan *call
	done      chan struct{}
)

// do runs req (mu held): on the locked owner thread when oneDNN may run a
// team of several threads, else directly on this goroutine's thread (locked
// for the call, so that the C layer's thread-local error message is read on
// the thread that wrote it). With several threads set, a call that will not
// use them (a small plan, or the C layer's contention guard backing off) is
// made directly too, on a thread marked so that it cannot start a team
// (descent_dnnl_single_here): the hop would only add its two futex
// wake-ups. It returns an *Error on failure.
func do(what string) error {
	switch {
	case threads.Load() <= 1:
		runtime.LockOSThread()
		exec(&req)
		runtime.UnlockOSThread()
	case teamWanted():
		ownerOnce.Do(startOwner)
		reqs <- &req
		<-done
	default:
		runtime.LockOSThread()
		C.descent_dnnl_single_here(1)
		exec(&req)
		C.descent_dnnl_single_here(0)
		runtime.UnlockOSThread()
	}
	req.p = [6]*C.float{} // keep no reference to the caller's buffers
	if req.status != C.DESCENT_OK {
		return &Error{Op: what, Status: int(req.status), Msg: req.msg}
	}
	return nil
}

// teamWanted reports whether req may start an OpenMP team: a plan's
// forward or backward whose GEMMs are big enough for one (the C layer runs
// small plans on one thread), or any other call, while the C layer's
// contention guard is not backing off.
func teamWanted() bool {
	switch req.op {
	case opForward, opActBackward, opBackward:
		return C.descent_dense_team_wanted(req.plan) != 0
	}
	return C.descent_dnnl_team_wanted() != 0
}

func startOwner() {
	reqs, done = make(chan *call), make(chan struct{})
	go func() {
		// Never unlocked: this OS thread is oneDNN's only OpenMP master
		// for the life of the process.
		runtime.LockOSThread()
		for c := range reqs {
			exec(c)
			done <- struct{}{}
		}
	}()
}

// exec makes the native call c describes, on the calling OS thread.
func exec(c *call) {
	var st C.int
	switch c.op {
	case opSetThreads:
		st = C.descent_dnnl_set_threads(c.n)
	case opThreads:
		c.n = C.descent_dnnl_threads()
	case opCtxCreate:
		st = C.descent_ctx_create(&c.ctx)
	case opCtxDestroy:
		C.descent_ctx_destroy(c.ctx)
	case opSgemm:
		st = C.descent_sgemm(c.ta, c.tb, c.dims[0], c.dims[1], c.dims[2], c.alpha,
			c.p[0], c.dims[3], c.p[1], c.dims[4], c.beta, c.p[2], c.dims[5])
	case opDenseCreate:
		st = C.descent_dense_create(c.ctx, C.int(c.dims[0]), C.int(c.dims[1]), C.int(c.dims[2]), C.int(c.dims[3]), &c.plan)
	case opDenseDestroy:
		C.descent_dense_destroy(c.plan)
	case opForward:
		st = C.descent_dense_forward(c.plan, c.p[0], c.p[1], c.p[2], c.p[3])
	case opActBackward:
		st = C.descent_dense_act_backward(c.plan, c.p[0], c.p[1])
	case opBackward:
		st = C.descent_dense_backward(c.plan, c.p[0], c.p[1], c.p[2], c.p[3], c.p[4], c.p[5])
	}
	c.status = st
	if st != C.DESCENT_OK {
		c.msg = C.GoString(C.descent_dnnl_last_error())
	}
}

// ptr is the address of s's first element for C, nil for an empty slice.
func ptr(s []float32) *C.float {
	if len(s) == 0 {
		return nil
	}
	return (*C.float)(unsafe.Pointer(unsafe.SliceData(s)))
}

// ---- context and GEMM ----------------------------------------------------

// Context is a oneDNN CPU engine and its stream.
type Context struct {
	ctx *C.descent_ctx
}

// NewContext creates a oneDNN CPU engine and stream.
func NewContext() (*Context, error) {
	mu.Lock()
	defer mu.Unlock()
	req.op = opCtxCreate
	if err := do("create context"); err != nil {
		return nil, err
	}
	c := &Context{ctx: req.ctx}
	req.ctx = nil
	return c, nil
}

// Close releases the context; its plans must be closed first.
func (c *Context) Close() error {
	mu.Lock()
	defer mu.Unlock()
	if c.ctx == nil {
		return nil
	}
	req.op, req.ctx = opCtxDestroy, c.ctx
	err := do("destroy context")
	c.ctx, req.ctx = nil, nil
	return err
}

// Sgemm computes C = alpha·op(A)·op(B) + beta·C, row-major, with oneDNN's
// dnnl_sgemm (op(A) m×k, op(B) k×n, C m×n). It checks that the slices hold
// the matrices their shapes and leading dimensions imply.
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) error {
	if m < 0 || n < 0 || k < 0 {
		return fmt.Errorf("dnnl: sgemm: negative size m=%d n=%d k=%d", m, n, k)
	}
	if m == 0 || n == 0 {
		return nil
	}
	ar, ac := m, k
	if transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	if err := checkMatrix("A", a, ar, ac, lda); err != nil {
		return err
	}
	if err := checkMatrix("B", b, br, bc, ldb); err != nil {
		return err
	}
	if err := checkMatrix("C", c, m, n, ldc); err != nil {
		return err
	}
	mu.Lock()
	defer mu.Unlock()
	req.op = opSgemm
	req.ta, req.tb = cbool(transA), cbool(transB)
	req.dims = [6]C.long{C.long(m), C.long(n), C.long(k), C.long(lda), C.long(ldb), C.long(ldc)}
	req.alpha, req.beta = C.float(alpha), C.float(beta)
	req.p = [6]*C.float{ptr(a), ptr(b), ptr(c)}
	return do("sgemm")
}

func cbool(b bool) C.int {
	if b {
		return 1
	}
	return 0
}

// checkMatrix checks that x holds a rows×cols row-major matrix with leading
// dimension ld.
func checkMatrix(name string, x []float32, rows, cols, ld int) error {
	if ld < max(1, cols) {
		return fmt.Errorf("dnnl: sgemm: ld%s = %d < %d columns", name, ld, max(1, cols))
	}
	if rows > 0 && cols > 0 && len(x) < (rows-1)*ld+cols {
		return fmt.Errorf("dnnl: sgemm: %s has %d elements, want ≥ %d (%d×%d, ld %d)", name, len(x), (rows-1)*ld+cols, rows, cols, ld)
	}
	return nil
}

// ---- dense plans ---------------------------------------------------------

// Dense is a plan for one dense layer shape: y = act(x·W + b) for batches
// of exactly Batch rows, W (In, Out) row-major, and its backward passes. Its
// primitives and memory objects are made once; calls allocate nothing. A
// plan is used by one goroutine at a time.
type Dense struct {
	plan           *C.descent_dense
	batch, in, out int
	act            Activation
	impl           string
}

// NewDense makes a plan on c.
func (c *Context) NewDense(batch, in, out int, act Activation) (*Dense, error) {
	if batch < 1 || in < 1 || out < 1 {
		return nil, fmt.Errorf("dnnl: dense plan %dx%dx%d: every size must be ≥ 1", batch, in, out)
	}
	if act < Linear || act > Softmax {
		return nil, fmt.Errorf("dnnl: dense plan: unknown activation %d", act)
	}
	mu.Lock()
	defer mu.Unlock()
	if c.ctx == nil {
		return nil, fmt.Errorf("dnnl: dense plan: context closed")
	}
	req.op, req.ctx = opDenseCreate, c.ctx
	req.dims = [6]C.long{C.long(batch), C.long(in), C.long(out), C.long(act)}
	err := do("create dense plan")
	req.ctx = nil
	if err != nil {
		return nil, err
	}
	d := &Dense{plan: req.plan, batch: batch, in: in, out: out, act: act}
	req.plan = nil
	d.impl = C.GoString(C.descent_dense_impl(d.plan))
	return d, nil
}

// Impl names the oneDNN implementations the plan runs (at its creation),
// e.g. "fwd brg:avx512_core; act_bwd jit:avx512_core; ...".
func (d *Dense) Impl() string { return d.impl }

func (d *Dense) String() string {
	return fmt.Sprintf("dnnl dense %dx%dx%d (%s)", d.batch, d.in, d.out, d.impl)
}

// check verifies the plan is open and that each buffer holds at least
// want[i] values (0: not used).
func (d *Dense) check(op string, names [6]string, bufs [6][]float32, want [6]int) error {
	if d.plan == nil {
		return fmt.Errorf("dnnl: dense %s: plan closed", op)
	}
	for i := range bufs {
		if want[i] > 0 && len(bufs[i]) < want[i] {
			return fmt.Errorf("dnnl: dense %dx%dx%d %s: %s has %d values, want ≥ %d", d.batch, d.in, d.out, op, names[i], len(bufs[i]), want[i])
		}
	}
	return nil
}

// Forward computes y = act(x·W + b).
func (d *Dense) Forward(x, w, b, y []float32) error {
	bi, io, bo := d.batch*d.in, d.in*d.out, d.batch*d.out
	if err := d.check("forward", [6]string{"x", "W", "b", "y"}, [6][]float32{x, w, b, y}, [6]int{bi, io, d.out, bo}); err != nil {
		return err
	}
	mu.Lock()
	defer mu.Unlock()
	req.op, req.plan = opForward, d.plan
	req.p = [6]*C.float{ptr(x), ptr(w), ptr(b), ptr(y)}
	return do("dense forward")
}

// ActivationBackward turns dy = ∂L/∂y into ∂L/∂z in place, from the forward
// output y.
func (d *Dense) ActivationBackward(y, dy []float32) error {
	bo := d.batch * d.out
	if err := d.check("activation backward", [6]string{"y", "dy"}, [6][]float32{y, dy}, [6]int{bo, bo}); err != nil {
		return err
	}
	mu.Lock()
	defer mu.Unlock()
	req.op, req.plan = opActBackward, d.plan
	req.p = [6]*C.float{ptr(y), ptr(dy)}
	return do("dense activation backward")
}

// Backward computes dW = xᵀ·dz, db = Σ_rows dz and, when dx is not nil,
// dx = dz·Wᵀ. dW and db are overwritten.
func (d *Dense) Backward(x, w, dz, dw, db, dx []float32) error {
	bi, io, bo := d.batch*d.in, d.in*d.out, d.batch*d.out
	want := [6]int{bi, 0, bo, io, d.out, 0}
	if dx != nil {
		want[1], want[5] = io, bi
	}
	if err := d.check("backward", [6]string{"x", "W", "dz", "dW", "db", "dx"}, [6][]float32{x, w, dz, dw, db, dx}, want); err != nil {
		return err
	}
	mu.Lock()
	defer mu.Unlock()
	req.op, req.plan = opBackward, d.plan
	req.p = [6]*C.float{ptr(x), nil, ptr(dz), ptr(dw), ptr(db), nil}
	if dx != nil {
		req.p[1], req.p[5] = ptr(w), ptr(dx)
	}
	return do("dense backward")
}

// Close releases the plan's native resources; later calls fail.
func (d *Dense) Close() error {
	mu.Lock()
	defer mu.Unlock()
	if d.plan == nil {
		return nil
	}
	req.op, req.plan = opDenseDestroy, d.plan
	err := do("destroy dense plan")
	d.plan, req.plan = nil, nil
	return err
}

// sgemmOnThisThread runs one n×n×n sgemm on the calling OS thread,
// bypassing the serialisation and the owner thread. Only TestOneOpenMPTeam
// uses it, to show what the discipline above prevents.
func sgemmOnThisThread(a, b, c []float32, n int) int {
	ln := C.long(n)
	return int(C.descent_sgemm(0, 0, ln, ln, ln, 1, ptr(a), ln, ptr(b), ln, 0, ptr(c), ln))
}

// backoff starts (or, with 0, ends) a contention-guard backoff of ns
// nanoseconds; for tests.
func backoff(ns int64) { C.descent_dnnl_backoff(C.longlong(ns)) }
