package cli_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/descent-ml/descent/cli"
	"github.com/descent-ml/descent/model"
)

// The callback and schedule flags refuse what cannot work, before
// training, with a usage error.
func TestCallbackFlagUsageErrors(t *testing.T) {
	dir := t.TempDir()
	same := filepath.Join(dir, "m.descent")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--early-stopping", "-1"}, "--early-stopping"},
		{[]string{"--restore-best"}, "only with --early-stopping"},
		{[]string{"--early-stopping", "1", "--monitor", "val_f1"}, "--monitor"},
		{[]string{"--early-stopping", "1", "--min-delta", "-1"}, "--min-delta"},
		{[]string{"--reduce-lr-on-plateau", "2", "--lr-factor", "1"}, "--lr-factor"},
		{[]string{"--lr-schedule", "linear"}, "--lr-schedule"},
		{[]string{"--lr-schedule", "cosine", "--epochs", "3", "--warmup", "3"}, "--warmup"},
		{[]string{"--warmup", "1"}, "only with --lr-schedule"},
		{[]string{"--lr-schedule", "step", "--reduce-lr-on-plateau", "2"}, "choose one"},
		{[]string{"--lr-schedule", "step", "--lr-decay", "0"}, "--lr-decay"},
		{[]string{"--verbose", "3"}, "--verbose"},
		{[]string{"--save", same, "--save-best", same}, "name the same file"},
		{[]string{"--csv-log", filepath.Join(dir, "no", "such", "log.csv")}, "--csv-log"},
		{[]string{"--early-stopping", "1", "--val-split", "0", "--train-limit", "500"}, "no validation data"},
		{[]string{"--early-stopping", "1", "--monitor", "val_mae", "--train-limit", "500"}, "only a regression"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			status, _, errs := run(t, append([]string{"train", "--epochs", "3", "--hidden", "8"}, tc.args...)...)
			assert.Equal(t, cli.ExitUsage, status, errs)
			assert.Contains(t, errs, tc.want)
		})
	}
}

// On a small MNIST subset: early stopping (a min delta no epoch can beat
// after the first: it stops after epoch 2 and restores epoch 1), a cosine
// schedule with a warm-up epoch, --save-best and --csv-log; the history
// file says which epoch was stopped and kept, and the rate of each epoch.
func TestTrainEarlyStoppingAndSchedule(t *testing.T) {
	dir := t.TempDir()
	hist, best, saved, csvLog := filepath.Join(dir, "h.json"), filepath.Join(dir, "best.descent"), filepath.Join(dir, "m.descent"), filepath.Join(dir, "log.csv")
	status, out, errs := run(t, "train", "--train-limit", "2000", "--epochs", "5", "--hidden", "16",
		"--early-stopping", "1", "--restore-best", "--min-delta", "10",
		"--lr-schedule", "cosine", "--warmup", "1", "--verbose", "2",
		"--history", hist, "--save", saved, "--save-best", best, "--csv-log", csvLog)
	require.Equal(t, 0, status, errs)
	// Keras 3's verbose=2 line, with the learning rate last.
	assert.Regexp(t, `(?m)^16/16 - \d+s - \d+(us|ms)/step - accuracy: 0\.\d{4} - loss: \d\.\d{4} - val_accuracy: 0\.\d{4} - val_loss: \d\.\d{4} - learning_rate: 0\.0000e\+00$`, out,
		"epoch 1 starts the warm-up at 0")
	assert.Contains(t, out, "descent: early stopping after epoch 2; the weights of epoch 1 (the best) restored")
	assert.NotContains(t, out, "Epoch 3/5")

	var h struct {
		History struct {
			Loss         []float64 `json:"loss"`
			LR           []float64 `json:"lr"`
			StoppedEpoch int       `json:"stopped_epoch"`
			BestEpoch    int       `json:"best_epoch"`
		} `json:"history"`
		Config map[string]any `json:"config"`
	}
	b, err := os.ReadFile(hist)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &h))
	assert.Len(t, h.History.Loss, 2)
	assert.Equal(t, 2, h.History.StoppedEpoch)
	assert.Equal(t, 1, h.History.BestEpoch)
	// 16 steps per epoch: epoch 2 starts at the end of the warm-up, at --lr.
	assert.Equal(t, []float64{0, 0.001}, h.History.LR)
	assert.Equal(t, "cosine", h.Config["lr_schedule"])
	assert.Equal(t, float64(1), h.Config["early_stopping"])

	// --save holds the restored epoch 1; --save-best has no min delta
	// (Keras's ModelCheckpoint has none), so it saved epoch 2 as well,
	// whose val_loss is lower.
	m, err := model.Load(saved)
	require.NoError(t, err)
	mb, err := model.Load(best)
	require.NoError(t, err)
	assert.Equal(t, len(mb.Params), len(m.Params))
	assert.False(t, slices.Equal(mb.Params, m.Params), "--save-best holds epoch 2, --save the restored epoch 1")

	b, err = os.ReadFile(csvLog)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSuffix(string(b), "\r\n"), "\r\n")
	require.Len(t, lines, 3, "%q", b)
	assert.Equal(t, "epoch,accuracy,learning_rate,loss,val_accuracy,val_loss", lines[0])
	assert.True(t, strings.HasPrefix(lines[1], "0,") && strings.HasPrefix(lines[2], "1,"), "%q", lines)
}
