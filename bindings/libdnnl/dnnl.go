//go:build cgo && !nodnnl

package libdnnl

/*
#cgo CFLAGS: -O3 -I${SRCDIR}/../../native
#cgo LDFLAGS: -ldnnl -lgomp
#include <stdlib.h>
#include "descent_dnnl.h"

// The calls that may run a primitive, with the calling OS thread marked
// for their duration: single != 0 makes the C layer run them on one thread
// whatever the setting (descent_dnnl_single_here), so that no OS thread but
// the binding's owner thread ever starts an OpenMP team. Marking and
// unmarking inside the one cgo call keeps them on the same OS thread.
static int call_sgemm(int single, int ta, int tb, long m, long n, long k, float alpha,
        const float *a, long lda, const float *b, long ldb, float beta, float *c, long ldc) {
    descent_dnnl_single_here(single);
    int st = descent_sgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    descent_dnnl_single_here(0);
    return st;
}

static int call_create(int single, int forward_only, int precision, descent_ctx *ctx,
        int batch, int in, int out, int act, descent_dense **plan) {
    descent_dnnl_single_here(single);
    int st = descent_dense_create_prec(ctx, batch, in, out, act, forward_only, precision, plan);
    descent_dnnl_single_here(0);
    return st;
}

static int call_forward(int single, descent_dense *p, const float *x, const float *w,
        const float *b, float *y) {
    descent_dnnl_single_here(single);
    int st = descent_dense_forward(p, x, w, b, y);
    descent_dnnl_single_here(0);
    return st;
}

static int call_act_backward(int single, descent_dense *p, const float *y, float *dy) {
    descent_dnnl_single_here(single);
    int st = descent_dense_act_backward(p, y, dy);
    descent_dnnl_single_here(0);
    return st;
}

static int call_backward(int single, descent_dense *p, const float *x, const float *w,
        const float *dz, float *dw, float *db, float *dx, int reuse) {
    descent_dnnl_single_here(single);
    int st = descent_dense_backward_reuse(p, x, w, dz, dw, db, dx, reuse);
    descent_dnnl_single_here(0);
    return st;
}
*/
import "C"

import (
	"fmt"
	"runtime"
	"sync"
	"unsafe"
)

// Available reports whether oneDNN is linked into this binary.
func Available() bool { return true }

// Version describes the linked oneDNN, e.g. "oneDNN v2.6.3 (CPU runtime
// OpenMP, ISA ...)".
func Version() string { return C.GoString(C.descent_dnnl_version()) }

// SetThreads sets the number of threads oneDNN uses (n ≥ 1), process-wide:
// the one thread setting of this package, kept in the C layer (1 until
// called). It takes effect at each plan's next call (a plan made under
// another count rebuilds its primitives); calls already running keep the
// count they started with. It changes no other pool and not GOMAXPROCS.
func SetThreads(n int) error {
	if n < 1 {
		return fmt.Errorf("dnnl: threads must be ≥ 1, got %d", n)
	}
	runtime.LockOSThread() // the message is the calling thread's
	defer runtime.UnlockOSThread()
	if st := C.descent_dnnl_set_threads(C.int(n)); st != C.DESCENT_OK {
		return &Error{Op: "set threads", Status: int(st), Msg: C.GoString(C.descent_dnnl_last_error())}
	}
	return nil
}

// Threads reports the thread setting (oneDNN may run on fewer for a while:
// see Backoffs).
func Threads() int { return int(C.descent_dnnl_threads()) }

// Backoffs counts how many times, since the process started, the C layer's
// contention guard found oneDNN's OpenMP team losing more time to stalls
// (another process holding a core the team needs) than it drains away, and
// ran every plan on one thread for a quarter second (doubling up to 8 s
// while it keeps happening) before trying the team again
// (native/descent_dnnl.c).
func Backoffs() int64 { return int64(C.descent_dnnl_backoffs()) } // an atomic load; any thread

// ---- calls that may start an OpenMP team ---------------------------------

type op int

const (
	opSgemm op = iota
	opDenseCreate
	opForward
	opActBackward
	opBackward
)

// call holds one native call's arguments and results, for the calls that
// hop to the owner thread. Each plan has its own (a plan is used by one
// goroutine at a time, under its mutex); Sgemm takes one from callPool. So
// nothing is allocated per call and no call struct is shared.
type call struct {
	op          op
	ctx         *C.descent_ctx
	plan        *C.descent_dense
	p           [6]*C.float // buffers, in the C function's order
	dims        [6]C.long   // sgemm m, n, k, lda, ldb, ldc; dense batch, in, out, act
	ta, tb      C.int
	alpha, beta C.float
	forwardOnly C.int
	precision   C.int
	reuse       C.int // opBackward: DESCENT_REUSE_* flags
	status      C.int
	msg         string        // the C layer's message, on failure only
	done        chan struct{} // the owner thread's reply
}

func newCall() *call { return &call{done: make(chan struct{})} }

var (
	// The locked OS thread that runs every call that may start an OpenMP
	// team, when the thread setting is above one: the process's only
	// OpenMP master.
	ownerOnce sync.Once
	owner     chan *call

	callPool = sync.Pool{New: func() any { return newCall() }}
)

// do runs c. When team is true (oneDNN may run a team of several threads
// for it) it runs on the owner thread; otherwise directly on the calling
// goroutine's OS thread, marked so that the C layer runs it on one thread
// and so starts no team there, and locked for the call so that a message
// left in the C layer's thread-local buffer is read on the thread that
// wrote it. It returns an *Error on failure.
func do(c *call, team bool, what string) error {
	if team {
		ownerOnce.Do(startOwner)
		owner <- c
		<-c.done
	} else {
		runtime.LockOSThread()
		exec(c, 1)
		runtime.UnlockOSThread()
	}
	c.p = [6]*C.float{} // keep no reference to the caller's buffers
	if c.status != C.DESCENT_OK {
		err := &Error{Op: what, Status: int(c.status), Msg: c.msg}
		c.msg = ""
		return err
	}
	return nil
}

func startOwner() {
	owner = make(chan *call)
	go func() {
		// Never unlocked: this OS thread is oneDNN's only OpenMP master
		// for the life of the process.
		runtime.LockOSThread()
		for c := range owner {
			exec(c, 0)
			c.done <- struct{}{}
		}
	}()
}

