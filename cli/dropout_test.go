package cli_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/descent-ml/descent/cli"
	"github.com/descent-ml/descent/model"
)

// descent train --dropout 0.2 --summary prints Keras's table (a Dropout
// row after each hidden layer) before training, records the rate in the
// history's config and saves it in the model; the same seed trains the
// same model twice.
func TestTrainDropoutAndSummary(t *testing.T) {
	dir := t.TempDir()
	train := func(name string) (string, *model.Sequential) {
		hist, saved := filepath.Join(dir, name+".json"), filepath.Join(dir, name+".descent")
		status, out, errs := run(t, "train", "--epochs", "1", "--hidden", "32,16", "--activation", "relu", "--dropout", "0.2", "--summary",
			"--backend", "gonum", "--train-limit", "2000", "--history", hist, "--save", saved)
		require.Equal(t, 0, status, errs)
		var h struct {
			Config map[string]any `json:"config"`
		}
		b, err := os.ReadFile(hist)
		require.NoError(t, err)
		require.NoError(t, json.Unmarshal(b, &h))
		assert.Equal(t, 0.2, h.Config["dropout"])
		m, err := model.Load(saved)
		require.NoError(t, err)
		return out, m
	}
	out, m := train("a")
	table := `│ dense (Dense)                   │ (None, 32)             │        25,120 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ dropout (Dropout)               │ (None, 32)             │             0 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ dense_1 (Dense)                 │ (None, 16)             │           528 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ dropout_1 (Dropout)             │ (None, 16)             │             0 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ dense_2 (Dense)                 │ (None, 10)             │           170 │
└─────────────────────────────────┴────────────────────────┴───────────────┘
 Total params: 25,818 (100.85 KB)
`
	require.Contains(t, out, table)
	assert.Less(t, strings.Index(out, table), strings.Index(out, "test: loss"), "the summary comes before training (Keras prints no \"Epoch 1/1\" line for one epoch)")
	assert.Equal(t, []model.Layer{model.Dense(32, model.ReLU).WithDropout(0.2), model.Dense(16, model.ReLU).WithDropout(0.2), model.Dense(10, model.Softmax)}, m.Layers())
	_, again := train("b")
	assert.Equal(t, m.Params, again.Params, "reproducible from --seed")

	// Without --summary, no table; without --dropout, no dropout in the config.
	hist := filepath.Join(dir, "c.json")
	status, out, errs := run(t, "train", "--epochs", "1", "--hidden", "8", "--backend", "gonum", "--train-limit", "500", "--history", hist)
	require.Equal(t, 0, status, errs)
	assert.NotContains(t, out, "Param #")
	b, err := os.ReadFile(hist)
	require.NoError(t, err)
	assert.NotContains(t, string(b), "dropout")
}

func TestDropoutUsageErrors(t *testing.T) {
	for _, v := range []string{"1", "-0.1", "NaN", "1.5"} {
		t.Run(v, func(t *testing.T) {
			status, _, errs := run(t, "train", "--dropout", v)
			assert.Equal(t, cli.ExitUsage, status, errs)
			assert.Contains(t, errs, "--dropout: must be in [0, 1)")
		})
	}
}
