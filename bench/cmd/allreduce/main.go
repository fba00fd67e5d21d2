// Command allreduce times, under mpirun, the collectives of one
// data-parallel training step: the in-place float32 sum allreduce of the
// tutorial network's gradient (118,282 parameters, 473 KB) and of a
// GEMM-bound network's (784→1024→1024→10, 1,863,690 parameters, 7.45 MB),
// and the 5-float64 allreduce of Fit's per-step metrics and stop flags,
// through bindings/mpi (its funnelled OS thread included). Rank 0 prints
// the median and the 10th and 90th percentiles. bench/RESULTS.md's figures
// come from
//
//	go build -o /tmp/allreduce ./bench/cmd/allreduce
//	mpirun --allow-run-as-root -np 2 /tmp/allreduce                          # shared memory
//	OMPI_MCA_btl=self,tcp mpirun --allow-run-as-root -np 2 /tmp/allreduce    # TCP loopback
package main

import (
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/descent-ml/descent/bindings/mpi"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "allreduce:", err)
		os.Exit(1)
	}
}

// timeIt returns the median, 10th and 90th percentile of reps calls of f
// after warm warm-up calls, each call after a barrier when sync is set.
func timeIt(w *mpi.World, warm, reps int, sync bool, f func() error) (med, p10, p90 time.Duration, err error) {
	ts := make([]time.Duration, 0, reps)
	for i := range warm + reps {
		if sync {
			if err := w.Barrier(); err != nil {
				return 0, 0, 0, err
			}
		}
		start := time.Now()
		if err := f(); err != nil {
			return 0, 0, 0, err
		}
		if i >= warm {
			ts = append(ts, time.Since(start))
		}
	}
	slices.Sort(ts)
	return ts[len(ts)/2], ts[len(ts)/10], ts[len(ts)*9/10], nil
}

func run() error {
	w, err := mpi.Init()
	if err != nil {
		return err
	}
	for _, n := range []int{118282, 1863690} {
		buf := make([]float32, n)
		med, p10, p90, err := timeIt(w, 10, 100, true, func() error { return w.AllreduceSumFloat32(buf) })
		if err != nil {
			return err
		}
		if w.Rank() == 0 {
			fmt.Printf("allreduce of %d float32 (%.2f MB) over %d ranks: median %v, p10 %v, p90 %v\n",
				n, float64(4*n)/1e6, w.Size(), med, p10, p90)
		}
	}
	small := make([]float64, 5)
	med, p10, p90, err := timeIt(w, 100, 2000, false, func() error { return w.AllreduceSumFloat64(small) })
	if err != nil {
		return err
	}
	if w.Rank() == 0 {
		fmt.Printf("allreduce of 5 float64 (a step's metrics and stop flags): median %v, p10 %v, p90 %v\n", med, p10, p90)
	}
	return w.Finalize()
}
