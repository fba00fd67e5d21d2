package cli_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/descent-ml/descent/backend/dnnl"
)

// --precision: f32 or bf16; bf16 is for the dnnl backend only (a usage
// error elsewhere), recorded in the history's config when set (and absent
// for f32, so f32 configs read as before).
func TestTrainPrecision(t *testing.T) {
	status, _, errs := run(t, "train", "--precision", "fp16", "--backend", "gonum")
	assert.Equal(t, 2, status)
	assert.Contains(t, errs, `unknown precision "fp16"`)
	status, _, errs = run(t, "train", "--precision", "bf16", "--backend", "gonum", "--epochs", "1", "--train-limit", "500")
	assert.Equal(t, 2, status)
	assert.Contains(t, errs, `--precision bf16: backend "gonum" computes in f32 only; bf16 needs the dnnl backend`)

	config := func(args ...string) map[string]any {
		hist := filepath.Join(t.TempDir(), "h.json")
		status, _, errs := run(t, append([]string{"train", "--epochs", "1", "--hidden", "32", "--train-limit", "2000", "--history", hist, "--quiet"}, args...)...)
		require.Equal(t, 0, status, errs)
		var h struct {
			Config map[string]any `json:"config"`
		}
		b, err := os.ReadFile(hist)
		require.NoError(t, err)
		require.NoError(t, json.Unmarshal(b, &h))
		return h.Config
	}
	_, has := config("--backend", "gonum")["precision"]
	assert.False(t, has, "f32 is not recorded")

	e, err := dnnl.New(dnnl.WithPrecision(dnnl.BF16))
	if err != nil {
		t.Skipf("no bf16 dnnl engine here: %v", err)
	}
	require.NoError(t, e.Close())
	cfg := config("--backend", "dnnl", "--precision", "bf16")
	assert.Equal(t, "bf16", cfg["precision"])
	assert.Equal(t, "dnnl", cfg["backend"])
}
