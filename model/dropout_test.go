package model

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/descent-ml/descent/backend"
	"github.com/descent-ml/descent/backend/gonum"
	"github.com/descent-ml/descent/backend/registry"
)

// dropoutNet is 6 → 8 tanh (dropout rate) → 7 sigmoid (dropout rate/2) → 3 softmax.
func dropoutNet(t *testing.T, rate float64) *Sequential {
	t.Helper()
	m, err := NewSequential(6, Dense(8, Tanh).WithDropout(rate), Dense(7, Sigmoid).WithDropout(rate/2), Dense(3, Softmax))
	require.NoError(t, err)
	m.Init(rand.New(rand.NewPCG(11, 12)))
	return m
}

func randInput(seed uint64, n int) []float32 {
	rng := rand.New(rand.NewPCG(seed, 1))
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(2*rng.Float64() - 1)
	}
	return x
}

// The fraction dropped over n = 10⁶ draws is within 6σ of rate·n, σ =
// √(n·rate·(1−rate)) the binomial's standard deviation (a false failure
// has probability about 2·10⁻⁹); every kept value is exactly
// float32(1/(1−rate)).
func TestDropoutMaskStatistics(t *testing.T) {
	const n = 1_000_000
	for _, rate := range []float64{0.01, 0.1, 0.2, 0.5, 0.8, 0.99} {
		t.Run(fmt.Sprint(rate), func(t *testing.T) {
			mask := make([]float32, n+1) // odd: the last value takes a draw of its own
			var pcg rand.PCG
			drawMask(&pcg, DropoutKey{Seed: 3, Step: 5}, 1, rate, mask)
			scale := float32(1 / (1 - rate))
			dropped := 0
			for i, v := range mask {
				switch v {
				case 0:
					dropped++
				case scale:
				default:
					require.Failf(t, "mask value", "mask[%d] = %v, want 0 or %v", i, v, scale)
				}
			}
			mean, sigma := rate*float64(len(mask)), math.Sqrt(float64(len(mask))*rate*(1-rate))
			assert.InDelta(t, mean, float64(dropped), 6*sigma, "dropped %d of %d at rate %v", dropped, len(mask), rate)
			// The even and the odd positions (the two halves of each draw)
			// each drop at the rate too.
			even := 0
			for i := 0; i < len(mask); i += 2 {
				if mask[i] == 0 {
					even++
				}
			}
			half := float64(len(mask)+1) / 2
			assert.InDelta(t, rate*half, float64(even), 6*math.Sqrt(half*rate*(1-rate)))
		})
	}
}

// In training the dropped output is the activation's output times 0 or
// exactly 1/(1−rate), and the activation's output itself is kept intact
// (the next layer reads the dropped copy).
func TestDropoutForwardScalesKeptValues(t *testing.T) {
	const batch = 64
	m := dropoutNet(t, 0.4)
	ws, err := m.NewWorkspace(gonum.New(), batch)
	require.NoError(t, err)
	x := randInput(1, batch*6)
	want, err := m.Forward(ws, x, batch)
	require.NoError(t, err)
	want = append([]float32(nil), want...)
	acts0 := append([]float32(nil), ws.acts[0][:batch*8]...)

	_, err = m.ForwardTraining(ws, x, batch, DropoutKey{Seed: 1})
	require.NoError(t, err)
	assert.Equal(t, acts0, ws.acts[0][:batch*8], "layer 0's activation output is not overwritten by its mask")
	for l, rate := range []float64{0.4, 0.2} {
		scale := float32(1 / (1 - rate))
		zeros := 0
		for i, d := range ws.dropped[l][:batch*m.layers[l].Units] {
			y := ws.acts[l][i]
			if d == 0 && ws.masks[l][i] == 0 {
				zeros++
				continue
			}
			require.Equal(t, y*scale, d, "layer %d value %d", l, i)
		}
		assert.Greater(t, zeros, 0, "layer %d dropped nothing", l)
	}
	// Forward after ForwardTraining is the evaluation output again.
	got, err := m.Forward(ws, x, batch)
	require.NoError(t, err)
	assert.Equal(t, want, got)
}

