package serve_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/descent-ml/descent/serve"
)

// running is a Server in ListenAndServe on 127.0.0.1:0 with injected signals.
type running struct {
	srv  *serve.Server
	url  string
	addr string
	sigs chan os.Signal
	done chan error // ListenAndServe's result
}

func start(t *testing.T, p serve.Predictor, opts serve.Options, hooks serve.Hooks) *running {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = quietLogger()
	}
	srv, err := serve.New(p, opts)
	require.NoError(t, err)
	r := &running{srv: srv, sigs: make(chan os.Signal, 1), done: make(chan error, 1)}
	ready := make(chan net.Addr, 1)
	hooks.Signals = r.sigs
	hooks.Ready = func(a net.Addr) { ready <- a }
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel) // a test that fails early still stops the loop
	go func() { r.done <- srv.ListenAndServe(ctx, "127.0.0.1:0", hooks) }()
	select {
	case a := <-ready:
		r.addr = a.String()
		r.url = "http://" + r.addr
	case err := <-r.done:
		t.Fatalf("ListenAndServe: %v", err)
	case <-time.After(5 * time.Second):
		t.Fatal("not ready in 5s")
	}
	return r
}

// wait is ListenAndServe's result, within 10 s.
func (r *running) wait(t *testing.T) error {
	t.Helper()
	select {
	case err := <-r.done:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("ListenAndServe did not return in 10s")
		return nil
	}
}

func refused(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return true
	}
	c.Close()
	return false
}

func TestReload(t *testing.T) {
	var version atomic.Int64
	version.Store(1)
	reloads := make(chan struct{}, 4)
	var fail atomic.Bool
	fail.Store(true)
	r := start(t, newLinear(features, classes), serve.Options{Version: version.Load}, serve.Hooks{
		Reload: func() error {
			defer func() { reloads <- struct{}{} }()
			if fail.Load() {
				return errors.New("model file is corrupt")
			}
			version.Add(1)
			return nil
		},
	})
	predict := func() {
		t.Helper()
		a := do(t, http.MethodPost, r.url+"/v1/models/default:predict", predictBody(instance(3, features)))
		require.Equal(t, http.StatusOK, a.code, a.body)
	}
	hup := func() {
		t.Helper()
		r.sigs <- syscall.SIGHUP
		select {
		case <-reloads:
		case <-time.After(5 * time.Second):
			t.Fatal("SIGHUP did not call Reload")
		}
	}
	predict()
	hup() // fails: the old model keeps serving
	predict()
	a := do(t, http.MethodGet, r.url+"/v1/models/default", "")
	assert.Contains(t, a.body, `"version":"1","state":"AVAILABLE"`)

	fail.Store(false)
	hup()
	predict()
	a = do(t, http.MethodGet, r.url+"/v1/models/default/versions/2", "")
	require.Equal(t, http.StatusOK, a.code, a.body)
	assert.Contains(t, a.body, `"version":"2","state":"AVAILABLE"`)

	r.sigs <- syscall.SIGINT
	require.NoError(t, r.wait(t))
	assert.True(t, refused(r.addr))
}

// TestDrain: SIGTERM while requests are in flight lets them finish with 200,
// refuses new connections, and returns nil.
func TestDrain(t *testing.T) {
	const inflight = 5
	model := newLinear(features, classes)
	entered := make(chan int, 1)
	release := make(chan struct{})
	model.setHook(func(x []float32, rows int) error {
		entered <- rows
		<-release
		return nil
	})
	// The window is long and MaxBatch is the number of requests, so the
	// batch is handed to the model exactly when all of them are in it.
	r := start(t, model, serve.Options{BatchWindow: 5 * time.Second, MaxBatch: inflight}, serve.Hooks{DrainTimeout: 10 * time.Second})

	answers := make([]answer, inflight)
	errs := make([]error, inflight)
	var wg sync.WaitGroup
	for i := range inflight {
		wg.Go(func() {
			answers[i], errs[i] = tryDo(context.Background(), http.MethodPost, r.url+"/v1/models/default:predict", predictBody(instance(i, features)))
		})
	}
	select {
	case rows := <-entered:
		require.Equal(t, inflight, rows)
	case <-time.After(10 * time.Second):
		t.Fatal("the batch never reached the model")
	}

	r.sigs <- syscall.SIGTERM
	// Draining: the listener closes (new connections refused) while the
	// requests are still held in the model.
	deadline := time.Now().Add(5 * time.Second)
	for !refused(r.addr) {
		require.True(t, time.Now().Before(deadline), "still accepting connections 5s after SIGTERM")
		time.Sleep(10 * time.Millisecond)
	}
	assert.Equal(t, serve.StateUnloading, r.srv.State())
	select {
	case err := <-r.done:
		t.Fatalf("ListenAndServe returned %v before in-flight requests finished", err)
	default:
	}

	close(release)
	wg.Wait()
	for i := range inflight {
		require.NoError(t, errs[i])
		assert.Equal(t, http.StatusOK, answers[i].code, answers[i].body)
		bitsEqual(t, [][]float32{model.want(instance(i, features))}, predictions(t, answers[i].body))
	}
	require.NoError(t, r.wait(t))
	assert.Equal(t, serve.StateEnd, r.srv.State())
	assert.True(t, refused(r.addr))
}

// TestDrainTimeout: requests that outlive DrainTimeout are cut off and
// ListenAndServe says so.
func TestDrainTimeout(t *testing.T) {
	model := newLinear(features, classes)
	entered := make(chan struct{}, 1)
	release := make(chan struct{})
	defer close(release)
	model.setHook(func([]float32, int) error {
		entered <- struct{}{}
		<-release
		return nil
	})
	r := start(t, model, serve.Options{}, serve.Hooks{DrainTimeout: 100 * time.Millisecond})
	go func() {
		_, _ = tryDo(context.Background(), http.MethodPost, r.url+"/v1/models/default:predict", predictBody(instance(0, features)))
	}()
	select {
	case <-entered:
	case <-time.After(5 * time.Second):
		t.Fatal("the request never reached the model")
	}
	r.sigs <- syscall.SIGTERM
	// The batcher is still stuck in the model, so wait for the HTTP side
	// only: ListenAndServe returns once the model lets go.
	time.Sleep(300 * time.Millisecond)
	release <- struct{}{}
	err := r.wait(t)
	require.Error(t, err)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
}

func TestContextStops(t *testing.T) {
	srv, err := serve.New(newLinear(features, classes), serve.Options{Logger: quietLogger()})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	ready := make(chan net.Addr, 1)
	go func() {
		done <- srv.ListenAndServe(ctx, "127.0.0.1:0", serve.Hooks{Signals: make(chan os.Signal), Ready: func(a net.Addr) { ready <- a }})
	}()
	addr := (<-ready).String()
	a := do(t, http.MethodGet, "http://"+addr+"/v1/models/default", "")
	require.Equal(t, 200, a.code)
	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("ListenAndServe did not return")
	}
	assert.True(t, refused(addr))
}

func TestListenError(t *testing.T) {
	srv, err := serve.New(newLinear(features, classes), serve.Options{Logger: quietLogger()})
	require.NoError(t, err)
	defer srv.Close()
	err = srv.ListenAndServe(context.Background(), "127.0.0.1:-1", serve.Hooks{Signals: make(chan os.Signal)})
	require.Error(t, err)
}
