//go:build cgo && !nompi

package mpi

/*
#cgo pkg-config: ompi-c
#include <stdlib.h>
#include <mpi.h>

// The communicators the binding uses; MPI_COMM_NULL only for the tests of
// the error paths. OpenMPI's handles are macros over addresses, which cgo
// cannot name, hence the selector.
static MPI_Comm d_comm(int which) { return which == 0 ? MPI_COMM_WORLD : MPI_COMM_NULL; }

static int d_init(int required, int *provided, int *rank, int *size) {
    int rc = MPI_Init_thread(NULL, NULL, required, provided);
    if (rc != MPI_SUCCESS) return rc;
    rc = MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    if (rc != MPI_SUCCESS) return rc;
    rc = MPI_Comm_set_errhandler(MPI_COMM_SELF, MPI_ERRORS_RETURN);
    if (rc != MPI_SUCCESS) return rc;
    rc = MPI_Comm_rank(MPI_COMM_WORLD, rank);
    if (rc != MPI_SUCCESS) return rc;
    return MPI_Comm_size(MPI_COMM_WORLD, size);
}

static int d_thread_funneled(void) { return MPI_THREAD_FUNNELED; }

static int d_allreduce(int which, void *buf, int n, int f64) {
    return MPI_Allreduce(MPI_IN_PLACE, buf, n, f64 ? MPI_DOUBLE : MPI_FLOAT, MPI_SUM, d_comm(which));
}

static int d_bcast(int which, void *buf, int n, int root) {
    return MPI_Bcast(buf, n, MPI_FLOAT, root, d_comm(which));
}

static int d_barrier(int which) { return MPI_Barrier(d_comm(which)); }

static int d_abort(int code) { return MPI_Abort(MPI_COMM_WORLD, code); }

static int d_finalize(void) { return MPI_Finalize(); }

// d_error fills text (MPI_MAX_ERROR_STRING bytes) and class for code.
static void d_error(int code, char *text, int *class_) {
    int len = 0;
    text[0] = 0;
    if (MPI_Error_string(code, text, &len) != MPI_SUCCESS) text[0] = 0;
    else text[len < MPI_MAX_ERROR_STRING ? len : MPI_MAX_ERROR_STRING - 1] = 0;
    if (MPI_Error_class(code, class_) != MPI_SUCCESS) *class_ = -1;
}

static int d_max_error_string(void) { return MPI_MAX_ERROR_STRING; }
*/
import "C"

import (
	"fmt"
	"runtime"
	"sync"
	"unsafe"
)

// Available reports whether OpenMPI was linked into this binary.
func Available() bool { return true }

type commKind int

const (
	commWorld commKind = iota
	commNull           // MPI_COMM_NULL: for the tests of the error paths
)

type opKind int

const (
	opAllreduce32 opKind = iota
	opAllreduce64
	opBcast32
	opBarrier
	opAbort
	opFinalize
)

// request is one MPI call for the World's goroutine. p points into the
// caller's buffer, which stays alive (and, being heap memory, in place)
// until the reply: the caller blocks on it.
type request struct {
	op   opKind
	comm commKind
	p    unsafe.Pointer
	n    int
	root int
}

// World is MPI_COMM_WORLD of this process: made by Init, ended by
// Finalize. Its methods may be called from any goroutine; they are
// serialised and run on the World's own OS thread (see the package
// documentation).
type World struct {
	rank, size int

	mu        sync.Mutex // serialises calls: one request in flight
	finalized bool
	reqs      chan request
	reps      chan error
}

var (
	initMu   sync.Mutex
	initDone bool
)

// Init initialises MPI (MPI_Init_thread with MPI_THREAD_FUNNELED, on a
// goroutine locked to its OS thread for the World's life), sets
// MPI_ERRORS_RETURN on MPI_COMM_WORLD and reads this rank and the world's
// size. Once per process; see the package documentation for starting
// without mpirun.
func Init() (*World, error) {
	initMu.Lock()
	defer initMu.Unlock()
	if initDone {
		return nil, ErrInitialized
	}
	initDone = true
	w := &World{reqs: make(chan request), reps: make(chan error)}
	ready := make(chan error, 1)
	go w.serve(ready)
	if err := <-ready; err != nil {
		return nil, err
	}
	return w, nil
}

// serve is the World's goroutine: it owns the OS thread that initialised
// MPI and makes every MPI call. It ends after MPI_Finalize (or a failed
// start); its thread, still locked, then exits with it.
func (w *World) serve(ready chan<- error) {
	runtime.LockOSThread()
	var provided, rank, size C.int
	if rc := C.d_init(C.d_thread_funneled(), &provided, &rank, &size); rc != C.MPI_SUCCESS {
		ready <- mpiError("MPI_Init_thread", rc)
		return
	}
	if provided < C.d_thread_funneled() {
		C.d_finalize()
		ready <- fmt.Errorf("mpi: MPI_Init_thread provided thread level %d, below MPI_THREAD_FUNNELED (%d)", provided, C.d_thread_funneled())
		return
	}
	w.rank, w.size = int(rank), int(size)
	ready <- nil
	for r := range w.reqs {
		err := w.call(r)
		w.reps <- err
		if r.op == opFinalize {
			return
		}
	}
}