// The masks are a pure function of (seed, step, sub-step, layer): the same
// key replays them bit for bit on a fresh workspace, whatever ran before;
// another seed, step or sub-step, or another layer, gives other masks.
func TestDropoutReplaysFromSeed(t *testing.T) {
	const batch = 32
	m := dropoutNet(t, 0.5)
	x := randInput(2, batch*6)
	masks := func(key DropoutKey, warmup int) [][]float32 {
		ws, err := m.NewWorkspace(gonum.New(), batch)
		require.NoError(t, err)
		for i := range warmup {
			_, err := m.ForwardTraining(ws, x, batch, DropoutKey{Seed: 99, Step: uint64(i)})
			require.NoError(t, err)
		}
		_, err = m.ForwardTraining(ws, x, batch, key)
		require.NoError(t, err)
		return [][]float32{append([]float32(nil), ws.masks[0][:batch*8]...), append([]float32(nil), ws.masks[1][:batch*7]...)}
	}
	key := DropoutKey{Seed: 7, Step: 3, Sub: 1}
	ref := masks(key, 0)
	assert.Equal(t, ref, masks(key, 0), "same key, same masks")
	assert.Equal(t, ref, masks(key, 5), "same key after other steps, same masks")
	for _, tc := range []struct {
		name string
		key  DropoutKey
	}{
		{"seed", DropoutKey{Seed: 8, Step: 3, Sub: 1}},
		{"step", DropoutKey{Seed: 7, Step: 4, Sub: 1}},
		{"sub-step", DropoutKey{Seed: 7, Step: 3, Sub: 0}},
		{"step and sub-step swapped", DropoutKey{Seed: 7, Step: 1, Sub: 3}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			other := masks(tc.key, 0)
			assert.NotEqual(t, ref[0], other[0])
			assert.NotEqual(t, ref[1], other[1])
		})
	}
	// Layers 0 and 1 draw from streams of their own: compare their first 7
	// columns row by row (same shape at rate 0.5 vs 0.25, so compare where
	// each drops).
	zero := func(v []float32) []bool {
		b := make([]bool, len(v))
		for i := range v {
			b[i] = v[i] == 0
		}
		return b
	}
	assert.NotEqual(t, zero(ref[0][:len(ref[1])]), zero(ref[1]))
}

// engines returns every backend in this binary (the registry's), and the
// Go planner path.
func engines(t *testing.T) map[string]backend.Engine {
	t.Helper()
	out := map[string]backend.Engine{"goplanner": GoPlanner(gonum.New())}
	for _, name := range registry.Names()[1:] {
		e, _, err := registry.Open(name)
		if err != nil {
			t.Logf("backend %s unavailable: %v", name, err)
			continue
		}
		out[name] = e
	}
	return out
}

// Every backend draws the same masks for the same key: they come from Go's
// PCG, not from the engine.
func TestDropoutMasksSameOnEveryBackend(t *testing.T) {
	const batch = 16
	m := dropoutNet(t, 0.3)
	x := randInput(3, batch*6)
	key := DropoutKey{Seed: 5, Step: 2}
	var ref [][]float32
	for name, e := range engines(t) {
		ws, err := m.NewWorkspace(e, batch)
		require.NoError(t, err, name)
		_, err = m.ForwardTraining(ws, x, batch, key)
		require.NoError(t, err, name)
		got := [][]float32{ws.masks[0][:batch*8], ws.masks[1][:batch*7]}
		if ref == nil {
			ref = [][]float32{append([]float32(nil), got[0]...), append([]float32(nil), got[1]...)}
		}
		assert.Equal(t, ref, got, name)
		require.NoError(t, ws.Close())
	}
}

// Evaluation never drops: Forward of a network with dropout, on a training
// or an inference workspace, is bitwise that of the same weights without
// dropout; so is ForwardTraining with rate 0.
func TestDropoutOffInEvaluation(t *testing.T) {
	const batch = 8
	m := dropoutNet(t, 0.5)
	plain, err := NewSequential(6, Dense(8, Tanh), Dense(7, Sigmoid), Dense(3, Softmax))
	require.NoError(t, err)
	copy(plain.Params, m.Params)
	zero := dropoutNet(t, 0)
	copy(zero.Params, m.Params)
	x := randInput(4, batch*6)
	for name, e := range engines(t) {
		t.Run(name, func(t *testing.T) {
			run := func(n *Sequential, inference, training bool) []float32 {
				var ws *Workspace
				var err error
				if inference {
					ws, err = n.NewInferenceWorkspace(e, batch, []int{batch})
				} else {
					ws, err = n.NewWorkspace(e, batch)
				}
				require.NoError(t, err)
				defer ws.Close()
				var y []float32
				if training {
					y, err = n.ForwardTraining(ws, x, batch, DropoutKey{Seed: 1})
				} else {
					y, err = n.Forward(ws, x, batch)
				}
				require.NoError(t, err)
				return append([]float32(nil), y...)
			}
			want := run(plain, false, false)
			assert.Equal(t, want, run(m, false, false), "training workspace, Forward")
			assert.Equal(t, want, run(m, true, false), "inference workspace")
			assert.Equal(t, want, run(zero, false, true), "rate 0, ForwardTraining")
			assert.Equal(t, want, run(plain, false, true), "no dropout, ForwardTraining")
			assert.NotEqual(t, want, run(m, false, true), "rate 0.5, ForwardTraining drops")
		})
	}
}

func TestForwardTrainingRefusesInferenceWorkspace(t *testing.T) {
	m := dropoutNet(t, 0.5)
	ws, err := m.NewInferenceWorkspace(gonum.New(), 4, []int{4})
	require.NoError(t, err)
	_, err = m.ForwardTraining(ws, randInput(5, 24), 4, DropoutKey{})
	require.ErrorContains(t, err, "inference workspace")
}

