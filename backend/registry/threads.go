package registry

import (
	"fmt"
	"runtime"

	"github.com/descent-ml/descent/backend"
	"github.com/descent-ml/descent/bindings/libdnnl"
	"github.com/descent-ml/descent/bindings/libopenblas"
)

// SetThreads applies a --threads setting to every native thread pool in
// the process for a run on e whose step shape is unknown, on all of the
// machine's CPUs, and returns the thread count e's own pool got:
// SetThreadsOn with the zero Work (under auto, the rule for small
// networks) and runtime.NumCPU().
func SetThreads(e backend.Engine, n int) (int, error) {
	return SetThreadsOn(e, n, Work{}, runtime.NumCPU())
}

// SetThreadsOn applies a --threads setting to every native thread pool in
// the process for a run on e that trains steps of shape w and may use cpus
// of the machine's CPUs, and returns the thread count e's own pool got.
// The caller asks for this; nothing else in descent changes a pool.
//
// n ≥ 1 gives every pool n threads: oneDNN's OpenMP team, OpenBLAS's
// threads and e's own pool (gonum's workers). One number for all, so that
// no two pools together ask for more cores than n. w and cpus are not used.
//
// n = 0 is --threads auto: e's pool gets ThreadsFor(e.Name(), w, cpus);
// the native pools that e does not use get one thread (they stay idle, but
// an idle pool must never be a second team on the same cores). A process
// that shares the machine with others of one job (N ranks of an MPI job on
// one host) passes its share, NumCPU / N, so that the ranks' pools
// together do not ask for more cores than there are; a process alone
// passes runtime.NumCPU().
//
// It does not touch the Go scheduler: GOMAXPROCS belongs to the program,
// not to a library (the descent command sets it with --threads itself).
func SetThreadsOn(e backend.Engine, n int, w Work, cpus int) (int, error) {
	if n < 0 {
		return 0, fmt.Errorf("threads must be ≥ 1 or 0 for auto, got %d", n)
	}
	own, others := n, n
	if n == 0 {
		own, others = ThreadsFor(e.Name(), w, cpus), 1
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
// (Work.StepFLOPs) that each thread of oneDNN's pool must have before
// --threads auto gives the pool another: 2 GFLOP.
//
// It rests on BenchmarkGEMMBound (go test ./bench -run '^$' -bench
// GEMMBound -benchtime 1x -v) and on descent train epochs, run on a 2-vCPU
// Intel Xeon (KVM, AVX-512 and AMX; oneDNN 2.6.3) on 2026-12-01 while other
// processes compiled on the same VM: seven runs, each the median of 5–9
// interleaved rounds (bench/RESULTS.md, "threads for the shape"). oneDNN's
// 1024³ matmul ran at 96–152 GFLOP/s on one thread; on two, 224–243 when
// the second vCPU was free and 87–137 when other work held it. Two threads'
// step time against one thread's, dnnl:
//
//   - tutorial network (784→128→128→10, batch 128, 0.065 GFLOP a step):
//     1.05 (median of the seven; 0.68–1.27), and 1.11–1.13 for whole
//     epochs (BenchmarkThreadSweep);
//   - 0.31 to 2.45 GFLOP a step (784→256→256→10 at batch 256 to
//     784→1024→1024→10 at batch 256): 0.74–1.78, as often above 1 as below;
//   - 784→1024→1024→10 at batch 512 (4.9 GFLOP): 0.95 (0.63–0.96 with the
//     second vCPU free, 0.93–1.25 with it taken), and for whole descent
//     train epochs 0.65, 0.94 and 0.92 (medians of 6 epochs a setting).
//
// So one thread below about 2.5 GFLOP a step, and two for the 4.9 GFLOP
// network, whose worst case on two threads (1.25× one thread's time, on a
// busy machine: oneDNN's contention guard drops the team when it stalls)
// is smaller than its worst on one (1.59× two threads' time, on a quiet
// one). 2 GFLOP a thread gives that: up to 3.99 GFLOP a step one thread,
// the 4.9 GFLOP network two. On more than two cores the same work per
// thread is assumed to pay: not measured (rerun the benchmark on a larger
// machine before trusting the rule there).
//
// OpenBLAS does not follow the rule (ThreadsFor). Its steps measured the
// same way (with its SkylakeX kernels, OPENBLAS_CORETYPE) were 0.83–0.92
// of one thread's time on two threads for the 4.9 GFLOP network, but whole
// descent train epochs on a busy machine took 1.78× one thread's time
// (medians of 6 epochs a setting): its pool has no contention guard, and
// its threads wait for a descheduled vCPU at every GEMM.
const NativeFLOPsPerThread = 2e9

// ThreadsFor is the --threads auto rule: the thread count a backend's own
// pool gets for training steps of shape w on a machine with cpus CPUs.
//
//   - dnnl: one thread per NativeFLOPsPerThread of the step's GEMM work
//     (w.StepFLOPs()), at least 1 and at most cpus: 1 for the tutorial
//     network and for an unknown w (the zero Work), 2 for
//     784→1024→1024→10 at batch 512 on two CPUs or more. A small step
//     gains nothing from a team: its GEMMs are short, its element-wise
//     work and the Go side do not split, its spinning workers slow the Go
//     side, and whenever another process holds a core every barrier waits
//     for it.
//   - openblas: 1, whatever w: on a shared machine its threads cost more
//     than they gain, even for the 4.9 GFLOP network (see
//     NativeFLOPsPerThread); --threads N still gives it N.
//   - gonum and anything else: cpus, whatever w; gonum's GEMM splits into
//     Go tiles that scale with cores, and its slowest part is the GEMM.
func ThreadsFor(backendName string, w Work, cpus int) int {
	cpus = max(cpus, 1)
	switch backendName {
	case "dnnl":
		return min(max(int(w.StepFLOPs()/NativeFLOPsPerThread), 1), cpus)
	case "openblas":
		return 1
	}
	return cpus
}
