package serve_test

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/descent-ml/descent/serve"
)

func sum(xs []int) int {
	n := 0
	for _, x := range xs {
		n += x
	}
	return n
}

// TestBatching sends concurrent requests of 1–3 rows within one window: they
// must share PredictInto calls, and each client must get exactly its own
// rows back, bit for bit what the model answers for them alone.
func TestBatching(t *testing.T) {
	const clients = 24
	model := newLinear(features, classes)
	_, ts := newTestServer(t, model, serve.Options{BatchWindow: 200 * time.Millisecond})
	url := ts.URL + "/v1/models/default:predict"

	type result struct {
		code int
		body string
		want [][]float32
	}
	results := make([]result, clients)
	var wg sync.WaitGroup
	rows := 0
	for c := range clients {
		n := 1 + c%3
		rows += n
		xs := make([][]float32, n)
		results[c].want = make([][]float32, n)
		for r := range xs {
			xs[r] = instance(100*c+r, features)
			results[c].want[r] = model.want(xs[r])
		}
		wg.Go(func() {
			a, err := tryDo(context.Background(), http.MethodPost, url, predictBody(xs...))
			if err != nil {
				results[c].body = err.Error()
				return
			}
			results[c].code, results[c].body = a.code, a.body
		})
	}
	wg.Wait()
	for c, res := range results {
		require.Equal(t, http.StatusOK, res.code, "client %d: %s", c, res.body)
		bitsEqual(t, res.want, predictions(t, res.body))
	}
	sizes := model.batchSizes()
	t.Logf("%d requests (%d rows) in %d PredictInto calls of %v rows", clients, rows, len(sizes), sizes)
	assert.Less(t, len(sizes), clients, "requests were batched")
	assert.Equal(t, rows, sum(sizes))
	for _, s := range sizes {
		assert.LessOrEqual(t, s, serve.DefaultMaxBatch)
	}
}

// TestMaxBatch: batches never exceed MaxBatch rows, and a request larger
// than MaxBatch runs alone in chunks of MaxBatch.
func TestMaxBatch(t *testing.T) {
	model := newLinear(features, classes)
	_, ts := newTestServer(t, model, serve.Options{MaxBatch: 4, BatchWindow: 50 * time.Millisecond})
	url := ts.URL + "/v1/models/default:predict"

	xs := instances(10, features)
	a := do(t, http.MethodPost, url, predictBody(xs...))
	require.Equal(t, 200, a.code, a.body)
	want := make([][]float32, len(xs))
	for i, x := range xs {
		want[i] = model.want(x)
	}
	bitsEqual(t, want, predictions(t, a.body))
	assert.Equal(t, []int{4, 4, 2}, model.batchSizes())

	// Concurrent 3-row requests: no call over 4 rows, so each runs alone.
	var wg sync.WaitGroup
	for c := range 6 {
		wg.Go(func() {
			a, err := tryDo(context.Background(), http.MethodPost, url, predictBody(instances(3+c, features)[c:]...))
			if assert.NoError(t, err) {
				assert.Equal(t, 200, a.code, a.body)
			}
		})
	}
	wg.Wait()
	sizes := model.batchSizes()[3:]
	assert.Equal(t, 18, sum(sizes))
	for _, s := range sizes {
		assert.LessOrEqual(t, s, 4)
	}
}

// TestNoWindow: a negative BatchWindow never waits; sequential requests
// each get their own call.
func TestNoWindow(t *testing.T) {
	model := newLinear(features, classes)
	_, ts := newTestServer(t, model, serve.Options{BatchWindow: -1})
	for i := range 5 {
		a := do(t, http.MethodPost, ts.URL+"/v1/models/default:predict", predictBody(instances(i+1, features)...))
		require.Equal(t, 200, a.code, a.body)
	}
	assert.Equal(t, []int{1, 2, 3, 4, 5}, model.batchSizes())
}