// Backward through a fixed mask: the float32 gradient of every engine
// against float64 central differences of the same network with the masks
// the training forward pass drew, applied as constants.
func TestDropoutGradients(t *testing.T) {
	const batch = 5
	m := dropoutNet(t, 0.4)
	rng := rand.New(rand.NewPCG(6, 6))
	x64 := randVec(rng, batch*6, 1)
	c := randVec(rng, batch*3, 1)
	x32, c32 := to32(x64), to32(c)
	for name, e := range engines(t) {
		t.Run(name, func(t *testing.T) {
			ws, err := m.NewWorkspace(e, batch)
			require.NoError(t, err)
			defer ws.Close()
			_, err = m.ForwardTraining(ws, x32, batch, DropoutKey{Seed: 2, Step: 9})
			require.NoError(t, err)
			require.NoError(t, m.Backward(ws, c32, GradOutput))
			masks := make([][]float64, len(m.layers))
			for l := range m.layers {
				if ws.masks[l] != nil {
					masks[l] = to64(ws.masks[l][:batch*m.layers[l].Units])
				}
			}
			theta := to64(m.Params)
			// float64 forward over theta with the fixed masks.
			f := func() float64 { return dot(c, forward64(m, theta, x64, batch, masks)) }
			grad := to64(ws.Grads)
			fdCheck(t, "params", theta, grad, f, 2e-4)
		})
	}
}

// A network with dropout round-trips through its file and Clone, and
// SameArchitecture tells dropout rates apart; a network without dropout
// writes no "dropout" key, the bytes of files from before dropout.
func TestDropoutSaveLoadClone(t *testing.T) {
	m := dropoutNet(t, 0.25)
	var buf bytes.Buffer
	_, err := m.WriteTo(&buf)
	require.NoError(t, err)
	assert.Contains(t, buf.String(), `"dropout":0.25`)
	got, err := Decode(buf.Bytes())
	require.NoError(t, err)
	assert.Equal(t, m.Layers(), got.Layers())
	assert.True(t, m.SameArchitecture(got))
	assert.Equal(t, m.Params, got.Params)
	c := m.Clone()
	assert.True(t, m.SameArchitecture(c))
	assert.Equal(t, m.Layers(), c.Layers())

	other := dropoutNet(t, 0.3)
	assert.False(t, m.SameArchitecture(other), "another rate")
	plain, err := NewSequential(6, Dense(8, Tanh), Dense(7, Sigmoid), Dense(3, Softmax))
	require.NoError(t, err)
	assert.False(t, m.SameArchitecture(plain), "no dropout")
	buf.Reset()
	_, err = plain.WriteTo(&buf)
	require.NoError(t, err)
	assert.NotContains(t, buf.String(), "dropout")
	assert.False(t, m.HasDropout() == plain.HasDropout())
}

func TestDropoutRefusals(t *testing.T) {
	for _, tc := range []struct {
		name   string
		layers []Layer
		want   string
	}{
		{"rate 1", []Layer{Dense(4, ReLU).WithDropout(1), Dense(2, Softmax)}, "[0, 1)"},
		{"negative", []Layer{Dense(4, ReLU).WithDropout(-0.1), Dense(2, Softmax)}, "[0, 1)"},
		{"NaN", []Layer{Dense(4, ReLU).WithDropout(math.NaN()), Dense(2, Softmax)}, "[0, 1)"},
		{"output layer", []Layer{Dense(4, ReLU), Dense(2, Softmax).WithDropout(0.5)}, "output layer"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewSequential(3, tc.layers...)
			require.ErrorContains(t, err, tc.want)
		})
	}
	// A file saying so is corrupt.
	m := dropoutNet(t, 0.25)
	var buf bytes.Buffer
	_, err := m.WriteTo(&buf)
	require.NoError(t, err)
	b := bytes.Replace(buf.Bytes(), []byte(`"dropout":0.25`), []byte(`"dropout":1.25`), 1)
	_, err = Decode(withCRC(b))
	require.ErrorIs(t, err, ErrCorrupt)
	require.ErrorContains(t, err, "dropout")
}

// withCRC replaces a model file's trailing CRC with that of its content.
func withCRC(b []byte) []byte {
	out := append([]byte(nil), b...)
	binary.LittleEndian.PutUint32(out[len(out)-4:], crc32.ChecksumIEEE(out[:len(out)-4]))
	return out
}

// A warm training forward and backward pass with dropout allocates nothing.
func TestDropoutStepAllocatesNothing(t *testing.T) {
	const batch = 16
	m := dropoutNet(t, 0.5)
	x, g := randInput(7, batch*6), randInput(8, batch*3)
	for name, e := range engines(t) {
		t.Run(name, func(t *testing.T) {
			ws, err := m.NewWorkspace(e, batch)
			require.NoError(t, err)
			defer ws.Close()
			step := uint64(0)
			run := func() {
				step++
				if _, err := m.ForwardTraining(ws, x, batch, DropoutKey{Seed: 1, Step: step}); err != nil {
					panic(err)
				}
				if err := m.Backward(ws, g, GradLogits); err != nil {
					panic(err)
				}
			}
			run()
			assert.Zero(t, testing.AllocsPerRun(20, run))
		})
	}
}
