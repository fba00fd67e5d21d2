// Package libdnnl is the thin cgo binding to descent's C layer over oneDNN v2
// (native/descent_dnnl.h; Debian's libdnnl-dev 2.6): dense-layer plans with
// fused bias and activation, their backward passes, forward-only plans for
// inference, and oneDNN's sgemm.
//
// cgo compiles native/descent_dnnl.c itself (native.c includes it) at -O3
// and links -ldnnl -lgomp: a plain `go build` needs no CMake step. cgo
// refuses -fno-math-errno in #cgo CFLAGS, so the C file sets it for GCC with
// #pragma GCC optimize; CMake passes it on the command line too.
//
// # Concurrency
//
// The package keeps no mutable state of its own but the owner thread below;
// the one process-wide setting is oneDNN's thread count (SetThreads), held
// by the C layer. Each Dense plan has its own oneDNN stream, its own
// scratchpad (every primitive uses oneDNN's user scratchpad mode, so a plan
// may run on any OS thread, not only the one that made it), its own call
// arguments and its own mutex: different plans run truly concurrently from
// different goroutines, and Sgemm is safe from any number of goroutines. A
// plan is meant for one goroutine at a time (its mutex serialises others).
//
// # Threads
//
// oneDNN's Debian build runs on OpenMP. OpenMP keeps its thread count per
// OS thread (an ICV), and every OS thread that starts a parallel region
// gets a thread team of its own. Goroutines move between OS threads, so
// calling oneDNN with N threads from whichever thread a goroutine happens
// to be on would grow one team of N−1 workers per Go thread, all spinning
// on the same cores.
//
// With the default of one thread (SetThreads(1)), no call starts a team:
// every call runs directly on the caller's OS thread, concurrently with
// calls on other plans. With more threads, each call that may start a team
// runs on a single OS thread, a goroutine locked with runtime.LockOSThread
// that serves such calls over a channel, using the plan's own call struct
// (Sgemm takes one from a sync.Pool): that thread is the only OpenMP master,
// so there is one team in the process, and those calls are serialised.
// Calls the C layer runs on one thread anyway (plans whose GEMMs are under
// 4 MFLOP, and every call while its contention guard backs off from a
// stalling team) still run directly; the C layer is told so for the call
// (descent_dnnl_single_here), so they can never start a team off the owner
// thread. The hop costs two futex wake-ups, measured at 20–35 µs per call
// on a 2-vCPU VM, against 0.05 µs for an empty direct call and 0.5 µs for
// the smallest dense forward (BenchmarkCallOverhead). TestOneOpenMPTeam
// counts the process's OS threads to check all this, with a control that
// calls the C layer directly from eight threads and grows eight OpenMP
// workers.
//
// Every C entry point puts the calling thread's OpenMP setting back as it
// found it, so descent never leaves its thread count on a thread that other
// OpenMP code in the process uses. Nothing here calls runtime.GOMAXPROCS or
// changes another library's pool.
//
// # Lifetime and errors
//
// A Context may be closed before its plans: each plan holds a reference to
// the C context, which is freed with the last of them. After Close,
// NewDense and NewDenseForward fail with ErrContextClosed; existing plans
// work until closed. Close is idempotent on both; a call on a closed plan
// returns an error. A plan whose rebuild fails (after a change of thread
// count) is broken: that call and every later one return an *Error with
// the C layer's DESCENT_EBROKEN status and the original failure's message.
// Every failure the C layer reports is an *Error; plans keep their own
// message in C, so it is read from the plan, not from a thread-local.
//
// # Pointers
//
// No Go pointer is kept by C after a call returns, so cgo's pointer rules
// hold without runtime.Pinner: slices are passed per call, bound to oneDNN
// memory objects with dnnl_memory_set_data_handle, the C layer waits for
// the plan's stream (dnnl_stream_wait) and sets every handle back to
// DNNL_MEMORY_NONE before returning. The float32 buffers contain no Go
// pointers.
//
// Without cgo (CGO_ENABLED=0) or with the build tag nodnnl, the package
// compiles to a stub whose Available reports false and whose functions return
// ErrUnavailable, so descent still builds and falls back to another backend.
package libdnnl
