package registry

import (
	"fmt"
	"runtime"

	"github.com/descent-ml/descent/backend"
	"github.com/descent-ml/descent/bindings/libdnnl"
	"github.com/descent-ml/descent/bindings/libopenblas"
)

// SetThreads applies a --threads setting to every native thread pool in
// the process for a run on e, and returns the thread count e's own pool
// got. The caller asks for this; nothing else in descent changes a pool.
//
// n ≥ 1 gives every pool n threads: oneDNN's OpenMP team, OpenBLAS's
// threads and e's own pool (gonum's workers). One number for all, so that
// no two pools together ask for more cores than n.
//
// n = 0 is --threads auto: e's pool gets AutoThreads(e); the native pools
// that e does not use get one thread (they stay idle, but an idle pool must
// never be a second team on the same cores).
//
// It does not touch the Go scheduler: GOMAXPROCS belongs to the program,
// not to a library (the descent command sets it with --threads itself).
func SetThreads(e backend.Engine, n int) (int, error) {
	if n < 0 {
		return 0, fmt.Errorf("threads must be ≥ 1 or 0 for auto, got %d", n)
	}
	own, others := n, n
	if n == 0 {
		own, others = AutoThreads(e), 1
	}
	// The native pools are process-wide; set the ones e does not use first.
	if libdnnl.Available() && e.Name() != "dnnl" {
		if err := libdnnl.SetThreads(others); err != nil {
			return 0, err
		}
	}
	if libopenblas.Available() && e.Name() != "openblas" {
		if err := libopenblas.SetThreads(others); err != nil {
			return 0, err
		}
	}
	if err := e.SetThreads(own); err != nil {
		return 0, fmt.Errorf("%s: %w", e.Name(), err)
	}
	return own, nil
}

// AutoThreads is the thread count --threads auto gives e's own pool:
//
//   - dnnl, openblas: 1. On the 2-vCPU machines descent is measured on, a
//     second thread speeds up the large GEMMs (1.7× for 128×784×128) but
//     not the small ones or the element-wise work, its spinning workers
//     slow the Go side of the step, and whenever another process holds a
//     core every barrier waits for it. The thread sweep (go test ./bench
//     -bench ThreadSweep, bench/RESULTS.md) has two threads on dnnl at
//     1.00–1.10× one thread's epoch time (and 4–10× in some epochs before
//     dnnl's contention guard); OpenBLAS at two threads ranged from 28%
//     faster to 58% slower between runs. Rerun the sweep on a larger
//     machine before changing the rule.
//   - gonum and anything else: runtime.NumCPU(); gonum's GEMM splits into
//     Go tiles that scale with cores, and its slowest part is the GEMM.
func AutoThreads(e backend.Engine) int {
	switch e.Name() {
	case "dnnl", "openblas":
		return 1
	}
	return runtime.NumCPU()
}
