package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/descent-ml/descent/checkpoint"
)

// buildDescent builds the binary once per test into a temporary folder.
func buildDescent(t *testing.T) string {
	bin := filepath.Join(t.TempDir(), "descent")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, "%s", out)
	return bin
}

// tiny is a small network on the first 600 training images: 3 epochs of
// 12 steps of 50 samples.
var tiny = []string{"train", "--hidden", "8", "--epochs", "3", "--batch-size", "50", "--val-split", "0",
	"--train-limit", "600", "--seed", "3"}

func args(extra ...string) []string { return append(append([]string(nil), tiny...), extra...) }

// runTo runs descent to the end and returns stderr.
func runTo(t *testing.T, bin string, a ...string) string {
	var errb bytes.Buffer
	cmd := exec.Command(bin, a...)
	cmd.Stderr = &errb
	require.NoError(t, cmd.Run(), "descent %s: %s", strings.Join(a, " "), errb.String())
	return errb.String()
}

// startUntil starts descent and returns once its stdout shows marker.
func startUntil(t *testing.T, bin, marker string, a ...string) (*exec.Cmd, *bytes.Buffer) {
	cmd := exec.Command(bin, a...)
	var errb bytes.Buffer
	cmd.Stderr = &errb
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	r := bufio.NewReader(out)
	for {
		line, err := r.ReadString('\n')
		if strings.Contains(line, marker) {
			break
		}
		if err != nil {
			break
		}
	}
	go io.Copy(io.Discard, r)
	return cmd, &errb
}

// SIGKILL at random moments of a run that checkpoints after every step
// never leaves a checkpoint folder that cannot be resumed, and every
// resumed run ends with the model file of the uninterrupted run, byte for
// byte (weights bit-identical).
func TestSIGKILLThenResumeIsBitExact(t *testing.T) {
	bin := buildDescent(t)
	dir := t.TempDir()
	ref := filepath.Join(dir, "ref.descent")
	start := time.Now()
	cmd, _ := startUntil(t, bin, "Epoch 1/", args("--save", ref, "--checkpoint", filepath.Join(dir, "refck"), "--checkpoint-every", "1")...)
	began := time.Since(start)
	require.NoError(t, cmd.Wait())
	runSecs := time.Since(start) - began
	want, err := os.ReadFile(ref)
	require.NoError(t, err)

	trials := 50
	if testing.Short() {
		trials = 8
	}
	var mu sync.Mutex
	var resumed, fresh, midWrite, steps int
	var wg sync.WaitGroup
	sem := make(chan struct{}, 3) // the runs wait on fsync more than on the CPU
	for i := range trials {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			ck := filepath.Join(dir, fmt.Sprintf("ck%d", i))
			out := filepath.Join(dir, fmt.Sprintf("out%d.descent", i))
			flags := []string{"--save", out, "--checkpoint", ck, "--checkpoint-every", "1"}
			cmd, _ := startUntil(t, bin, "Epoch 1/", args(flags...)...)
			time.Sleep(time.Duration(rand.Int64N(int64(runSecs)*11/10 + 1)))
			cmd.Process.Signal(syscall.SIGKILL)
			cmd.Wait()
			ents, _ := os.ReadDir(ck)
			tmp := false
			for _, e := range ents {
				tmp = tmp || strings.HasPrefix(e.Name(), ".")
			}
			c, _, err := checkpoint.Load(ck)
			if _, statErr := os.Stat(filepath.Join(ck, checkpoint.LatestFile)); statErr == nil {
				if !assert.NoError(t, err, "trial %d: the checkpoint left by SIGKILL must load", i) {
					return
				}
				runTo(t, bin, args(append(flags, "--resume", ck)...)...)
			} else {
				runTo(t, bin, args(flags...)...) // killed before the first checkpoint
			}
			got, err := os.ReadFile(out)
			if assert.NoError(t, err) {
				assert.True(t, bytes.Equal(want, got), "trial %d: the resumed run's model differs from the uninterrupted run's", i)
			}
			mu.Lock()
			defer mu.Unlock()
			if c != nil {
				resumed++
				steps += (c.Fit.Epoch-1)*c.Fit.Steps + c.Fit.Step
			} else {
				fresh++
			}
			if tmp {
				midWrite++
			}
		}()
	}
	wg.Wait()
	fmt.Printf("SIGKILL trials: %d (%d resumed from a checkpoint, mean step %.1f of 36; %d killed before the first; %d killed while a checkpoint was being written); bit-identical to the uninterrupted run: %v\n",
		trials, resumed, float64(steps)/float64(max(resumed, 1)), fresh, midWrite, !t.Failed())
}

// SIGINT and SIGTERM finish the step, write the checkpoint and --save,
// print the command that resumes and exit 130 and 143; the printed command
// finishes the run bit-identically.
func TestSignalsCheckpointAndResume(t *testing.T) {
	bin := buildDescent(t)
	dir := t.TempDir()
	ref := filepath.Join(dir, "ref.descent")
	runTo(t, bin, args("--save", ref, "--epochs", "60")...)
	want, err := os.ReadFile(ref)
	require.NoError(t, err)
	for _, tc := range []struct {
		sig    syscall.Signal
		status int
	}{{syscall.SIGINT, 130}, {syscall.SIGTERM, 143}} {
		ck := filepath.Join(dir, "ck"+tc.sig.String())
		out := filepath.Join(dir, "out"+tc.sig.String())
		cmd, errb := startUntil(t, bin, "Epoch 3/", args("--save", out, "--checkpoint", ck, "--epochs", "60")...)
		require.NoError(t, cmd.Process.Signal(tc.sig))
		err := cmd.Wait()
		var ee *exec.ExitError
		require.ErrorAs(t, err, &ee, errb.String())
		assert.Equal(t, tc.status, ee.ExitCode(), errb.String())
		assert.FileExists(t, out, "--save is written on a signal")
		m := regexp.MustCompile(`resume with:\n  descent (.*)\n`).FindStringSubmatch(errb.String())
		require.NotNil(t, m, errb.String())
		runTo(t, bin, strings.Fields(m[1])...)
		got, err := os.ReadFile(out)
		require.NoError(t, err)
		assert.True(t, bytes.Equal(want, got), "%v: the resumed run's model differs", tc.sig)
	}
}

// --resume refuses another run's checkpoint naming what differs, and a
// damaged one naming the file and the reason.
func TestResumeRefusals(t *testing.T) {
	bin := buildDescent(t)
	ck := filepath.Join(t.TempDir(), "ck")
	runTo(t, bin, args("--epochs", "1", "--checkpoint", ck)...)
	refuse := func(want string, a ...string) {
		t.Helper()
		var errb bytes.Buffer
		cmd := exec.Command(bin, a...)
		cmd.Stderr = &errb
		err := cmd.Run()
		require.Error(t, err)
		assert.Contains(t, errb.String(), want)
	}
	refuse("network: checkpoint 784→8 sigmoid→10 softmax, this run 784→9 sigmoid→10 softmax",
		append(args("--resume", ck), "--hidden", "9")...)
	refuse("optimizer: checkpoint adam, this run rmsprop", append(args("--resume", ck), "--optimizer", "rmsprop")...)
	refuse("training data (SHA-256)", append(args("--resume", ck), "--train-limit", "500")...)
	latest, err := checkpoint.Latest(ck)
	require.NoError(t, err)
	require.NoError(t, os.Truncate(filepath.Join(latest, checkpoint.ModelFile), 100))
	refuse("model.safetensors: 100 bytes, the manifest says", args("--resume", ck)...)
}
