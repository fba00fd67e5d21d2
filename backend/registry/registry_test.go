package registry_test

import (
	"fmt"
	"os"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/descent-ml/descent/backend/dnnl"
	"github.com/descent-ml/descent/backend/registry"
	"github.com/descent-ml/descent/bindings/libdnnl"
	"github.com/descent-ml/descent/bindings/libopenblas"
)

func TestOpen(t *testing.T) {
	// The test command builds with cgo, oneDNN and OpenBLAS; with -tags
	// nodnnl (or noopenblas) auto must fall back with a one-line notice.
	auto, notice := "gonum", "pure-Go backend (gonum)"
	switch {
	case libdnnl.Available():
		auto, notice = "dnnl", ""
	case libopenblas.Available():
		auto, notice = "openblas", "using the openblas backend"
	}
	for _, tc := range []struct{ name, want string }{
		{"gonum", "gonum"},
		{"openblas", "openblas"},
		{"dnnl", "dnnl"},
		{"auto", auto},
	} {
		if (tc.name == "dnnl" && !libdnnl.Available()) || (tc.name == "openblas" && !libopenblas.Available()) {
			_, _, err := registry.Open(tc.name)
			assert.ErrorContains(t, err, "not linked into this binary", tc.name)
			continue
		}
		e, n, err := registry.Open(tc.name)
		require.NoError(t, err, tc.name)
		assert.Equal(t, tc.want, e.Name())
		if tc.name == "auto" && notice != "" {
			assert.Contains(t, n, notice)
			assert.NotContains(t, n, "\n", "the notice is one line")
		} else {
			assert.Empty(t, n, tc.name)
		}
	}
	_, _, err := registry.Open("cuda")
	require.Error(t, err)
	assert.Contains(t, err.Error(), `unknown backend "cuda"`)
	assert.Contains(t, err.Error(), "dnnl, openblas, gonum")
}

// --threads N sets every native pool to N; auto gives the engine its rule
// and the other native pools one thread. GOMAXPROCS is the program's: the
// library never changes it.
func TestSetThreads(t *testing.T) {
	procs := 3
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
	for _, name := range []string{"dnnl", "openblas", "gonum"} {
		e, _, err := registry.Open(name)
		if err != nil {
			t.Logf("%s: %v", name, err)
			continue
		}
		for _, n := range []int{2, 1} {
			got, err := registry.SetThreads(e, n)
			require.NoError(t, err)
			assert.Equal(t, n, got, name)
			assert.Equal(t, n, e.Threads(), name)
			assert.Equal(t, procs, runtime.GOMAXPROCS(0), name)
			if libdnnl.Available() {
				assert.Equal(t, n, libdnnl.Threads(), name)
			}
			if libopenblas.Available() {
				assert.Equal(t, n, libopenblas.Threads(), name)
			}
		}
		got, err := registry.SetThreads(e, 0)
		require.NoError(t, err)
		assert.Equal(t, registry.AutoThreads(e, registry.Work{}), got, name)
		assert.Equal(t, got, e.Threads(), name)
		assert.Equal(t, procs, runtime.GOMAXPROCS(0), name)
		if libdnnl.Available() && name != "dnnl" {
			assert.Equal(t, 1, libdnnl.Threads(), name)
		}
		if libopenblas.Available() && name != "openblas" {
			assert.Equal(t, 1, libopenblas.Threads(), name)
		}
	}
	e, _, err := registry.Open("gonum")
	require.NoError(t, err)
	_, err = registry.SetThreads(e, -1)
	assert.Error(t, err)
}

// Opening a backend changes no thread setting: an earlier SetThreads holds.
func TestOpenKeepsThreadSettings(t *testing.T) {
	if !libdnnl.Available() || !libopenblas.Available() {
		t.Skip("needs oneDNN and OpenBLAS")
	}
	procs := runtime.GOMAXPROCS(0)
	require.NoError(t, libdnnl.SetThreads(2))
	require.NoError(t, libopenblas.SetThreads(2))
	defer func() {
		require.NoError(t, libdnnl.SetThreads(1))
		require.NoError(t, libopenblas.SetThreads(1))
	}()
	for _, name := range registry.Names() {
		_, _, err := registry.Open(name)
		require.NoError(t, err, name)
		assert.Equal(t, 2, libdnnl.Threads(), "dnnl threads after opening %s", name)
		assert.Equal(t, 2, libopenblas.Threads(), "openblas threads after opening %s", name)
		assert.Equal(t, procs, runtime.GOMAXPROCS(0), "GOMAXPROCS after opening %s", name)
	}
}

// WithPrecision(BF16): dnnl (and auto, which then means dnnl) open a bf16
// engine; the f32-only backends refuse with ErrPrecision.
func TestOpenPrecision(t *testing.T) {
	for _, name := range []string{"gonum", "openblas"} {
		_, _, err := registry.Open(name, registry.WithPrecision(dnnl.BF16))
		require.ErrorIs(t, err, registry.ErrPrecision, name)
	}
	if !libdnnl.Available() || !libdnnl.BF16Supported() {
		t.Skip("no bf16 dnnl here")
	}
	for _, name := range []string{"dnnl", "auto"} {
		e, _, err := registry.Open(name, registry.WithPrecision(dnnl.BF16))
		require.NoError(t, err, name)
		assert.Equal(t, dnnl.BF16, e.(*dnnl.Engine).Precision())
		require.NoError(t, e.(*dnnl.Engine).Close())
	}
	e, _, err := registry.Open("dnnl")
	require.NoError(t, err)
	assert.Equal(t, dnnl.F32, e.(*dnnl.Engine).Precision())
	require.NoError(t, e.(*dnnl.Engine).Close())
}

// TestNativeBackendsPresent makes a missing native backend a failure where
// the set-up installed it: scripts/test.sh sets DESCENT_REQUIRE_NATIVE=1
// (scripts/setup.sh installs libdnnl-dev and OpenBLAS and the test command
// builds with cgo), so the fast paths are proven tested, not skipped. The
// dnnl package's own tests build only with cgo and without -tags nodnnl,
// and TestOpen above adapts to whatever is linked: without this test a
// binary lacking oneDNN would pass the suite on the fallbacks. Elsewhere
// (CGO_ENABLED=0, -tags nodnnl) it only reports what is missing.
func TestNativeBackendsPresent(t *testing.T) {
	required := os.Getenv("DESCENT_REQUIRE_NATIVE") == "1"
	for _, name := range []string{"dnnl", "openblas"} {
		e, _, err := registry.Open(name)
		if err != nil {
			msg := fmt.Sprintf("NATIVE BACKEND %s NOT TESTED: %v", name, err)
			if required {
				t.Errorf("%s (DESCENT_REQUIRE_NATIVE=1: the set-up installs it and the test command builds with cgo)", msg)
			} else {
				t.Log(msg + " (DESCENT_REQUIRE_NATIVE=1 makes this a failure)")
			}
			continue
		}
		assert.Equal(t, name, e.Name())
	}
}
