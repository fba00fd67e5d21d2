package serve_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/descent-ml/descent/serve"
)

// TestLoad runs the load tester against a real loopback server: valid
// requests mixed with every malformed kind, all answered right.
func TestLoad(t *testing.T) {
	const in, out = 64, 10
	requests := 2000
	if testing.Short() || raceEnabled {
		requests = 600
	}
	model := newLinear(in, out)
	const limit = 64 << 10
	_, ts := newTestServer(t, model, serve.Options{Name: "mnist", MaxBodyBytes: limit})

	xs := instances(257, in)
	want := make([]int, len(xs))
	probs := make([][]float32, len(xs))
	for i, x := range xs {
		probs[i] = model.want(x)
		for k, p := range probs[i] {
			if p > probs[i][want[i]] {
				want[i] = k
			}
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rep, err := serve.LoadTest(ctx, ts.URL, "mnist", serve.LoadOptions{
		Requests:          requests,
		Concurrency:       32,
		Instances:         xs,
		Want:              want,
		WantProbs:         probs,
		RowsPerRequest:    2,
		MalformedFraction: 0.25,
		MaxBodyBytes:      limit,
	})
	require.NoError(t, err)
	t.Log(rep)
	for _, p := range rep.Problems {
		t.Log(p)
	}
	assert.True(t, rep.OK())
	assert.Equal(t, requests, rep.Requests)
	assert.Equal(t, requests/4, rep.Malformed)
	assert.Equal(t, requests-requests/4, rep.Valid)
	assert.Zero(t, rep.Wrong)
	assert.Zero(t, rep.Server5xx)
	assert.Zero(t, rep.MalformedNot4xx)
	assert.Zero(t, rep.MalformedOtherCode)
	assert.Zero(t, rep.TransportErrors)
	assert.Equal(t, rep.Valid, rep.ByStatus[200])
	for _, code := range []int{400, 404, 405, 413} {
		assert.Positive(t, rep.ByStatus[code], "status %d", code)
	}
	assert.Positive(t, rep.RPS)
	assert.Positive(t, rep.P50)
	assert.GreaterOrEqual(t, rep.P99, rep.P50)
	sizes := model.batchSizes()
	assert.Less(t, len(sizes), rep.Valid, "concurrent requests were batched")
	assert.Equal(t, 2*rep.Valid, sum(sizes))
	t.Logf("%d valid requests in %d PredictInto calls", rep.Valid, len(sizes))
}

// TestLoadCountsFailures: the load tester notices wrong answers, 5xx and
// malformed requests that were not refused.
func TestLoadCountsFailures(t *testing.T) {
	var calls atomic.Int64
	// A "server" that answers everything with the same prediction, 200 on
	// even calls and 500 on odd ones.
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1)%2 == 1 {
			w.WriteHeader(500)
			return
		}
		_, _ = w.Write([]byte(`{"predictions":[[0.9,0.1]]}`))
	}))
	defer ts.Close()
	rep, err := serve.LoadTest(context.Background(), ts.URL, "m", serve.LoadOptions{
		Requests:          40,
		Concurrency:       1,
		Instances:         [][]float32{{1, 2}, {3, 4}},
		Want:              []int{0, 1},
		MalformedFraction: 0.5,
		MaxBodyBytes:      1 << 10,
	})
	require.NoError(t, err)
	t.Log(rep)
	assert.False(t, rep.OK())
	assert.Equal(t, 40, rep.Requests)
	assert.Equal(t, 20, rep.Server5xx)
	assert.Equal(t, 20, rep.MalformedNot4xx)
	assert.Equal(t, 20, rep.Malformed)
	assert.Positive(t, rep.Wrong) // instance 1 wants class 1
	assert.Positive(t, rep.ValidNot200)
	assert.NotEmpty(t, rep.Problems)
	assert.Contains(t, rep.String(), "40 requests (20 valid, 20 malformed)")
}

func TestLoadBounded(t *testing.T) {
	model := newLinear(features, classes)
	model.setHook(func([]float32, int) error { time.Sleep(20 * time.Millisecond); return nil })
	_, ts := newTestServer(t, model, serve.Options{})
	start := time.Now()
	rep, err := serve.LoadTest(context.Background(), ts.URL, "default", serve.LoadOptions{
		Requests:    100000,
		Concurrency: 4,
		Instances:   instances(3, features),
		Timeout:     300 * time.Millisecond,
	})
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), 5*time.Second)
	assert.Less(t, rep.Requests, 100000)
	assert.Zero(t, rep.Server5xx)
	assert.Zero(t, rep.TransportErrors, "requests cut off by the deadline are not the server's fault")
}

func TestLoadOptionsChecked(t *testing.T) {
	for _, opts := range []serve.LoadOptions{
		{},
		{Instances: [][]float32{{1}}, Want: []int{1, 2}},
		{Instances: [][]float32{{1}}, WantProbs: [][]float32{}},
		{Instances: [][]float32{{1}}, MalformedFraction: 2},
	} {
		_, err := serve.LoadTest(context.Background(), "http://127.0.0.1:1", "m", opts)
		assert.Error(t, err)
	}
	assert.Contains(t, serve.MalformedKinds(), "float32-overflow")
	assert.Len(t, serve.MalformedKinds(), 16)
}
