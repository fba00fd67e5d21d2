//go:build unix

package serve_test

import (
	"context"
	"net"
	"net/http"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/descent-ml/descent/serve"
)

// TestOSSignals: with no injected channel, real SIGHUP and SIGTERM sent to
// the process reach the serving loop through signal.Notify.
func TestOSSignals(t *testing.T) {
	srv, err := serve.New(newLinear(features, classes), serve.Options{Logger: quietLogger()})
	require.NoError(t, err)
	reloaded := make(chan struct{}, 1)
	ready := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() {
		done <- srv.ListenAndServe(context.Background(), "127.0.0.1:0", serve.Hooks{
			Ready:  func(a net.Addr) { ready <- a },
			Reload: func() error { reloaded <- struct{}{}; return nil },
		})
	}()
	var addr string
	select {
	case a := <-ready:
		addr = a.String()
	case err := <-done:
		t.Fatalf("ListenAndServe: %v", err)
	case <-time.After(5 * time.Second):
		t.Fatal("not ready in 5s")
	}
	self, err := os.FindProcess(os.Getpid())
	require.NoError(t, err)

	require.NoError(t, self.Signal(syscall.SIGHUP))
	select {
	case <-reloaded:
	case <-time.After(5 * time.Second):
		t.Fatal("SIGHUP did not reload")
	}
	a := do(t, http.MethodGet, "http://"+addr+"/v1/models/default", "")
	assert.Equal(t, 200, a.code)

	require.NoError(t, self.Signal(syscall.SIGTERM))
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("SIGTERM did not stop the server")
	}
	assert.True(t, refused(addr))
}
