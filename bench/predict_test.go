package bench_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/descent-ml/descent/backend/registry"
	"github.com/descent-ml/descent/bench"
	"github.com/descent-ml/descent/predict"
)

// The harness end to end on the pure-Go backend, for a few milliseconds:
// sane numbers and the table's columns. No timing assertions: speed targets
// belong in benchmarks.
func TestPredictSweepGonum(t *testing.T) {
	e, _, err := registry.Open("gonum")
	require.NoError(t, err)
	rep, err := bench.PredictSweep(context.Background(), bench.PredictSweepConfig{
		Engines:    []bench.PredictEngine{{Engine: e}},
		Goroutines: []int{2}, Batches: []int{1}, Rounds: 2, Duration: 20 * time.Millisecond, Seed: 1,
	})
	require.NoError(t, err)
	require.Len(t, rep.Rows, 1)
	r := rep.Rows[0]
	assert.Equal(t, "gonum", r.System)
	assert.Equal(t, 2, r.Goroutines)
	assert.Equal(t, 1, r.Batch)
	assert.Len(t, r.Rounds, 2)
	assert.Greater(t, r.SamplesPerSec, 0.0)
	assert.Greater(t, r.P50, time.Duration(0))
	assert.GreaterOrEqual(t, r.P99, r.P50)

	var sb strings.Builder
	require.NoError(t, rep.WriteTable(&sb))
	lines := strings.Split(strings.TrimSpace(sb.String()), "\n")
	require.Len(t, lines, 3)
	assert.Equal(t, bench.PredictTableHeader, lines[0])
	cols := strings.Split(strings.Trim(lines[2], "|"), "|")
	require.Len(t, cols, 8, lines[2])
	assert.Contains(t, cols[0], "gonum")
	assert.Equal(t, "2", strings.TrimSpace(cols[1]))
	assert.Equal(t, "1", strings.TrimSpace(cols[2]))
	assert.Equal(t, "-", strings.TrimSpace(cols[5]), "no PyTorch peer, no ratio")
}

// A fixed request count runs exactly that many requests, spread over the
// goroutines, and every answer lands in the goroutine's own buffer.
func TestPredictThroughputRequests(t *testing.T) {
	e, _, err := registry.Open("gonum")
	require.NoError(t, err)
	m, err := bench.TutorialModel(1)
	require.NoError(t, err)
	p, err := predict.New(m, e, predict.Options{MaxBatch: 8, Workers: 2})
	require.NoError(t, err)
	defer p.Close()
	r, err := bench.PredictThroughput(context.Background(), p, bench.PredictConfig{Goroutines: 3, Batch: 5, Requests: 17, Warmup: -1})
	require.NoError(t, err)
	assert.Equal(t, 17, r.Requests)
	assert.Greater(t, r.SamplesPerSec, 0.0)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = bench.PredictThroughput(ctx, p, bench.PredictConfig{Goroutines: 2, Batch: 1, Duration: time.Second, Warmup: -1})
	assert.ErrorIs(t, err, context.Canceled)
}

// torchPeer starts the PyTorch peer or skips, loudly: set
// DESCENT_REQUIRE_TORCH=1 to make a missing python3/torch a failure.
func torchPeer(t *testing.T) *bench.TorchPeer {
	script, err := bench.FindTorchScript()
	require.NoError(t, err)
	p, err := bench.StartTorchPeer(context.Background(), script, nil)
	if errors.Is(err, bench.ErrNoTorch) {
		msg := fmt.Sprintf("PYTORCH PEER NOT TESTED: %v", err)
		if os.Getenv("DESCENT_REQUIRE_TORCH") == "1" {
			t.Fatal(msg)
		}
		t.Log(strings.Repeat("!", 72))
		t.Skip(msg + " (DESCENT_REQUIRE_TORCH=1 makes this a failure)")
	}
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, p.Close()) })
	return p
}

// The co-process protocol: hello, measurements at set and default threads,
// an error answer that leaves the peer working, and a sweep with the peer.
func TestTorchPeerProtocol(t *testing.T) {
	p := torchPeer(t)
	info := p.Info()
	t.Logf("peer: torch %s (%s), %s, %s, default threads %d", info.Version, info.Python, info.Config, info.BLAS, info.DefaultThreads)
	assert.NotEmpty(t, info.Version)
	assert.GreaterOrEqual(t, info.DefaultThreads, 1)

	r, err := p.Measure(context.Background(), 4, 1, 20*time.Millisecond)
	require.NoError(t, err)
	assert.Greater(t, r.SamplesPerSec, 0.0)
	assert.Greater(t, r.Requests, 0)
	assert.Equal(t, 1, r.Threads)
	assert.GreaterOrEqual(t, r.P99ms, r.P50ms)

	r, err = p.Measure(context.Background(), 1, 0, 20*time.Millisecond)
	require.NoError(t, err)
	assert.Equal(t, info.DefaultThreads, r.Threads, "threads 0 restores the defaults")

	_, err = p.Measure(context.Background(), 1, -1, 20*time.Millisecond)
	assert.ErrorContains(t, err, "torch peer", "torch.set_num_threads(-1) answers an error")
	_, err = p.Measure(context.Background(), 1, 1, 10*time.Millisecond)
	require.NoError(t, err, "the peer survives a bad command")

	e, _, err := registry.Open("gonum")
	require.NoError(t, err)
	rep, err := bench.PredictSweep(context.Background(), bench.PredictSweepConfig{
		Engines:    []bench.PredictEngine{{Engine: e}},
		Goroutines: []int{1}, Batches: []int{2}, Rounds: 1, Duration: 10 * time.Millisecond,
		Peer: p, PeerThreads: []int{1, 0},
	})
	require.NoError(t, err)
	require.Len(t, rep.Rows, 3)
	assert.Equal(t, "pytorch", rep.Rows[1].System)
	var sb strings.Builder
	require.NoError(t, rep.WriteTable(&sb))
	assert.Contains(t, sb.String(), "| pytorch (1 thread, OpenBLAS")
	assert.Contains(t, sb.String(), "| 1.00 |", "PyTorch at one thread is its own reference")
}

// BenchmarkPredict times PredictInto from GOMAXPROCS goroutines (set with
// -cpu) on one Predictor per backend, for 1- and 256-row requests of raw
// pixels, and reports samples/s. Run with:
//
//	go test ./bench -run '^$' -bench Predict -cpu 1,2
func BenchmarkPredict(b *testing.B) {
	m, err := bench.TutorialModel(1)
	if err != nil {
		b.Fatal(err)
	}
	for _, name := range []string{"dnnl", "openblas", "gonum"} {
		e, _, err := registry.Open(name)
		if err != nil {
			b.Logf("%s: %v", name, err)
			continue
		}
		for _, batch := range []int{1, 256} {
			b.Run(fmt.Sprintf("%s/batch=%d", name, batch), func(b *testing.B) {
				p, err := predict.New(m, e, predict.Options{})
				if err != nil {
					b.Fatal(err)
				}
				defer p.Close()
				var seed atomic.Uint64
				b.ReportAllocs()
				b.ResetTimer()
				b.RunParallel(func(pb *testing.PB) {
					x := bench.Pixels(batch, 784, seed.Add(1))
					out := make([]float32, batch*10)
					for pb.Next() {
						if err := p.PredictInto(context.Background(), x, batch, out); err != nil {
							b.Error(err)
							return
						}
					}
				})
				b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "samples/s")
			})
		}
	}
}