// call makes one MPI call on the World's thread.
func (w *World) call(r request) error {
	var rc C.int
	var name string
	switch r.op {
	case opAllreduce32, opAllreduce64:
		name = "MPI_Allreduce"
		f64 := C.int(0)
		if r.op == opAllreduce64 {
			f64 = 1
		}
		rc = C.d_allreduce(C.int(r.comm), r.p, C.int(r.n), f64)
	case opBcast32:
		name = "MPI_Bcast"
		rc = C.d_bcast(C.int(r.comm), r.p, C.int(r.n), C.int(r.root))
	case opBarrier:
		name = "MPI_Barrier"
		rc = C.d_barrier(C.int(r.comm))
	case opAbort:
		name = "MPI_Abort"
		rc = C.d_abort(C.int(r.n))
	case opFinalize:
		name = "MPI_Finalize"
		rc = C.d_finalize()
	}
	if rc != C.MPI_SUCCESS {
		return mpiError(name, rc)
	}
	return nil
}

// mpiError turns an MPI error code into an *Error (on the World's thread).
func mpiError(op string, rc C.int) error {
	buf := (*C.char)(C.malloc(C.size_t(C.d_max_error_string())))
	defer C.free(unsafe.Pointer(buf))
	var class C.int
	C.d_error(rc, buf, &class)
	return &Error{Op: op, Code: int(rc), Class: int(class), Text: C.GoString(buf)}
}

// do sends r to the World's goroutine and waits for its reply.
func (w *World) do(r request) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.finalized {
		return ErrFinalized
	}
	if r.op == opFinalize {
		w.finalized = true
	}
	w.reqs <- r
	err := <-w.reps
	if r.op == opFinalize {
		close(w.reqs)
	}
	return err
}

// Rank is this process's rank in MPI_COMM_WORLD, 0 ≤ Rank < Size.
func (w *World) Rank() int { return w.rank }

// Size is the number of processes in MPI_COMM_WORLD.
func (w *World) Size() int { return w.size }

// AllreduceSumFloat32 replaces buf, on every rank, by the element-wise sum
// of all ranks' buf (MPI_Allreduce, MPI_IN_PLACE, MPI_SUM, MPI_FLOAT). It
// is collective and blocking: every rank must call it with a buffer of the
// same length. The order of the sum is OpenMPI's (the same on every rank
// for a given size, so the ranks end bitwise equal).
func (w *World) AllreduceSumFloat32(buf []float32) error {
	if err := checkCount("MPI_Allreduce", len(buf)); err != nil {
		return err
	}
	return allreduce(w, opAllreduce32, commWorld, buf, len(buf))
}

// AllreduceSumFloat64 is AllreduceSumFloat32 for float64 (MPI_DOUBLE).
func (w *World) AllreduceSumFloat64(buf []float64) error {
	if err := checkCount("MPI_Allreduce", len(buf)); err != nil {
		return err
	}
	return allreduce(w, opAllreduce64, commWorld, buf, len(buf))
}

// BroadcastFloat32 copies root's buf into every other rank's buf
// (MPI_Bcast, MPI_FLOAT). Collective and blocking; equal lengths on every
// rank. root must be a rank of the world.
func (w *World) BroadcastFloat32(buf []float32, root int) error {
	if root < 0 || root >= w.size {
		return fmt.Errorf("mpi: MPI_Bcast: root %d is not a rank of a world of size %d", root, w.size)
	}
	return w.rawBroadcastFloat32(commWorld, buf, root)
}

// Barrier returns once every rank has called it (MPI_Barrier).
func (w *World) Barrier() error { return w.rawBarrier(commWorld) }

// Abort asks MPI to end every process of the job with the exit code code
// (MPI_Abort on MPI_COMM_WORLD): for a rank that cannot go on, so that its
// peers do not wait for it in a collective. It normally does not return.
func (w *World) Abort(code int) error { return w.do(request{op: opAbort, n: code}) }

// Finalize ends MPI in this process (MPI_Finalize, collective over the
// world). The World's goroutine and thread end with it; every later call,
// Finalize included, returns ErrFinalized, and MPI cannot be initialised
// again in this process.
func (w *World) Finalize() error { return w.do(request{op: opFinalize}) }

// The unchecked calls, on a chosen communicator and with counts and roots
// passed to MPI as they are: for the tests of MPI's own error reporting.

func (w *World) rawAllreduceFloat32(c commKind, buf []float32, n int) error {
	return allreduce(w, opAllreduce32, c, buf, n)
}

// allreduce sends op (opAllreduce32 or opAllreduce64, matching T) on c
// over buf with count n, unchecked.
func allreduce[T float32 | float64](w *World, op opKind, c commKind, buf []T, n int) error {
	var p unsafe.Pointer
	if len(buf) > 0 {
		p = unsafe.Pointer(&buf[0])
	}
	err := w.do(request{op: op, comm: c, p: p, n: n})
	runtime.KeepAlive(buf)
	return err
}

func (w *World) rawBroadcastFloat32(c commKind, buf []float32, root int) error {
	if err := checkCount("MPI_Bcast", len(buf)); err != nil {
		return err
	}
	var p unsafe.Pointer
	if len(buf) > 0 {
		p = unsafe.Pointer(&buf[0])
	}
	err := w.do(request{op: opBcast32, comm: c, p: p, n: len(buf), root: root})
	runtime.KeepAlive(buf)
	return err
}

func (w *World) rawBarrier(c commKind) error { return w.do(request{op: opBarrier, comm: c}) }
