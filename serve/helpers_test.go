package serve_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/descent-ml/descent/serve"
)

// linear is a deterministic fake model: a fixed linear layer and a softmax,
// computed row by row, so a row's answer does not depend on its batch. It
// records the rows of every PredictInto call, and hook (if set) runs first
// in each call and may block, fail or panic.
type linear struct {
	in, out int
	w, b    []float32

	mu      sync.Mutex
	batches []int
	hook    func(x []float32, rows int) error
}

func newLinear(in, out int) *linear {
	l := &linear{in: in, out: out, w: make([]float32, in*out), b: make([]float32, out)}
	for k := range out {
		l.b[k] = float32(k) * 0.125
		for j := range in {
			l.w[k*in+j] = float32(((k+1)*(j+3))%7-3) / 256
		}
	}
	return l
}

func (l *linear) Input() int  { return l.in }
func (l *linear) Output() int { return l.out }

func (l *linear) PredictInto(_ context.Context, x []float32, rows int, probs []float32) error {
	l.mu.Lock()
	l.batches = append(l.batches, rows)
	hook := l.hook
	l.mu.Unlock()
	if len(x) != rows*l.in || len(probs) != rows*l.out {
		return fmt.Errorf("linear: %d inputs and %d outputs for %d rows", len(x), len(probs), rows)
	}
	if hook != nil {
		if err := hook(x, rows); err != nil {
			return err
		}
	}
	for r := range rows {
		l.row(x[r*l.in:(r+1)*l.in], probs[r*l.out:(r+1)*l.out])
	}
	return nil
}

func (l *linear) row(x, p []float32) {
	zmax := float32(math.Inf(-1))
	for k := range l.out {
		z := l.b[k]
		for j, v := range x {
			z += l.w[k*l.in+j] * v
		}
		p[k] = z
		zmax = max(zmax, z)
	}
	var sum float32
	for k := range p {
		p[k] = float32(math.Exp(float64(p[k] - zmax)))
		sum += p[k]
	}
	for k := range p {
		p[k] /= sum
	}
}

// want is the model's answer for one instance, computed alone.
func (l *linear) want(x []float32) []float32 {
	p := make([]float32, l.out)
	l.row(x, p)
	return p
}

func (l *linear) batchSizes() []int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]int(nil), l.batches...)
}

func (l *linear) setHook(h func(x []float32, rows int) error) {
	l.mu.Lock()
	l.hook = h
	l.mu.Unlock()
}

// instance i of a fixed pseudo-random set of 0–255 "pixels".
func instance(i, in int) []float32 {
	x := make([]float32, in)
	for j := range x {
		x[j] = float32((i*131 + j*37 + i*j) % 256)
	}
	return x
}

func instances(n, in int) [][]float32 {
	xs := make([][]float32, n)
	for i := range xs {
		xs[i] = instance(i, in)
	}
	return xs
}

func quietLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// newTestServer is a Server for p behind an httptest.Server, both closed at
// the end of the test.
func newTestServer(t *testing.T, p serve.Predictor, opts serve.Options) (*serve.Server, *httptest.Server) {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = quietLogger()
	}
	srv, err := serve.New(p, opts)
	require.NoError(t, err)
	ts := httptest.NewServer(srv)
	t.Cleanup(func() {
		ts.Close()
		srv.Close()
	})
	return srv, ts
}

// predictBody is {"instances": xs}.
func predictBody(xs ...[]float32) string {
	b, err := json.Marshal(map[string]any{"instances": xs})
	if err != nil {
		panic(err)
	}
	return string(b)
}

type answer struct {
	code   int
	header http.Header
	body   string
}

var testClient = &http.Client{Timeout: 10 * time.Second}

func do(t *testing.T, method, url, body string) answer {
	t.Helper()
	return doCtx(t, context.Background(), method, url, body)
}

func doCtx(t *testing.T, ctx context.Context, method, url, body string) answer {
	t.Helper()
	a, err := tryDo(ctx, method, url, body)
	require.NoError(t, err)
	return a
}

// tryDo is do for goroutines other than the test's: it returns the error.
func tryDo(ctx context.Context, method, url, body string) (answer, error) {
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, r)
	if err != nil {
		return answer{}, err
	}
	resp, err := testClient.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return answer{}, err
	}
	return answer{resp.StatusCode, resp.Header, string(b)}, nil
}

// predictions parses a 200 predict answer.
func predictions(t *testing.T, body string) [][]float32 {
	t.Helper()
	var got struct {
		Predictions [][]float32 `json:"predictions"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &got), body)
	return got.Predictions
}

// errorMessage parses a {"error": "..."} answer.
func errorMessage(t *testing.T, body string) string {
	t.Helper()
	var got map[string]any
	require.NoError(t, json.Unmarshal([]byte(body), &got), body)
	require.Len(t, got, 1, body)
	msg, ok := got["error"].(string)
	require.True(t, ok, body)
	return msg
}

// bitsEqual compares float32 slices bit for bit.
func bitsEqual(t *testing.T, want, got [][]float32) {
	t.Helper()
	require.Len(t, got, len(want))
	for i := range want {
		require.Len(t, got[i], len(want[i]), "row %d", i)
		for k := range want[i] {
			require.Equal(t, math.Float32bits(want[i][k]), math.Float32bits(got[i][k]), "row %d value %d: want %v got %v", i, k, want[i][k], got[i][k])
		}
	}
}
