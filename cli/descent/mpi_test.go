//go:build linux

package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/descent-ml/descent/checkpoint"

	"github.com/descent-ml/descent/bindings/mpi"
)

// mpirunOrSkip returns mpirun's path and the arguments that start n ranks
// on this machine (as root too), or skips: without OpenMPI, or in -short
// mode. DESCENT_REQUIRE_MPI=1 (scripts/test.sh) makes a missing OpenMPI a
// failure.
func mpirunOrSkip(t *testing.T, n int) (string, []string) {
	t.Helper()
	if testing.Short() {
		t.Skip("skipped in -short mode: trains on MNIST under mpirun")
	}
	missing := func(why string) {
		if os.Getenv("DESCENT_REQUIRE_MPI") == "1" {
			t.Fatalf("DESCENT_REQUIRE_MPI=1 but %s", why)
		}
		t.Skipf("skipped: %s (set DESCENT_REQUIRE_MPI=1 to make this a failure)", why)
	}
	if !mpi.Available() {
		missing("OpenMPI is not linked into this build (no cgo, or -tags nompi)")
	}
	bin, err := exec.LookPath("mpirun")
	if err != nil {
		missing("mpirun is not on PATH (Debian: apt-get install openmpi-bin)")
	}
	return bin, []string{"--allow-run-as-root", "--oversubscribe", "-np", strconv.Itoa(n)}
}

// mpiHistory is what the tests read of a --history file.
type mpiHistory struct {
	History struct {
		Loss    []float64 `json:"loss"`
		ValLoss []float64 `json:"val_loss"`
	} `json:"history"`
	Config struct {
		LR float64 `json:"lr"`
	} `json:"config"`
	Distributed *struct {
		WorldSize     int      `json:"world_size"`
		WeightsSHA256 []string `json:"weights_sha256"`
	} `json:"distributed"`
}

func readMPIHistory(t *testing.T, path string) mpiHistory {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	var h mpiHistory
	require.NoError(t, json.Unmarshal(b, &h))
	return h
}

// small is a run of a few seconds: 16 global batches of 128 an epoch,
// validated on MNIST's 6000 held-out images. Adam at 0.01, so that the two
// epochs move the validation loss (2.30 at the start) by far more than the
// test's 1e-3; at Keras's 0.001 it moves 0.1 an epoch.
var small = []string{"train", "--hidden", "32", "--train-limit", "2048", "--batch-size", "128", "--seed", "7", "--optimizer", "adam", "--lr", "0.01"}

