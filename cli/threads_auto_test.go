package cli_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/descent-ml/descent/backend/registry"
)

// descent train --threads auto sizes dnnl's pool for the network: the
// GEMM-bound 784→1024→1024→10 at batch 512 gets more than one thread where
// there are two CPUs or more, the tutorial network one (openblas keeps one
// for both); the printed line and the history's config say what the run
// used. --threads 1 still means one. Not parallel: the command line has
// package-level state.
func TestTrainThreadsAutoFollowsTheShape(t *testing.T) {
	wide := registry.Work{Widths: []int{784, 1024, 1024, 10}, Batch: 512}
	tutorial := registry.Work{Widths: []int{784, 128, 128, 10}, Batch: 128}
	for _, tc := range []struct {
		backend, threads string
		w                registry.Work
		want             int
	}{
		{"dnnl", "auto", wide, registry.ThreadsFor("dnnl", wide, runtime.NumCPU())},
		{"openblas", "auto", wide, registry.ThreadsFor("openblas", wide, runtime.NumCPU())},
		{"dnnl", "1", wide, 1},
		{"dnnl", "auto", tutorial, 1},
	} {
		name := fmt.Sprintf("%s/%s/%v", tc.backend, tc.threads, tc.w.Widths)
		if tc.backend == "dnnl" && tc.w.Widths[1] == 1024 && tc.threads == "auto" && runtime.NumCPU() >= 2 {
			require.Greater(t, tc.want, 1, name)
		}
		hist := filepath.Join(t.TempDir(), "h.json")
		hidden := fmt.Sprintf("%d,%d", tc.w.Widths[1], tc.w.Widths[2])
		status, out, errs := run(t, "train", "--backend", tc.backend, "--threads", tc.threads, "--hidden", hidden,
			"--batch-size", fmt.Sprint(tc.w.Batch), "--train-limit", fmt.Sprint(2*tc.w.Batch), "--epochs", "1",
			"--history", hist)
		require.Equal(t, 0, status, "%s: %s", name, errs)
		assert.Contains(t, out, fmt.Sprintf("backend %s, %d thread(s)", tc.backend, tc.want), name)
		var h struct {
			Config struct {
				Threads int `json:"threads"`
			} `json:"config"`
		}
		b, err := os.ReadFile(hist)
		require.NoError(t, err, name)
		require.NoError(t, json.Unmarshal(b, &h), name)
		assert.Equal(t, tc.want, h.Config.Threads, name)
	}
}
