// Package bench measures descent: whole training epochs of the tutorial
// network per backend (used by `descent bench`), prediction throughput of a
// predict.Predictor from many goroutines against PyTorch in a co-process
// (PredictSweep, TorchPeer; used by `descent bench predict`), and Go
// benchmarks of the GEMM shapes, the training step, the non-GEMM share and
// PredictInto in the test files.
//
// Machines here are small and noisy (2 vCPUs that sometimes deliver one core's
// worth), so backends are always compared inside one run, interleaved epoch
// by epoch, and reported as medians and as ratios to the pure-Go baseline.
// Results, with the command, the machine and the date, go in RESULTS.md.
package bench
