package checkpoint_test

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/descent-ml/descent/backend/gonum"
	"github.com/descent-ml/descent/checkpoint"
	"github.com/descent-ml/descent/data"
	"github.com/descent-ml/descent/model"
	"github.com/descent-ml/descent/train"
)

// requireTorch skips (or, with DESCENT_REQUIRE_TORCH=1, fails) when
// /usr/bin/python3 cannot import torch and numpy.
func requireTorch(t *testing.T) string {
	py := "/usr/bin/python3"
	if p := os.Getenv("DESCENT_TORCH_PYTHON"); p != "" {
		py = p
	}
	if out, err := exec.Command(py, "-c", "import torch, numpy").CombinedOutput(); err != nil {
		msg := "PYTORCH READER NOT TESTED: " + py + " cannot import torch: " + strings.TrimSpace(string(out))
		if os.Getenv("DESCENT_REQUIRE_TORCH") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg + " (DESCENT_REQUIRE_TORCH=1 makes this a failure)")
	}
	return py
}

// A checkpoint's weights, read by scripts/golden/safetensors_reader.py (the
// safetensors format read with json and numpy) and loaded into the same
// network in PyTorch, predict the MNIST test set with descent's classes.
func TestTorchReadsCheckpoint(t *testing.T) {
	py := requireTorch(t)
	dir, err := data.LocateMNIST()
	require.NoError(t, err)
	full, test, err := data.LoadMNIST(dir)
	require.NoError(t, err)
	src := full.Subset(seqN(10000))
	m, err := model.NewSequential(784, model.Dense(32, model.Sigmoid), model.Dense(16, model.ReLU), model.Dense(10, model.Softmax))
	require.NoError(t, err)
	m.Init(randFor(1))
	m.Preprocessing = model.ScaleBy(255)
	tr, err := train.NewTrainer(m, gonum.New(), train.NewAdam(0.001, 0.9, 0.999, 1e-7, false), train.CategoricalCrossentropyLoss{}, 128)
	require.NoError(t, err)
	ck := t.TempDir()
	s, err := checkpoint.NewSaver(ck, 0, tr, checkpoint.Identity{Optimizer: "adam"}, nil)
	require.NoError(t, err)
	_, err = tr.Fit(context.Background(), src, train.FitConfig{Epochs: 2, Seed: 1, OnState: s.OnState})
	require.NoError(t, err)
	_, acc, want, err := tr.EvaluateClasses(context.Background(), test)
	require.NoError(t, err)
	require.Greater(t, acc, 0.8)

	_, file, _, _ := runtime.Caller(0)
	script := filepath.Join(filepath.Dir(file), "..", "scripts", "golden", "safetensors_reader.py")
	var stderr bytes.Buffer
	cmd := exec.Command(py, script, ck, dir)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, stderr.String())
	assert.Contains(t, stderr.String(), "layers.0.kernel float32 [784, 32]")
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() && sc.Text() != "classes:" {
	}
	var got []int
	for sc.Scan() {
		c, err := strconv.Atoi(sc.Text())
		require.NoError(t, err)
		got = append(got, c)
	}
	require.Len(t, got, len(want))
	diff := 0
	for i := range got {
		if got[i] != want[i] {
			diff++
		}
	}
	t.Logf("PyTorch from the checkpoint and descent agree on %d of %d test images (accuracy %.4f)", len(got)-diff, len(got), acc)
	assert.Zero(t, diff, "test images classified differently by PyTorch")
}
