package checkpoint_test

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/descent-ml/descent/backend/gonum"
	"github.com/descent-ml/descent/checkpoint"
	"github.com/descent-ml/descent/data"
	"github.com/descent-ml/descent/model"
	"github.com/descent-ml/descent/train"
)

func smallSet(n int, seed uint64) *data.Dataset {
	rng := rand.New(rand.NewPCG(seed, 9))
	d := &data.Dataset{Name: "small", N: n, NumFeatures: 6, NumClasses: 3,
		Images: make([]uint8, 6*n), Labels: make([]uint8, n)}
	for i := range d.Images {
		d.Images[i] = uint8(rng.IntN(256))
	}
	for i := range d.Labels {
		d.Labels[i] = uint8(rng.IntN(3))
	}
	return d
}

func newTrainer(t testing.TB) *train.Trainer {
	m, err := model.NewSequential(6, model.Dense(5, model.Tanh), model.Dense(3, model.Softmax))
	require.NoError(t, err)
	m.Init(rand.New(rand.NewPCG(4, 4)))
	m.Preprocessing = model.ScaleBy(255)
	tr, err := train.NewTrainer(m, gonum.New(), train.NewAdam(0.01, 0.9, 0.999, 1e-7, false), train.CategoricalCrossentropyLoss{}, 8)
	require.NoError(t, err)
	return tr
}

func identity(src *data.Dataset) checkpoint.Identity {
	return checkpoint.Identity{Data: checkpoint.DataHash(src), Split: "none", Backend: "gonum", Threads: 1,
		Optimizer: "adam", OptimizerConfig: map[string]string{"lr": "0.01"}, Seed: 7, BatchSize: 8}
}

// A Fit checkpointed every 3 steps, stopped after step 10 and resumed from
// the checkpoint folder ends with the parameters, optimizer state and
// history of the uninterrupted Fit, bit for bit; only the newest
// checkpoint is kept.
//
// With a schedule, or ReduceLROnPlateau and EarlyStopping (whose state is
// rebuilt from the resumed history), the resumed Fit uses the same rates.
func TestResumeFromCheckpointIsBitExact(t *testing.T) {
	for _, variant := range []string{"plain", "schedule", "plateau"} {
		t.Run(variant, func(t *testing.T) { resumeBitExact(t, variant) })
	}
}

func resumeBitExact(t *testing.T, variant string) {
	src, val := smallSet(50, 1), smallSet(20, 2)
	fitConfig := func() train.FitConfig {
		cfg := train.FitConfig{Epochs: 3, Seed: 7, Validation: val}
		switch variant {
		case "schedule":
			cfg.Schedule = train.CosineDecay{Initial: 0.001, WarmupTarget: 0.02, WarmupSteps: 5, DecaySteps: 16}
		case "plateau":
			cfg.Callbacks = []train.Callback{
				&train.ReduceLROnPlateau{Monitor: "loss", Mode: "max", Factor: 0.5, Patience: 1},
				&train.EarlyStopping{Monitor: "val_loss", Patience: 5},
			}
		}
		return cfg
	}
	cfg := fitConfig()
	ref := newTrainer(t)
	want, err := ref.Fit(context.Background(), src, cfg)
	require.NoError(t, err)

	dir := t.TempDir()
	tr := newTrainer(t)
	s, err := checkpoint.NewSaver(dir, 3, tr, identity(src), json.RawMessage(`{"run":1}`))
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	c := fitConfig()
	c.OnState = saveThenCancelAt(s, 10, cancel)
	_, err = tr.Fit(ctx, src, c)
	require.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, filepath.Join(dir, checkpoint.Name(10)), s.Last, "the stop writes the position of the stop")
	ents, _ := os.ReadDir(dir)
	assert.Len(t, ents, 2, "LATEST and one checkpoint: %v", ents)

	ck, folder, err := checkpoint.Load(dir)
	require.NoError(t, err)
	assert.Equal(t, s.Last, folder)
	assert.JSONEq(t, `{"run":1}`, string(ck.Config))
	require.NoError(t, ck.Check(identity(src), newTrainer(t).Model()))
	re := newTrainer(t)
	st, err := ck.Restore(re)
	require.NoError(t, err)
	c = fitConfig()
	c.Resume = st
	got, err := re.Fit(context.Background(), src, c)
	require.NoError(t, err)
	assert.Equal(t, ref.Model().Params, re.Model().Params)
	assert.Equal(t, ref.Optimizer().State(), re.Optimizer().State())
	assert.Equal(t, want.Loss, got.Loss)
	assert.Equal(t, want.ValAccuracy, got.ValAccuracy)
	assert.Equal(t, want.LR, got.LR)
	if variant != "plain" {
		assert.Len(t, got.LR, 3)
	}
	if variant == "plateau" {
		assert.Equal(t, []float64{0.01, 0.01, 0.005}, got.LR) // epoch 2's end halves epoch 3's rate
	}
}