// TestMetrics checks the counters after a known sequence of requests.
func TestMetrics(t *testing.T) {
	model := newLinear(features, classes)
	_, ts := newTestServer(t, model, serve.Options{BatchWindow: -1})
	url := ts.URL + "/v1/models/default:predict"
	for i := range 3 {
		require.Equal(t, 200, do(t, "POST", url, predictBody(instances(i+1, features)...)).code) // 1, 2, 3 rows
	}
	require.Equal(t, 400, do(t, "POST", url, `{"instances":[]}`).code)
	require.Equal(t, 400, do(t, "POST", url, `nope`).code)
	require.Equal(t, 404, do(t, "POST", ts.URL+"/v1/models/x:predict", `{}`).code)
	require.Equal(t, 405, do(t, "GET", url, "").code)
	require.Equal(t, 200, do(t, "GET", ts.URL+"/v1/models/default", "").code)

	m := do(t, "GET", ts.URL+"/metrics", "")
	require.Equal(t, 200, m.code)
	assert.Contains(t, m.header.Get("Content-Type"), "text/plain")
	for _, line := range []string{
		`descent_serve_requests_total{code="200"} 4`,
		`descent_serve_requests_total{code="400"} 2`,
		`descent_serve_requests_total{code="404"} 1`,
		`descent_serve_requests_total{code="405"} 1`,
		`descent_serve_request_duration_seconds_count 8`,
		`descent_serve_batch_rows_count 3`,
		`descent_serve_batch_rows_sum 6`,
		`descent_serve_batch_rows_bucket{le="1"} 1`,
		`descent_serve_batch_rows_bucket{le="2"} 2`,
		`descent_serve_batch_rows_bucket{le="4"} 3`,
		`descent_serve_batch_rows_bucket{le="256"} 3`,
		`descent_serve_batch_requests_count 3`,
		`descent_serve_batch_requests_sum 3`,
		`descent_serve_predict_errors_total 0`,
		`descent_serve_panics_total 0`,
		"# TYPE descent_serve_request_duration_seconds histogram",
		"# TYPE go_goroutines gauge",
	} {
		assert.Contains(t, m.body, line+"\n")
	}
	// Scrapes are not counted as requests.
	m = do(t, "GET", ts.URL+"/metrics", "")
	assert.Contains(t, m.body, `descent_serve_request_duration_seconds_count 8`+"\n")
}

// TestCloseWhileBusy: Close while requests queue behind a slow batch answers
// every one of them, 200 or 503, and returns.
func TestCloseWhileBusy(t *testing.T) {
	model := newLinear(features, classes)
	entered := make(chan struct{}, 1)
	release := make(chan struct{})
	var once sync.Once
	model.setHook(func([]float32, int) error {
		once.Do(func() {
			entered <- struct{}{}
			<-release
		})
		return nil
	})
	srv, ts := newTestServer(t, model, serve.Options{BatchWindow: -1, MaxBatch: 1})
	url := ts.URL + "/v1/models/default:predict"
	const n = 12
	codes := make([]int, n)
	var wg sync.WaitGroup
	wg.Go(func() {
		a, err := tryDo(context.Background(), http.MethodPost, url, predictBody(instance(0, features)))
		if err == nil {
			codes[0] = a.code
		}
	})
	<-entered
	for i := 1; i < n; i++ {
		wg.Go(func() {
			a, err := tryDo(context.Background(), http.MethodPost, url, predictBody(instance(i, features)))
			if err == nil {
				codes[i] = a.code
			}
		})
	}
	time.Sleep(50 * time.Millisecond) // let them queue
	closed := make(chan struct{})
	go func() {
		srv.Close()
		close(closed)
	}()
	time.Sleep(20 * time.Millisecond)
	close(release)
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return")
	}
	wg.Wait()
	assert.Equal(t, 200, codes[0])
	for i, c := range codes {
		assert.Contains(t, []int{200, 503}, c, "request %d", i)
	}
	t.Logf("codes after Close: %v", codes)
}

// TestMetricsElsewhere: with a Registerer that cannot be gathered, the
// server registers its metrics there and does not serve /metrics.
func TestMetricsElsewhere(t *testing.T) {
	reg := prometheus.NewRegistry()
	_, ts := newTestServer(t, newLinear(features, classes), serve.Options{Registerer: prometheus.WrapRegistererWithPrefix("", reg)})
	require.Equal(t, 200, do(t, "POST", ts.URL+"/v1/models/default:predict", predictBody(instance(0, features))).code)
	assert.Equal(t, 404, do(t, "GET", ts.URL+"/metrics", "").code)
	families, err := reg.Gather()
	require.NoError(t, err)
	var found bool
	for _, f := range families {
		if f.GetName() == "descent_serve_requests_total" {
			got := map[string]float64{}
			for _, m := range f.GetMetric() {
				got[m.GetLabel()[0].GetValue()] = m.GetCounter().GetValue()
			}
			assert.Equal(t, map[string]float64{"200": 1, "404": 1}, got) // the predict, then /metrics
			found = true
		}
	}
	assert.True(t, found)
}
