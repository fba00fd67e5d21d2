// Package dnnl is the thin cgo binding to descent's C layer over oneDNN v2
// (native/descent_dnnl.h; Debian's libdnnl-dev 2.6): dense-layer plans with
// fused bias and activation, their backward passes, and oneDNN's sgemm.
//
// cgo compiles native/descent_dnnl.c itself (native.c includes it) at -O3
// and links -ldnnl -lgomp: a plain `go build` needs no CMake step. cgo
// refuses -fno-math-errno in #cgo CFLAGS, so the C file sets it for GCC with
// #pragma GCC optimize; CMake passes it on the command line too.
//
// # Threads
//
// oneDNN's Debian build runs on OpenMP. OpenMP keeps its thread count per OS
// thread, and every OS thread that starts a parallel region gets a thread
// team of its own. Goroutines move between OS threads, so calling oneDNN
// from whichever thread a goroutine happens to be on would, with N threads,
// grow one team of N−1 workers per Go thread, all spinning on the same
// cores. This package therefore serialises every native call (one mutex)
// and runs each call that may start a team on a single OS thread: a
// goroutine locked with runtime.LockOSThread that serves the calls over a
// channel. That thread is the only OpenMP master, so there is one team in
// the process.
//
// Calls that cannot start a team run directly on the caller's thread: all
// of them when the thread setting is one (the default descent picks on
// small machines), and with more threads the calls the C layer runs on one
// thread anyway (plans whose GEMMs are under 4 MFLOP, and every plan while
// the C layer's contention guard backs off from a stalling team); the C
// layer is told so for the call (descent_dnnl_single_here) and applies one
// thread to that OS thread. The hop to the locked thread costs two futex
// wake-ups, measured at 20–35 µs per call on a 2-vCPU VM, against 0.05 µs
// for an empty direct call and 0.5 µs for the smallest dense forward
// (BenchmarkCallOverhead): with about ten calls per training step, hopping
// on every call would add up to 0.15 s to a 0.37 s epoch. TestOneOpenMPTeam
// counts the process's OS threads to check all this, with a control that
// calls the C layer directly from eight threads and grows eight OpenMP
// workers.
//
// # Pointers
//
// No Go pointer is kept by C after a call returns, so cgo's pointer rules
// hold without runtime.Pinner: slices are passed per call, bound to oneDNN
// memory objects with dnnl_memory_set_data_handle, and the C layer waits for
// the stream (dnnl_stream_wait) before returning; the next call rebinds
// them. The float32 buffers contain no Go pointers.
//
// Without cgo (CGO_ENABLED=0) or with the build tag nodnnl, the package
// compiles to a stub whose Available reports false and whose functions return
// ErrUnavailable, so descent still builds and falls back to another backend.
package dnnl
