package registry_test

import (
	"os"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/descent-ml/descent/backend/registry"
	"github.com/descent-ml/descent/bindings/libdnnl"
	"github.com/descent-ml/descent/bindings/libopenblas"
)

var (
	tutorial = registry.Work{Widths: []int{784, 128, 128, 10}, Batch: 128}
	wide     = registry.Work{Widths: []int{784, 1024, 1024, 10}, Batch: 512}
)

// StepFLOPs counts 2·m·n·k for the forward GEMM and the weight gradient of
// every layer and the input gradient of all but the first.
func TestStepFLOPs(t *testing.T) {
	// 784→128→128→10 at 128: forward and dW 2·128·(784·128 + 128·128 +
	// 128·10) each, dX 2·128·(128·128 + 128·10).
	assert.Equal(t, 2*2*128.0*(784*128+128*128+128*10)+2*128.0*(128*128+128*10), tutorial.StepFLOPs())
	assert.InDelta(t, 0.0649e9, tutorial.StepFLOPs(), 0.0001e9)
	assert.InDelta(t, 4.897e9, wide.StepFLOPs(), 0.001e9)
	// One layer: no input gradient.
	assert.Equal(t, 2*2*4.0*3*5, registry.Work{Widths: []int{3, 5}, Batch: 4}.StepFLOPs())
	for _, w := range []registry.Work{{}, {Widths: []int{784}, Batch: 128}, {Widths: []int{784, 10}}, {Widths: []int{784, 0, 10}, Batch: 1}} {
		assert.False(t, w.Known(), "%+v", w)
		assert.Zero(t, w.StepFLOPs(), "%+v", w)
	}
	assert.True(t, tutorial.Known())
}

// The --threads auto rule, table-driven: the tutorial network keeps native
// backends on one thread, the GEMM-bound network gets two of dnnl's, one
// CPU always gives one thread, openblas keeps one, and gonum gets every
// CPU whatever the shape.
func TestThreadsFor(t *testing.T) {
	for _, tc := range []struct {
		name    string
		backend string
		w       registry.Work
		cpus    int
		want    int
	}{
		{"tutorial dnnl 2 CPUs", "dnnl", tutorial, 2, 1},
		{"tutorial openblas 2 CPUs", "openblas", tutorial, 2, 1},
		{"tutorial dnnl 64 CPUs", "dnnl", tutorial, 64, 1},
		{"unknown shape dnnl", "dnnl", registry.Work{}, 16, 1},
		{"unknown shape openblas", "openblas", registry.Work{}, 16, 1},
		{"wide dnnl 2 CPUs", "dnnl", wide, 2, 2},
		{"wide openblas 2 CPUs: no contention guard, one thread", "openblas", wide, 2, 1},
		{"huge openblas 16 CPUs", "openblas", registry.Work{Widths: []int{4096, 4096, 4096}, Batch: 4096}, 16, 1},
		{"wide dnnl 1 CPU", "dnnl", wide, 1, 1},
		{"wide openblas 1 CPU", "openblas", wide, 1, 1},
		{"wide dnnl 16 CPUs: 2 GFLOP a thread", "dnnl", wide, 16, 2},
		{"wide at batch 256 dnnl (2.45 GFLOP)", "dnnl", registry.Work{Widths: []int{784, 1024, 1024, 10}, Batch: 256}, 2, 1},
		{"wide at batch 2048 dnnl 16 CPUs (19.6 GFLOP)", "dnnl", registry.Work{Widths: []int{784, 1024, 1024, 10}, Batch: 2048}, 16, 9},
		{"huge dnnl capped at the CPUs", "dnnl", registry.Work{Widths: []int{4096, 4096, 4096}, Batch: 4096}, 8, 8},
		{"gonum tutorial", "gonum", tutorial, 2, 2},
		{"gonum unknown", "gonum", registry.Work{}, 4, 4},
		{"gonum 1 CPU", "gonum", wide, 1, 1},
		{"no CPUs reported", "dnnl", wide, 0, 1},
	} {
		assert.Equal(t, tc.want, registry.ThreadsFor(tc.backend, tc.w, tc.cpus), tc.name)
	}
}

// The threshold sits between the measured cases: the largest network that
// measured no faster on two threads (2.45 GFLOP) gets one, the 4.9 GFLOP
// one gets two.
func TestNativeFLOPsPerThread(t *testing.T) {
	assert.Less(t, registry.Work{Widths: []int{784, 1024, 1024, 10}, Batch: 256}.StepFLOPs(), 2*registry.NativeFLOPsPerThread)
	assert.GreaterOrEqual(t, wide.StepFLOPs(), 2*registry.NativeFLOPsPerThread)
}

// SetThreadsOn under auto gives the engine the rule's count for the shape
// and the other native pools one thread; a fixed n ignores the shape.
func TestSetThreadsOn(t *testing.T) {
	procs := runtime.GOMAXPROCS(0)
	for _, name := range []string{"dnnl", "openblas", "gonum"} {
		e, _, err := registry.Open(name)
		if err != nil {
			// Not silent where the set-up installed the native backends:
			// scripts/test.sh sets DESCENT_REQUIRE_NATIVE=1.
			if os.Getenv("DESCENT_REQUIRE_NATIVE") == "1" {
				t.Errorf("%s: %v (DESCENT_REQUIRE_NATIVE=1)", name, err)
			} else {
				t.Logf("%s not linked, not checked: %v", name, err)
			}
			continue
		}
		got, err := registry.SetThreadsOn(e, 0, wide, runtime.NumCPU())
		require.NoError(t, err)
		assert.Equal(t, registry.ThreadsFor(name, wide, runtime.NumCPU()), got, name)
		assert.Equal(t, got, e.Threads(), name)
		if runtime.NumCPU() >= 2 && name != "openblas" {
			assert.Greater(t, got, 1, name)
		}
		if libdnnl.Available() && name != "dnnl" {
			assert.Equal(t, 1, libdnnl.Threads(), name)
		}
		if libopenblas.Available() && name != "openblas" {
			assert.Equal(t, 1, libopenblas.Threads(), name)
		}
		got, err = registry.SetThreadsOn(e, 0, tutorial, runtime.NumCPU())
		require.NoError(t, err)
		assert.Equal(t, registry.ThreadsFor(name, tutorial, runtime.NumCPU()), got, name)
		// One of two ranks on a 2-CPU machine gets its share, one CPU.
		got, err = registry.SetThreadsOn(e, 0, wide, 1)
		require.NoError(t, err)
		assert.Equal(t, 1, got, "%s on a one-CPU share", name)
		got, err = registry.SetThreadsOn(e, 1, wide, runtime.NumCPU())
		require.NoError(t, err)
		assert.Equal(t, 1, got, name)
		assert.Equal(t, procs, runtime.GOMAXPROCS(0), "the library leaves GOMAXPROCS alone")
		_, err = registry.SetThreadsOn(e, -1, wide, runtime.NumCPU())
		assert.Error(t, err)
	}
}