func writeOne(t *testing.T) (dir, folder string, src *data.Dataset) {
	src = smallSet(50, 1)
	tr := newTrainer(t)
	dir = t.TempDir()
	s, err := checkpoint.NewSaver(dir, 0, tr, identity(src), nil)
	require.NoError(t, err)
	_, err = tr.Fit(context.Background(), src, train.FitConfig{Epochs: 1, Seed: 7, OnState: s.OnState})
	require.NoError(t, err)
	return dir, s.Last, src
}

// Another run's checkpoint is refused naming what differs.
func TestCheckNamesWhatDiffers(t *testing.T) {
	dir, _, src := writeOne(t)
	ck, _, err := checkpoint.Load(dir)
	require.NoError(t, err)
	id := identity(src)
	id.Data, id.Threads, id.OptimizerConfig = "other", 2, map[string]string{"lr": "0.1"}
	m, _ := model.NewSequential(6, model.Dense(4, model.Tanh), model.Dense(3, model.Softmax))
	err = ck.Check(id, m)
	require.ErrorIs(t, err, checkpoint.ErrMismatch)
	for _, s := range []string{"training data", "threads: checkpoint 1, this run 2", "optimizer configuration", "network: checkpoint 6→5 tanh→3 softmax, this run 6→4 tanh→3 softmax"} {
		assert.ErrorContains(t, err, s)
	}
}

// A damaged, truncated or newer checkpoint is refused with the file and the reason.
func TestLoadRefusesDamage(t *testing.T) {
	for name, tc := range map[string]struct {
		damage func(folder string)
		want   string
	}{
		"flipped byte": {func(f string) {
			p := filepath.Join(f, checkpoint.ModelFile)
			b, _ := os.ReadFile(p)
			b[len(b)-1] ^= 1
			os.WriteFile(p, b, 0o644)
		}, "model.safetensors: SHA-256 differs"},
		"truncated": {func(f string) {
			p := filepath.Join(f, checkpoint.OptimizerFile)
			b, _ := os.ReadFile(p)
			os.WriteFile(p, b[:len(b)/2], 0o644)
		}, "optimizer.safetensors: " /* bytes, the manifest says */},
		"missing": {func(f string) { os.Remove(filepath.Join(f, checkpoint.StateFile)) }, "state.json"},
		"newer": {func(f string) {
			p := filepath.Join(f, checkpoint.ManifestFile)
			b, _ := os.ReadFile(p)
			var m map[string]any
			json.Unmarshal(b, &m)
			m["format"] = 99
			b, _ = json.Marshal(m)
			os.WriteFile(p, b, 0o644)
		}, "format version 99 is newer"},
	} {
		t.Run(name, func(t *testing.T) {
			dir, folder, _ := writeOne(t)
			tc.damage(folder)
			_, _, err := checkpoint.Load(dir)
			require.Error(t, err)
			assert.ErrorContains(t, err, tc.want)
		})
	}
	_, _, err := checkpoint.Load(t.TempDir())
	assert.ErrorContains(t, err, "no complete checkpoint")
}

// A header length beyond the file is refused before any allocation.
func TestDecodeSafetensorsRefusesLies(t *testing.T) {
	b, err := checkpoint.EncodeSafetensors([]checkpoint.Tensor{{Name: "a", Shape: []int{2}, Data: []float32{1, 2}}}, nil)
	require.NoError(t, err)
	lie := append([]byte(nil), b...)
	binary.LittleEndian.PutUint64(lie, 1<<62)
	_, _, err = checkpoint.DecodeSafetensors(lie)
	assert.ErrorContains(t, err, "exceeds the file")
	huge := []byte(`{"a":{"dtype":"F32","shape":[1099511627776,1024],"data_offsets":[0,8]}}`)
	f := binary.LittleEndian.AppendUint64(nil, uint64(len(huge)))
	f = append(append(f, huge...), make([]byte, 8)...)
	_, _, err = checkpoint.DecodeSafetensors(f)
	assert.ErrorContains(t, err, "too large")
}

func seqN(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}

func randFor(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0)) }

// Writing a position again (a resumed run) takes a new name: LATEST never
// names a folder being replaced, and the older one is pruned afterwards.
func TestWriteSamePositionTwice(t *testing.T) {
	dir, first, _ := writeOne(t)
	ck, _, err := checkpoint.Load(dir)
	require.NoError(t, err)
	second, err := checkpoint.Write(dir, ck)
	require.NoError(t, err)
	assert.Equal(t, first+".1", second)
	_, folder, err := checkpoint.Load(dir)
	require.NoError(t, err)
	assert.Equal(t, second, folder)
	ents, _ := os.ReadDir(dir)
	assert.Len(t, ents, 2, "LATEST and one checkpoint: %v", ents)
}

// saveThenCancelAt is an OnState that passes every state to s and cancels
// the fit after its step-th step, so that the stop writes a checkpoint.
func saveThenCancelAt(s *checkpoint.Saver, step int, cancel context.CancelFunc) func(train.FitState) error {
	n := 0
	return func(st train.FitState) error {
		if err := s.OnState(st); err != nil {
			return err
		}
		if st.Reason == train.StateStep {
			if n++; n == step {
				cancel()
			}
		}
		return nil
	}
}
