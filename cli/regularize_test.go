package cli_test

import (
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/descent-ml/descent/cli"
)

// The regularisation flags refuse bad values with a usage error naming the
// flag, before any data is read.
func TestRegularizeFlagUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--weight-decay", "-0.1"}, "--weight-decay"},
		{[]string{"--weight-decay", "NaN"}, "--weight-decay"},
		{[]string{"--weight-decay", "Inf"}, "--weight-decay"},
		{[]string{"--clipnorm", "-1"}, "--clipnorm"},
		{[]string{"--clipnorm", "NaN"}, "--clipnorm"},
		{[]string{"--clipvalue", "-1"}, "--clipvalue"},
		{[]string{"--clipvalue", "+Inf"}, "--clipvalue"},
		{[]string{"--global-clipnorm", "-2"}, "--global-clipnorm"},
		{[]string{"--global-clipnorm", "NaN"}, "--global-clipnorm"},
		{[]string{"--label-smoothing", "-0.1"}, "--label-smoothing"},
		{[]string{"--label-smoothing", "1.5"}, "--label-smoothing"},
		{[]string{"--label-smoothing", "NaN"}, "--label-smoothing"},
		{[]string{"--clipnorm", "1", "--clipvalue", "1"}, "only one may be set"},
		{[]string{"--clipvalue", "1", "--global-clipnorm", "1"}, "only one may be set"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			status, _, errs := run(t, append([]string{"train", "--data", t.TempDir()}, tc.args...)...)
			assert.Equal(t, cli.ExitUsage, status, errs)
			assert.Contains(t, errs, tc.want)
			assert.Equal(t, 1, strings.Count(errs, "\n"), "one line: %q", errs)
		})
	}
}

// Short MNIST runs with the new optimizers and the regularisation flags
// train, and the history's config records the settings under Keras's
// names (AdamW's default weight decay included, zero settings left out).
func TestTrainRegularized(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want map[string]any // config entries; nil: must be absent
	}{
		{"adamw clipnorm smoothing",
			[]string{"--optimizer", "adamw", "--weight-decay", "0.01", "--clipnorm", "1", "--label-smoothing", "0.1"},
			map[string]any{"optimizer": "adamw", "weight_decay": 0.01, "clipnorm": 1.0, "label_smoothing": 0.1,
				"clipvalue": nil, "global_clipnorm": nil}},
		{"adamw default decay, global clipnorm",
			[]string{"--optimizer", "adamw", "--global-clipnorm", "0.5"},
			map[string]any{"optimizer": "adamw", "weight_decay": 0.004, "global_clipnorm": 0.5, "clipnorm": nil, "label_smoothing": nil}},
		{"nadam clipvalue",
			[]string{"--optimizer", "nadam", "--clipvalue", "0.1"},
			map[string]any{"optimizer": "nadam", "lr": 0.001, "clipvalue": 0.1, "weight_decay": nil}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hist := filepath.Join(t.TempDir(), "h.json")
			args := append([]string{"train", "--epochs", "1", "--train-limit", "2000", "--hidden", "32",
				"--quiet", "--history", hist}, tc.args...)
			status, _, errs := run(t, args...)
			require.Equal(t, 0, status, errs)
			var h struct {
				History map[string][]float64 `json:"history"`
				Test    struct{ Loss, Accuracy float64 }
				Config  map[string]any `json:"config"`
			}
			readJSON(t, hist, &h)
			for k, v := range tc.want {
				got, ok := h.Config[k]
				if v == nil {
					assert.False(t, ok, "%s should be left out, is %v", k, got)
					continue
				}
				assert.Equal(t, v, got, k)
			}
			require.Len(t, h.History["loss"], 1)
			assert.False(t, math.IsNaN(h.Test.Loss))
			assert.Greater(t, h.Test.Accuracy, 0.3, "1 epoch on 2000 images beats chance by far")
		})
	}
}