// descent train under mpirun -np 2, against the built binary:
//
//   - the two ranks end with bitwise equal weights (the history's
//     weights_sha256), and their validation loss is that of one process
//     training on the same global batches to 1e-3 (it is ~1e-9 here:
//     rank r's gradient is the mean over its 64 rows, the allreduce adds
//     the two means and halves the sum, where one process sums all 128
//     rows in its GEMM's order, so float32 rounding differs and bitwise
//     equality is not to be had);
//   - SIGTERM to one rank stops every rank at the same step, rank 0
//     writing the completed epochs, and the job exits non-zero;
//   - an error on one rank alone aborts the job, naming the rank, and
//     ranks started with different flags are refused;
//   - SIGKILL of one rank ends the job non-zero within 30 s.
func TestMpirunTrain(t *testing.T) {
	mpirun, np2 := mpirunOrSkip(t, 2)
	bin := buildDescent(t)
	dir := t.TempDir()

	exitCode := func(err error) int {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		return -1
	}

	// oneAndTwo trains small with extra as one process and as a job of two
	// ranks, and returns the two --history files (one<tag>.json and
	// two<tag>.json in dir).
	oneAndTwo := func(t *testing.T, tag string, extra ...string) (h1, h2 mpiHistory) {
		t.Helper()
		one, two := filepath.Join(dir, "one"+tag+".json"), filepath.Join(dir, "two"+tag+".json")
		a := append(append([]string(nil), small...), extra...)
		runTo(t, bin, append(a, "--history", one)...)
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		out, err := exec.CommandContext(ctx, mpirun, append(append(np2, bin), append(a, "--history", two)...)...).CombinedOutput()
		require.NoError(t, err, "%s", out)
		return readMPIHistory(t, one), readMPIHistory(t, two)
	}

	t.Run("two ranks match one process", func(t *testing.T) {
		h1, h2 := oneAndTwo(t, "", "--epochs", "2", "--quiet")
		assert.Nil(t, h1.Distributed, "a single process records no distribution")
		require.NotNil(t, h2.Distributed)
		assert.Equal(t, 2, h2.Distributed.WorldSize)
		require.Len(t, h2.Distributed.WeightsSHA256, 2)
		assert.Len(t, h2.Distributed.WeightsSHA256[0], 64)
		assert.Equal(t, h2.Distributed.WeightsSHA256[0], h2.Distributed.WeightsSHA256[1], "the ranks' final weights differ")
		require.Len(t, h2.History.ValLoss, 2)
		assert.InDeltaSlice(t, h1.History.ValLoss, h2.History.ValLoss, 1e-3)
		assert.InDeltaSlice(t, h1.History.Loss, h2.History.Loss, 1e-3)
		t.Logf("val_loss one process %v, two ranks %v", h1.History.ValLoss, h2.History.ValLoss)
	})

	// --lr auto: rank 0 runs the range test for the global batch, as one
	// process does, and every rank trains at its rate.
	t.Run("lr auto is rank 0's range test", func(t *testing.T) {
		h1, h2 := oneAndTwo(t, "-auto", "--epochs", "1", "--quiet", "--lr", "auto")
		assert.NotEqual(t, 0.01, h1.Config.LR, "the range test set the rate")
		assert.Equal(t, h1.Config.LR, h2.Config.LR, "the job's rate is one process's range test's")
		require.NotNil(t, h2.Distributed)
		assert.Equal(t, h2.Distributed.WeightsSHA256[0], h2.Distributed.WeightsSHA256[1])
		assert.InDeltaSlice(t, h1.History.ValLoss, h2.History.ValLoss, 1e-3)
		t.Logf("--lr auto: %g (one process and two ranks)", h2.Config.LR)
	})

	// An error on one rank alone (here rank 0's --history folder, which
	// the other ranks do not write) aborts the job, naming the rank.
	t.Run("an error on one rank aborts the job", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		a := append(append([]string(nil), small...), "--epochs", "2", "--history", filepath.Join(dir, "missing", "h.json"))
		out, err := exec.CommandContext(ctx, mpirun, append(append(np2, bin), a...)...).CombinedOutput()
		require.Error(t, err, "%s", out)
		assert.NotZero(t, exitCode(err))
		assert.Contains(t, string(out), "descent: rank 0 of 2: --history: folder")
		assert.Contains(t, string(out), "rank 0 of 2: aborting the MPI job")
	})

	// Ranks started with different flags (mpirun's MPMD form) are refused
	// before the first gradient allreduce, whose buffers would differ.
	t.Run("ranks started differently are refused", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		a := append(append([]string(nil), small...), "--epochs", "1", "--quiet")
		mpmd := append(append(append(append([]string{"--allow-run-as-root", "--oversubscribe", "-np", "1", bin}, a...), ":", "-np", "1", bin), a...), "--hidden", "16")
		out, err := exec.CommandContext(ctx, mpirun, mpmd...).CombinedOutput()
		require.Error(t, err, "%s", out)
		assert.NotZero(t, exitCode(err))
		assert.Contains(t, string(out), "the ranks were started differently: rank 1's parameter count differ(s) from rank 0's")
	})

	// start runs a long job whose ranks write their pids into dir and
	// returns once rank 0 has printed marker, with the ranks' pids.
	start := func(t *testing.T, tag, marker string, extra ...string) (*exec.Cmd, *bytes.Buffer, [2]int) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		t.Cleanup(cancel)
		pidFile := filepath.Join(dir, tag+".pid.")
		a := append(append(append([]string(nil), small...), "--epochs", "1000", "--verbose", "2"), extra...)
		// exec keeps the shell's pid: the pid written is descent's.
		script := `echo $$ > "` + pidFile + `$OMPI_COMM_WORLD_RANK"; exec "$0" "$@"`
		cmd := exec.CommandContext(ctx, mpirun, append(append(np2, "sh", "-c", script, bin), a...)...)
		var errb bytes.Buffer
		cmd.Stderr = &errb
		stdout, err := cmd.StdoutPipe()
		require.NoError(t, err)
		require.NoError(t, cmd.Start())
		r := bufio.NewReader(stdout)
		var seen strings.Builder
		for !strings.Contains(seen.String(), marker) {
			line, err := r.ReadString('\n')
			seen.WriteString(line)
			require.NoError(t, err, "job ended before %q; stdout:\n%s\nstderr:\n%s", marker, seen.String(), errb.String())
		}
		go func() { _, _ = io.Copy(io.Discard, r) }()
		var pids [2]int
		for rank := range 2 {
			b, err := os.ReadFile(pidFile + strconv.Itoa(rank))
			require.NoError(t, err)
			pids[rank], err = strconv.Atoi(strings.TrimSpace(string(b)))
			require.NoError(t, err)
		}
		return cmd, &errb, pids
	}
	t.Run("SIGTERM to one rank stops all", func(t *testing.T) {
		hist := filepath.Join(dir, "stopped.json")
		cmd, errb, pids := start(t, "term", "Epoch 3/", "--history", hist)
		require.NoError(t, syscall.Kill(pids[1], syscall.SIGTERM))
		err := cmd.Wait()
		require.Error(t, err, "stderr:\n%s", errb.String())
		assert.NotZero(t, exitCode(err))
		assert.Contains(t, errb.String(), "rank(s) [1] of 2 interrupted")
		h := readMPIHistory(t, hist)
		assert.GreaterOrEqual(t, len(h.History.Loss), 2, "the completed epochs are kept")
		require.NotNil(t, h.Distributed)
		require.Len(t, h.Distributed.WeightsSHA256, 2)
		assert.Equal(t, h.Distributed.WeightsSHA256[0], h.Distributed.WeightsSHA256[1], "the ranks stopped at different steps")
	})

	// SIGTERM to one rank of a job with --checkpoint: rank 0 writes the
	// checkpoint of the agreed stop (mid-epoch); the job resumed from it
	// under mpirun ends with the weights, bit for bit, of a job that ran
	// to the same epoch uninterrupted.
	t.Run("SIGTERM then resume is bit-exact", func(t *testing.T) {
		ck := filepath.Join(dir, "ck")
		cmd, errb, pids := start(t, "resume", "Epoch 3/", "--checkpoint", ck)
		require.NoError(t, syscall.Kill(pids[1], syscall.SIGTERM))
		require.Error(t, cmd.Wait(), "stderr:\n%s", errb.String())
		assert.Contains(t, errb.String(), "checkpoint "+ck, "rank 0 says where its checkpoint is")
		c, _, err := checkpoint.Load(ck)
		require.NoError(t, err, "stderr:\n%s", errb.String())
		epochs := strconv.Itoa(c.Fit.Epoch + 1) // the stopped epoch and one more
		t.Logf("stopped at epoch %d, step %d of %d; resuming to epoch %s", c.Fit.Epoch, c.Fit.Step, c.Fit.Steps, epochs)

		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		resumed, whole := filepath.Join(dir, "resumed.json"), filepath.Join(dir, "whole.json")
		a := append(append([]string(nil), small...), "--epochs", epochs, "--quiet")
		out, err := exec.CommandContext(ctx, mpirun, append(append(np2, bin), append(a, "--resume", ck, "--history", resumed)...)...).CombinedOutput()
		require.NoError(t, err, "%s", out)
		out, err = exec.CommandContext(ctx, mpirun, append(append(np2, bin), append(a, "--history", whole)...)...).CombinedOutput()
		require.NoError(t, err, "%s", out)
		hr, hw := readMPIHistory(t, resumed), readMPIHistory(t, whole)
		require.NotNil(t, hr.Distributed)
		require.NotNil(t, hw.Distributed)
		assert.Equal(t, hw.Distributed.WeightsSHA256, hr.Distributed.WeightsSHA256, "the resumed job's weights differ from the uninterrupted job's")
		assert.Equal(t, hw.History.ValLoss, hr.History.ValLoss)
	})

	t.Run("a killed rank ends the job", func(t *testing.T) {
		cmd, errb, pids := start(t, "kill", "Epoch 3/")
		killed := time.Now()
		require.NoError(t, syscall.Kill(pids[1], syscall.SIGKILL))
		err := cmd.Wait()
		took := time.Since(killed)
		require.Error(t, err, "stderr:\n%s", errb.String())
		assert.NotZero(t, exitCode(err))
		assert.Less(t, took, 30*time.Second, "the job outlived its killed rank")
		t.Logf("mpirun exited %d, %v after the SIGKILL of rank 1", exitCode(err), took.Round(time.Millisecond))
	})
}
