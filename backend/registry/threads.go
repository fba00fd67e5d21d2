package registry

import (
	"fmt"
	"runtime"

	"github.com/descent-ml/descent/backend"
	"github.com/descent-ml/descent/bindings/libdnnl"
	"github.com/descent-ml/descent/bindings/libopenblas"
)

// SetThreads applies a --threads setting to every native thread pool in
// the process for a run on e whose step shape is unknown, and returns the
// thread count e's own pool got: SetThreadsFor with the zero Work (under
// auto, the rule for small networks).
func SetThreads(e backend.Engine, n int) (int, error) { return SetThreadsFor(e, n, Work{}) }

// SetThreadsFor applies a --threads setting to every native thread pool in
// the process for a run on e that trains steps of shape w, and returns the
// thread count e's own pool got. The caller asks for this; nothing else in
// descent changes a pool.
//
// n ≥ 1 gives every pool n threads: oneDNN's OpenMP team, OpenBLAS's
// threads and e's own pool (gonum's workers). One number for all, so that
// no two pools together ask for more cores than n. w is not used.
//
// n = 0 is --threads auto: e's pool gets AutoThreads(e, w); the native pools
// that e does not use get one thread (they stay idle, but an idle pool must
// never be a second team on the same cores).
//
// It does not touch the Go scheduler: GOMAXPROCS belongs to the program,
// not to a library (the descent command sets it with --threads itself).
func SetThreadsFor(e backend.Engine, n int, w Work) (int, error) {
	if n < 0 {
		return 0, fmt.Errorf("threads must be ≥ 1 or 0 for auto, got %d", n)
	}
	own, others := n, n
	if n == 0 {
		own, others = AutoThreads(e, w), 1
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

// AutoThreads is the thread count --threads auto gives e's own pool for
// training steps of shape w on this machine: ThreadsFor(e.Name(), w,
// runtime.NumCPU()).
func AutoThreads(e backend.Engine, w Work) int {
	return ThreadsFor(e.Name(), w, runtime.NumCPU())
}

// NativeFLOPsPerThread is the GEMM work of one training step
// (Work.StepFLOPs) that each thread of a native backend's pool must have
// before --threads auto gives the pool another: 2 GFLOP.
//
// It rests on BenchmarkGEMMBound (go test ./bench -run '^$' -bench
// GEMMBound -benchtime 1x -v; bench/RESULTS.md, 2026-12-01/02) on a 2-vCPU
// Intel Xeon (KVM, AVX-512, AMX; oneDNN 2.6.3), medians of interleaved
// rounds on a machine shared with other work. oneDNN's 1024³ matmul runs at
// 137 GFLOP/s on one thread and 243 on two (1.77×), but a training step
// scales much less, because its small GEMMs, element-wise work, batch
// gather and Adam gain little or nothing from a team, and every parallel
// region waits at its barrier for a descheduled vCPU:
//
//   - the tutorial network (784→128→128→10, batch 128, 0.065 GFLOP a
//     step) is 5–13% slower on two threads than on one, on dnnl and on
//     openblas;
//   - 0.3 to 2.4 GFLOP a step (784→256→256→10 to 784→1024→1024→10 at
//     batch 256) is within ±10% either way, from run to run;
//   - 784→1024→1024→10 at batch 512 (4.9 GFLOP) is 4–37% faster on two
//     threads (dnnl; openblas 17%).
//
// So a second thread is worth it from somewhere above 2.4 GFLOP a step,
// and 2 GFLOP a thread puts the 4.9 GFLOP network on two threads and
// everything up to 3.99 GFLOP on one. On more cores the same work per
// thread is assumed to pay: not measured here (rerun the benchmark on a
// larger machine before trusting the rule beyond two threads).
const NativeFLOPsPerThread = 2e9

// ThreadsFor is the --threads auto rule: the thread count a backend's own
// pool gets for training steps of shape w on a machine with cpus CPUs.
//
//   - dnnl, openblas: one thread per NativeFLOPsPerThread of the step's
//     GEMM work (w.StepFLOPs()), at least 1 and at most cpus: 1 for the
//     tutorial network and for an unknown w (the zero Work), cpus ≥ 2
//     threads for 784→1024→1024→10 at batch 512 on two CPUs or more. A
//     small step gains nothing from a team: its GEMMs are short, its
//     element-wise work and the Go side do not split, its spinning
//     workers slow the Go side, and whenever another process holds a
//     core every barrier waits for it.
//   - gonum and anything else: cpus, whatever w; gonum's GEMM splits into
//     Go tiles that scale with cores, and its slowest part is the GEMM.
func ThreadsFor(backendName string, w Work, cpus int) int {
	cpus = max(cpus, 1)
	switch backendName {
	case "dnnl", "openblas":
		return min(max(int(w.StepFLOPs()/NativeFLOPsPerThread), 1), cpus)
	}
	return cpus
}
