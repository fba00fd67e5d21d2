package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/descent-ml/descent/backend/registry"
	"github.com/descent-ml/descent/cli"
	"github.com/descent-ml/descent/model"
	"github.com/descent-ml/descent/predict"
	"github.com/descent-ml/descent/serve"
)

// lineWriter collects output and signals each write.
type lineWriter struct {
	mu    sync.Mutex
	buf   []byte
	wrote chan struct{}
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	w.buf = append(w.buf, p...)
	w.mu.Unlock()
	select {
	case w.wrote <- struct{}{}:
	default:
	}
	return len(p), nil
}

func (w *lineWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return string(w.buf)
}

// savedNet saves the tutorial network with weights from seed, as descent
// train would (raw 0–255 inputs, 1/255 preprocessing).
func savedNet(t *testing.T, path string, seed uint64) *model.Sequential {
	m, err := model.NewSequential(784, model.Dense(128, model.Sigmoid), model.Dense(128, model.Sigmoid), model.Dense(10, model.Softmax))
	require.NoError(t, err)
	m.Init(rand.New(rand.NewPCG(seed, 0)))
	m.Preprocessing = model.ScaleBy(255)
	require.NoError(t, m.Save(path))
	return m
}

// descent serve end to end, in process: a bounded loopback load test mixed
// with every malformed kind (0 wrong answers, 0 5xx, every malformed
// request its 4xx), a SIGHUP that reloads the file atomically, and a
// cancellation (what SIGTERM and Ctrl-C do through main's context) that
// drains and exits 0.
func TestServeEndToEnd(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "m.descent")
	m := savedNet(t, path, 1)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stdout := &lineWriter{wrote: make(chan struct{}, 1)}
	stderr := &lineWriter{wrote: make(chan struct{}, 1)}
	status := make(chan int, 1)
	go func() {
		status <- cliRun(ctx, stdout, stderr, "serve", "--model", path, "--addr", "127.0.0.1:0", "--name", "mnist")
	}()
	addr := regexp.MustCompile(`at http://([0-9.:]+)/v1/models/mnist:predict`)
	var base string
	for deadline := time.After(30 * time.Second); base == ""; {
		select {
		case <-stdout.wrote:
			if mm := addr.FindStringSubmatch(stdout.String()); mm != nil {
				base = "http://" + mm[1]
			}
		case s := <-status:
			t.Fatalf("descent serve exited with %d: %s", s, stderr.String())
		case <-deadline:
			t.Fatalf("descent serve did not start: %s %s", stdout.String(), stderr.String())
		}
	}

	// Expected answers from a Predictor of the same file.
	eng, _, err := registry.Open("auto")
	require.NoError(t, err)
	ref, err := predict.New(m, eng, predict.Options{Workers: 1})
	require.NoError(t, err)
	defer ref.Close()
	const distinct = 32
	rng := rand.New(rand.NewPCG(7, 7))
	instances, want := make([][]float32, distinct), make([][]float32, distinct)
	for i := range instances {
		instances[i] = make([]float32, 784)
		for j := range instances[i] {
			instances[i][j] = float32(rng.IntN(256))
		}
		want[i], _, err = ref.Predict(ctx, instances[i], 1)
		require.NoError(t, err)
	}
	requests := 2000
	if testing.Short() {
		requests = 600
	}
	rep, err := serve.LoadTest(ctx, base, "mnist", serve.LoadOptions{
		Requests: requests, Concurrency: 32, Instances: instances, WantProbs: want, Tolerance: 2e-6,
		RowsPerRequest: 2, MalformedFraction: 0.2,
	})
	require.NoError(t, err)
	t.Log(rep)
	assert.True(t, rep.OK(), "%s: %v", rep, rep.Problems)
	assert.Zero(t, rep.Wrong)
	assert.Zero(t, rep.Server5xx)
	assert.Zero(t, rep.MalformedNot4xx)
	assert.Equal(t, requests, rep.Requests)
	assert.Positive(t, rep.Malformed)

	statusOf := func() string {
		resp, err := http.Get(base + "/v1/models/mnist")
		require.NoError(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	assert.Contains(t, statusOf(), `"version":"1","state":"AVAILABLE"`)

	// SIGHUP reloads the file: other weights, version 2.
	m2 := savedNet(t, path, 2)
	require.NoError(t, syscall.Kill(syscall.Getpid(), syscall.SIGHUP))
	require.Eventually(t, func() bool { return regexp.MustCompile(`"version":"2"`).MatchString(statusOf()) }, 10*time.Second, 20*time.Millisecond)
	ref2, err := predict.New(m2, eng, predict.Options{Workers: 1})
	require.NoError(t, err)
	defer ref2.Close()
	want2, _, err := ref2.Predict(ctx, instances[0], 1)
	require.NoError(t, err)
	body, _ := json.Marshal(map[string]any{"instances": [][]float32{instances[0]}})
	resp, err := http.Post(base+"/v1/models/mnist:predict", "application/json", bytesReader(body))
	require.NoError(t, err)
	var got struct {
		Predictions [][]float32 `json:"predictions"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&got))
	resp.Body.Close()
	require.Len(t, got.Predictions, 1)
	assert.InDeltaSlice(t, want2, got.Predictions[0], 2e-6, "the reloaded model answers")

	cancel()
	select {
	case s := <-status:
		assert.Equal(t, 0, s, stderr.String())
	case <-time.After(15 * time.Second):
		t.Fatal("descent serve did not stop after its context ended")
	}
	assert.Contains(t, stderr.String(), "serve: stopped")
}

func TestServeRefusesBadFlags(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.descent")
	savedNet(t, path, 1)
	for _, tc := range []struct {
		args   []string
		status int
		want   string
	}{
		{[]string{"serve"}, 2, `Required flag "model"`},
		{[]string{"serve", "--model", path, "--addr", "nowhere"}, 2, "--addr"},
		{[]string{"serve", "--model", path, "--max-batch", "0"}, 2, "--max-batch"},
		{[]string{"serve", "--model", filepath.Join(t.TempDir(), "missing")}, 1, "no such file"},
		{[]string{"serve", "--model", path, "--addr", "256.1.1.1:1"}, 1, "serve:"},
	} {
		status, _, errs := run(t, tc.args...)
		assert.Equal(t, tc.status, status, "%v: %s", tc.args, errs)
		assert.Contains(t, errs, tc.want, fmt.Sprint(tc.args))
	}
}

func cliRun(ctx context.Context, stdout, stderr io.Writer, args ...string) int {
	return cli.Run(ctx, append([]string{"descent"}, args...), cli.Env{Stdout: stdout, Stderr: stderr, Getenv: os.Getenv})
}

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }
