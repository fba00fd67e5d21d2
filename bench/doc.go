// Package bench measures descent: whole training epochs of the tutorial
// network per backend (used by `descent bench`), and Go benchmarks of the
// GEMM shapes, the training step and the non-GEMM share in bench_test.go.
//
// Machines here are small and noisy (2 vCPUs that sometimes deliver one core's
// worth), so backends are always compared inside one run, interleaved epoch
// by epoch, and reported as medians and as ratios to the pure-Go baseline.
// Results, with the command, the machine and the date, go in RESULTS.md.
package bench