// exec makes the native call c describes, on the calling OS thread, and
// reads the failure message: a plan's own, or the thread's for calls
// without a plan.
func exec(c *call, single C.int) {
	var st C.int
	switch c.op {
	case opSgemm:
		st = C.call_sgemm(single, c.ta, c.tb, c.dims[0], c.dims[1], c.dims[2], c.alpha,
			c.p[0], c.dims[3], c.p[1], c.dims[4], c.beta, c.p[2], c.dims[5])
	case opDenseCreate:
		st = C.call_create(single, c.forwardOnly, c.precision, c.ctx, C.int(c.dims[0]), C.int(c.dims[1]), C.int(c.dims[2]), C.int(c.dims[3]), &c.plan)
	case opForward:
		st = C.call_forward(single, c.plan, c.p[0], c.p[1], c.p[2], c.p[3])
	case opActBackward:
		st = C.call_act_backward(single, c.plan, c.p[0], c.p[1])
	case opBackward:
		st = C.call_backward(single, c.plan, c.p[0], c.p[1], c.p[2], c.p[3], c.p[4], c.p[5], c.reuse)
	}
	c.status = st
	if st == C.DESCENT_OK {
		return
	}
	if c.op == opForward || c.op == opActBackward || c.op == opBackward {
		c.msg = C.GoString(C.descent_dense_error(c.plan))
	} else {
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

// Context is a oneDNN CPU engine, shared by the plans made on it. It is
// safe for concurrent use. It may be closed before its plans: they keep
// working (each holds a reference to the engine, which is freed with the
// last of them) until they are closed, and no new plan can be made.
type Context struct {
	mu  sync.RWMutex // write-held by Close; read-held while a plan is made
	ctx *C.descent_ctx
}

// NewContext creates a oneDNN CPU engine.
func NewContext() (*Context, error) {
	c := &Context{}
	runtime.LockOSThread() // the message is the calling thread's
	defer runtime.UnlockOSThread()
	if st := C.descent_ctx_create(&c.ctx); st != C.DESCENT_OK {
		return nil, &Error{Op: "create context", Status: int(st), Msg: C.GoString(C.descent_dnnl_last_error())}
	}
	return c, nil
}

// Close releases the caller's hold on the engine; plans made on c keep it
// until they are closed. Closing twice does nothing.
func (c *Context) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ctx != nil {
		C.descent_ctx_destroy(c.ctx)
		c.ctx = nil
	}
	return nil
}

// Sgemm computes C = alpha·op(A)·op(B) + beta·C, row-major, with oneDNN's
// dnnl_sgemm (op(A) m×k, op(B) k×n, C m×n). It checks that the slices hold
// the matrices their shapes and leading dimensions imply. It is safe for
// concurrent use; a warm call allocates nothing.
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
	cl := callPool.Get().(*call)
	defer callPool.Put(cl)
	cl.op = opSgemm
	cl.ta, cl.tb = cbool(transA), cbool(transB)
	cl.dims = [6]C.long{C.long(m), C.long(n), C.long(k), C.long(lda), C.long(ldb), C.long(ldc)}
	cl.alpha, cl.beta = C.float(alpha), C.float(beta)
	cl.p = [6]*C.float{ptr(a), ptr(b), ptr(c)}
	return do(cl, C.descent_dnnl_team_wanted() != 0, "sgemm")
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
// of exactly Batch rows, W (In, Out) row-major, and (unless made with
// NewDenseForward) its backward passes. Its primitives, memory objects,
// scratchpad and stream are its own and made once; calls allocate nothing.
// A plan is meant for one goroutine at a time (its mutex makes other use
// safe, but serial); different plans run concurrently on any goroutines.
type Dense struct {
	mu             sync.Mutex // held for every call
	plan           *C.descent_dense
	c              call // this plan's call struct
	batch, in, out int
	act            Activation
	forwardOnly    bool
	prec           Precision
	impl           string
	// The addresses of the x and W of the last successful Forward (0
	// after any other call), for BackwardAfterForward: numbers only, never
	// dereferenced or given to C.
	fwdX, fwdW uintptr
}

// NewDense makes a plan on c with forward and backward passes. It fails
// with ErrContextClosed once c is closed.
func (c *Context) NewDense(batch, in, out int, act Activation) (*Dense, error) {
	return c.newDense(batch, in, out, act, false, F32)
}

// NewDensePrecision is NewDense (forwardOnly false) or NewDenseForward
// (true) at a precision. Every buffer stays float32; a BF16 plan's GEMMs
// read bfloat16 copies of x, W and dz that it makes per call (see
// Precision). A BF16 plan fails where oneDNN has no bf16 kernels
// (BF16Supported false).
func (c *Context) NewDensePrecision(batch, in, out int, act Activation, forwardOnly bool, p Precision) (*Dense, error) {
	if p != F32 && p != BF16 {
		return nil, fmt.Errorf("dnnl: dense plan: unknown precision %d", p)
	}
	return c.newDense(batch, in, out, act, forwardOnly, p)
}

// BF16Supported reports whether oneDNN's effective ISA (the CPU's, capped by
// ONEDNN_MAX_CPU_ISA) has native bf16 kernels: AVX512-BF16 or AMX.
func BF16Supported() bool { return C.descent_dnnl_bf16_isa() != 0 }

// NewDenseForward makes a forward-only plan on c, for inference: the
// forward primitives only, no backward primitives or memory for them. Its
// ActivationBackward and Backward return an error.
func (c *Context) NewDenseForward(batch, in, out int, act Activation) (*Dense, error) {
	return c.newDense(batch, in, out, act, true, F32)
}

func (c *Context) newDense(batch, in, out int, act Activation, forwardOnly bool, prec Precision) (*Dense, error) {
	kind := "dense plan"
	if forwardOnly {
		kind = "forward-only dense plan"
	}
	if batch < 1 || in < 1 || out < 1 {
		return nil, fmt.Errorf("dnnl: %s %dx%dx%d: every size must be ≥ 1", kind, batch, in, out)
	}
	if act < Linear || act > Softmax {
		return nil, fmt.Errorf("dnnl: %s: unknown activation %d", kind, act)
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.ctx == nil {
		return nil, fmt.Errorf("dnnl: %s %dx%dx%d: %w", kind, batch, in, out, ErrContextClosed)
	}
	d := &Dense{batch: batch, in: in, out: out, act: act, forwardOnly: forwardOnly, prec: prec}
	d.c.done = make(chan struct{})
	d.c.op, d.c.ctx, d.c.forwardOnly, d.c.precision = opDenseCreate, c.ctx, cbool(forwardOnly), C.int(prec)
	d.c.dims = [6]C.long{C.long(batch), C.long(in), C.long(out), C.long(act)}
	err := do(&d.c, C.descent_dnnl_team_wanted() != 0, "create "+kind)
	d.plan, d.c.plan, d.c.ctx = d.c.plan, nil, nil
	if err != nil {
		return nil, err
	}
	d.impl = C.GoString(C.descent_dense_impl(d.plan))
	return d, nil
}

// Impl names the oneDNN implementations the plan runs (at its creation),
// e.g. "fwd brg:avx512_core; act_bwd jit:avx512_core; ...".
func (d *Dense) Impl() string { return d.impl }

// String describes the plan: its shape, whether it is forward-only, and
// its kernels.
func (d *Dense) String() string {
	kind := ""
	if d.forwardOnly {
		kind = " forward-only"
	}
	if d.prec != F32 {
		kind += " " + d.prec.String()
	}
	return fmt.Sprintf("dnnl dense %dx%dx%d%s (%s)", d.batch, d.in, d.out, kind, d.impl)
}

// start locks the plan and checks that it is open and that each buffer
// holds at least want[i] values (0: not used); on success the caller runs
// the call and unlocks.
func (d *Dense) start(op string, names [6]string, bufs [6][]float32, want [6]int) error {
	d.mu.Lock()
	if d.plan == nil {
		d.mu.Unlock()
		return fmt.Errorf("dnnl: dense %s: plan closed", op)
	}
	for i := range bufs {
		if want[i] > 0 && len(bufs[i]) < want[i] {
			d.mu.Unlock()
			return fmt.Errorf("dnnl: dense %dx%dx%d %s: %s has %d values, want ≥ %d", d.batch, d.in, d.out, op, names[i], len(bufs[i]), want[i])
		}
	}
	return nil
}

// run makes the plan's call (d.mu held, released here). It forgets the
// last Forward's x and W (see BackwardAfterForward), and a successful
// forward records its own.
func (d *Dense) run(o op, what string, p [6]*C.float) error {
	defer d.mu.Unlock()
	d.c.op, d.c.plan, d.c.p = o, d.plan, p
	if o != opActBackward {
		// Activation backward leaves the bf16 copies alone (in place on
		// dy; it reads y): the model calls it between a layer's forward
		// and backward.
		d.fwdX, d.fwdW = 0, 0
	}
	err := do(&d.c, C.descent_dense_team_wanted(d.plan) != 0, what)
	d.c.plan, d.c.reuse = nil, 0
	if err == nil && o == opForward {
		d.fwdX, d.fwdW = uintptr(unsafe.Pointer(p[0])), uintptr(unsafe.Pointer(p[1]))
	}
	return err
}

// Forward computes y = act(x·W + b), overwriting y.
func (d *Dense) Forward(x, w, b, y []float32) error {
	bi, io, bo := d.batch*d.in, d.in*d.out, d.batch*d.out
	if err := d.start("forward", [6]string{"x", "W", "b", "y"}, [6][]float32{x, w, b, y}, [6]int{bi, io, d.out, bo}); err != nil {
		return err
	}
	return d.run(opForward, "dense forward", [6]*C.float{ptr(x), ptr(w), ptr(b), ptr(y)})
}

// addr is the address of s's first element as a number (0 for an empty
// slice).
func addr(s []float32) uintptr { return uintptr(unsafe.Pointer(ptr(s))) }

// ActivationBackward turns dy = ∂L/∂y into ∂L/∂z in place, from the forward
// output y.
func (d *Dense) ActivationBackward(y, dy []float32) error {
	bo := d.batch * d.out
	if err := d.start("activation backward", [6]string{"y", "dy"}, [6][]float32{y, dy}, [6]int{bo, bo}); err != nil {
		return err
	}
	return d.run(opActBackward, "dense activation backward", [6]*C.float{ptr(y), ptr(dy)})
}

// Backward computes dW = xᵀ·dz, db = Σ_rows dz and, when dx is not nil,
// dx = dz·Wᵀ. dW, db and dx are overwritten.
func (d *Dense) Backward(x, w, dz, dw, db, dx []float32) error {
	return d.backward(x, w, dz, dw, db, dx, false)
}

// BackwardAfterForward is Backward for a caller that vouches that the
// contents of x and w are what the plan's last Forward read (for model:
// the same forward pass's input and weights; the optimizer has not run).
// A BF16 plan then skips converting them to bf16 again and uses the copies
// that Forward made, where x and w are the very slices Forward got (their
// first elements' addresses); otherwise, and for F32 plans, it is Backward.
// The results are bit-identical to Backward's whenever the caller's vouch
// holds.
func (d *Dense) BackwardAfterForward(x, w, dz, dw, db, dx []float32) error {
	return d.backward(x, w, dz, dw, db, dx, true)
}

func (d *Dense) backward(x, w, dz, dw, db, dx []float32, afterForward bool) error {
	bi, io, bo := d.batch*d.in, d.in*d.out, d.batch*d.out
	want := [6]int{bi, 0, bo, io, d.out, 0}
	if dx != nil {
		want[1], want[5] = io, bi
	}
	if err := d.start("backward", [6]string{"x", "W", "dz", "dW", "db", "dx"}, [6][]float32{x, w, dz, dw, db, dx}, want); err != nil {
		return err
	}
	p := [6]*C.float{ptr(x), nil, ptr(dz), ptr(dw), ptr(db), nil}
	if dx != nil {
		p[1], p[5] = ptr(w), ptr(dx)
	}
	d.c.reuse = 0
	if afterForward && d.fwdX != 0 {
		if addr(x) == d.fwdX {
			d.c.reuse |= C.DESCENT_REUSE_X
		}
		if dx != nil && addr(w) == d.fwdW {
			d.c.reuse |= C.DESCENT_REUSE_W
		}
	}
	return d.run(opBackward, "dense backward", p)
}

// Close releases the plan's native resources (and its hold on the
// context's engine); later calls fail. Closing twice does nothing.
func (d *Dense) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.plan != nil {
		C.descent_dense_destroy(d.plan)
		d.plan = nil
	}
	return nil
}

// ---- test hooks (used by this package's tests only) ----------------------

// sgemmOnThisThread runs one n×n×n sgemm on the calling OS thread,
// bypassing the owner thread and the single-thread mark. Only
// TestOneOpenMPTeam uses it, to show what the discipline above prevents.
func sgemmOnThisThread(a, b, c []float32, n int) int {
	ln := C.long(n)
	return int(C.descent_sgemm(0, 0, ln, ln, ln, 1, ptr(a), ln, ptr(b), ln, 0, ptr(c), ln))
}

// backoff starts (or, with 0, ends) a contention-guard backoff of ns
// nanoseconds.
func backoff(ns int64) { C.descent_dnnl_backoff(C.longlong(ns)) }

// failNextBuilds makes the plan's next n (re)builds fail
// (descent_dense_fail_next_builds).
func (d *Dense) failNextBuilds(n int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	C.descent_dense_fail_next_builds(d.plan, C.int(n))
}

// boundBuffers counts the plan's memory objects that point at a buffer
// (descent_dense_bound_buffers): 0 between calls.
func (d *Dense) boundBuffers() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return int(C.descent_dense_bound_buffers(d.plan))
}

// scratchpadBytes is the size of the plan's own scratchpad.
func (d *Dense) scratchpadBytes() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return int(C.descent_dense_scratchpad_size(d.plan))
}

// toBF16 rounds src to bf16 into dst (len(dst) ≥ len(src)) with the C
// layer's AVX512-BF16 kernel (vector) or its scalar reference
// (descent_dnnl_to_bf16).
func toBF16(dst []uint16, src []float32, vector bool) error {
	if len(src) == 0 {
		return nil
	}
	if len(dst) < len(src) {
		return fmt.Errorf("dnnl: to_bf16: dst has %d values, want ≥ %d", len(dst), len(src))
	}
	runtime.LockOSThread() // the message is the calling thread's
	defer runtime.UnlockOSThread()
	if st := C.descent_dnnl_to_bf16((*C.uint16_t)(unsafe.Pointer(&dst[0])), ptr(src), C.size_t(len(src)), cbool(vector)); st != C.DESCENT_OK {
		return &Error{Op: "to_bf16", Status: int(st), Msg: C.GoString(C.descent_dnnl_last_error())}
	}
	return nil
}
