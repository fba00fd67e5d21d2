//go:build linux

package main

import (
	"os/exec"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

// maxTrainRSS is issue 11's bound on the peak resident set of the default
// descent train: 120 MB. The run holds 55 MB of uint8 images and labels
// (MNIST's 70,000), the Go heap's other allocations, the binary's and the
// native libraries' mapped text (bench/RESULTS.md has the breakdown).
const maxTrainRSS = 120_000_000

// The tutorial run (one epoch: the peak is reached while the data loads
// and the first epoch trains, bench/RESULTS.md) stays under maxTrainRSS.
// It failed at 210 MB before the training images were split in place and
// gzip files decoded into one buffer.
func TestTrainPeakRSS(t *testing.T) {
	bin := buildDescent(t)
	cmd := exec.Command(bin, "train", "--quiet", "--epochs", "1")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	require.True(t, ok)
	peak := ru.Maxrss * 1024 // kilobytes on Linux
	t.Logf("peak RSS of descent train --epochs 1: %.1f MB", float64(peak)/1e6)
	require.LessOrEqual(t, peak, int64(maxTrainRSS), "peak resident set of descent train")
}
