package train

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// assertAllClose checks |got−want| ≤ atol + rtol·|want| elementwise, the
// rule of numpy.allclose and of Keras's assertAllClose.
func assertAllClose(t *testing.T, want []float64, got []float32, rtol, atol float64, msgAndArgs ...any) {
	t.Helper()
	require.Len(t, got, len(want), msgAndArgs...)
	for i := range want {
		if d := math.Abs(float64(got[i]) - want[i]); !(d <= atol+rtol*math.Abs(want[i])) {
			assert.Failf(t, "not close",
				"index %d: got %.9g, want %.9g (diff %.3g > atol %g + rtol %g·|want|)\n%s",
				i, got[i], want[i], d, atol, rtol, fmt.Sprint(msgAndArgs...))
		}
	}
}

// runKerasGolden reproduces the setup of Keras's test_correctness_with_golden
// (keras/src/optimizers/{sgd,rmsprop,adam}_test.py): x starts as ten ones,
// takes one step with the gradient 0.01 everywhere, and golden[i] is x after
// i further steps with the gradient arange(0.1, 1.1, 0.1). Keras compares
// with rtol = atol = 5e-4, the golden values having four decimals.
func runKerasGolden(t *testing.T, opt Optimizer, golden [][]float64) {
	t.Helper()
	x, first, grads := make([]float32, 10), make([]float32, 10), make([]float32, 10)
	for i := range x {
		x[i], first[i], grads[i] = 1, 0.01, float32(0.1*float64(i+1))
	}
	opt.Build(len(x))
	opt.Step(x, first)
	for i, want := range golden {
		assertAllClose(t, want, x, 5e-4, 5e-4, "golden row ", i)
		opt.Step(x, grads)
	}
}

// tile returns n copies of each value, like Keras's np.tile([[a], [b]], (1, n)).
func tile(n int, values ...float64) [][]float64 {
	rows := make([][]float64, len(values))
	for i, v := range values {
		rows[i] = make([]float64, n)
		for j := range rows[i] {
			rows[i][j] = v
		}
	}
	return rows
}

// optimizerConfigs are the configurations the shared tests run on: every
// slot layout of every optimizer.
var optimizerConfigs = []struct {
	name  string
	new   func() Optimizer
	slots int
}{
	{"sgd", func() Optimizer { return NewSGD(0.1, 0, false) }, 0},
	{"sgd momentum", func() Optimizer { return NewSGD(0.1, 0.9, false) }, 1},
	{"sgd nesterov", func() Optimizer { return NewSGD(0.1, 0.9, true) }, 1},
	{"rmsprop", func() Optimizer { return NewRMSprop(0.01, 0.9, 0, 1e-7, false) }, 1},
	{"rmsprop momentum", func() Optimizer { return NewRMSprop(0.01, 0.9, 0.5, 1e-7, false) }, 2},
	{"rmsprop centered", func() Optimizer { return NewRMSprop(0.01, 0.9, 0, 1e-7, true) }, 2},
	{"rmsprop centered momentum", func() Optimizer { return NewRMSprop(0.01, 0.9, 0.5, 1e-7, true) }, 3},
	{"adam", func() Optimizer { return NewAdam(0.01, 0.9, 0.999, 1e-7, false) }, 2},
	{"adam amsgrad", func() Optimizer { return NewAdam(0.01, 0.9, 0.999, 1e-7, true) }, 3},
	{"adamw", func() Optimizer { return NewAdamW(0.01, 0.004, 0.9, 0.999, 1e-7, false) }, 2},
	{"adamw amsgrad", func() Optimizer { return NewAdamW(0.01, 0.5, 0.9, 0.999, 1e-7, true) }, 3},
	{"nadam", func() Optimizer { return NewNadam(0.01, 0.9, 0.999, 1e-7) }, 2},
	{"nadam weight decay", func() Optimizer { return withDecay(NewNadam(0.01, 0.9, 0.999, 1e-7), 0.1) }, 2},
	{"sgd weight decay", func() Optimizer { return withDecay(NewSGD(0.1, 0, false), 0.1) }, 0},
	{"rmsprop weight decay", func() Optimizer { return withDecay(NewRMSprop(0.01, 0.9, 0.5, 1e-7, true), 0.1) }, 3},
}

// withDecay sets o's decoupled weight decay and returns o.
func withDecay[O interface {
	Optimizer
	WeightDecayer
}](o O, wd float64) O {
	o.SetWeightDecay(wd)
	return o
}

func randomSlice(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(r.NormFloat64())
	}
	return s
}

func bits(s []float32) []uint32 {
	b := make([]uint32, len(s))
	for i, x := range s {
		b[i] = math.Float32bits(x)
	}
	return b
}

func TestOptimizerNames(t *testing.T) {
	assert.Equal(t, "sgd", NewSGD(0.01, 0.9, true).Name())
	assert.Equal(t, "rmsprop", NewRMSprop(0.001, 0.9, 0, 1e-7, false).Name())
	assert.Equal(t, "adam", NewAdam(0.001, 0.9, 0.999, 1e-7, false).Name())
	assert.Equal(t, "adamw", NewAdamW(0.001, 0.004, 0.9, 0.999, 1e-7, false).Name())
	assert.Equal(t, "nadam", NewNadam(0.001, 0.9, 0.999, 1e-7).Name())
}

// TestOptimizerStateRoundTrip checks that k steps, State, a fresh optimizer,
// SetState and more steps give the same bits as one uninterrupted run.
func TestOptimizerStateRoundTrip(t *testing.T) {
	const n, before, after = 7, 3, 4
	for _, c := range optimizerConfigs {
		t.Run(c.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(1, 2))
			init := randomSlice(r, n)
			grads := make([][]float32, before+after)
			for i := range grads {
				grads[i] = randomSlice(r, n)
			}

			straight := append([]float32(nil), init...)
			a := c.new()
			a.Build(n)
			for _, g := range grads {
				a.Step(straight, g)
			}

			resumed := append([]float32(nil), init...)
			b := c.new()
			b.Build(n)
			for _, g := range grads[:before] {
				b.Step(resumed, g)
			}
			st := b.State()
			require.Equal(t, int64(before), st.Iterations)
			require.Len(t, st.Slots, c.slots)
			for _, s := range st.Slots {
				require.Len(t, s, n)
			}

			fresh := c.new()
			fresh.Build(n)
			require.NoError(t, fresh.SetState(st))
			// The state is a snapshot: neither side aliases the other.
			for _, s := range st.Slots {
				s[0] = float32(math.NaN())
			}
			for _, o := range []Optimizer{b, fresh} {
				for i, s := range o.State().Slots {
					assert.False(t, math.IsNaN(float64(s[0])), "slot %d shared with a State", i)
				}
			}
			assert.Equal(t, int64(before), fresh.Iterations())
			for _, g := range grads[before:] {
				fresh.Step(resumed, g)
			}

			assert.Equal(t, bits(straight), bits(resumed), "parameters")
			assert.Equal(t, a.Iterations(), fresh.Iterations())
			sa, sf := a.State(), fresh.State()
			require.Len(t, sf.Slots, len(sa.Slots))
			for i := range sa.Slots {
				assert.Equal(t, bits(sa.Slots[i]), bits(sf.Slots[i]), "slot %d", i)
			}
		})
	}
}

func TestOptimizerSetStateErrors(t *testing.T) {
	for _, c := range optimizerConfigs {
		t.Run(c.name, func(t *testing.T) {
			o := c.new()
			assert.ErrorContains(t, o.SetState(OptimizerState{}), "before Build")

			o.Build(3)
			params := []float32{1, 2, 3}
			o.Step(params, []float32{0.5, -1, 2})
			good := o.State()

			// state returns a state with zeroed slots of the given lengths.
			state := func(iterations int64, lens ...int) OptimizerState {
				s := OptimizerState{Iterations: iterations, Slots: make([][]float32, len(lens))}
				for i, l := range lens {
					s.Slots[i] = make([]float32, l)
				}
				return s
			}
			threes := func(k int) []int { return []int{3, 3, 3, 3}[:k] }
			type badState struct {
				name  string
				state OptimizerState
				msg   string
			}
			bad := []badState{
				{"one slot too many", state(1, threes(c.slots+1)...), "slots"},
				{"negative iterations", OptimizerState{Iterations: -1, Slots: good.Slots}, "iterations"},
			}
			if c.slots > 0 {
				bad = append(bad, badState{"one slot too few", state(1, threes(c.slots-1)...), "slots"})
			}
			for i := range c.slots {
				for _, l := range []int{0, 2, 4} {
					lens := threes(c.slots)
					lens[i] = l
					bad = append(bad, badState{fmt.Sprintf("slot %d of length %d", i, l), state(1, lens...), "want 3"})
				}
			}
			for _, b := range bad {
				assert.ErrorContains(t, o.SetState(b.state), b.msg, b.name)
				// A failed SetState leaves the optimizer as it was.
				now := o.State()
				assert.Equal(t, good.Iterations, now.Iterations, b.name)
				assert.Equal(t, good.Slots, now.Slots, b.name)
			}
		})
	}
}

func TestOptimizerStepPanicsOnMisuse(t *testing.T) {
	for _, c := range optimizerConfigs {
		t.Run(c.name, func(t *testing.T) {
			o := c.new()
			assert.PanicsWithValue(t, "train: optimizer Step before Build", func() {
				o.Step([]float32{1}, []float32{1})
			})
			o.Build(2)
			assert.Panics(t, func() { o.Step([]float32{1, 2}, []float32{1}) })
			assert.Panics(t, func() { o.Step([]float32{1, 2, 3}, []float32{1, 2, 3}) })
		})
	}
}

// TestOptimizerBuildResets checks that a second Build starts over.
func TestOptimizerBuildResets(t *testing.T) {
	for _, c := range optimizerConfigs {
		t.Run(c.name, func(t *testing.T) {
			grads := []float32{0.5, -1}
			run := func(o Optimizer) []float32 {
				p := []float32{1, 2}
				o.Step(p, grads)
				o.Step(p, grads)
				return p
			}
			o := c.new()
			o.Build(2)
			want := run(o)
			o.Build(2)
			assert.Equal(t, int64(0), o.Iterations())
			assert.Equal(t, bits(want), bits(run(o)))
			assert.Equal(t, int64(2), o.Iterations())
		})
	}
}

func TestOptimizerStepAllocatesNothing(t *testing.T) {
	for _, c := range optimizerConfigs {
		t.Run(c.name, func(t *testing.T) {
			const n = 1000
			r := rand.New(rand.NewPCG(3, 4))
			params, grads := randomSlice(r, n), randomSlice(r, n)
			o := c.new()
			o.Build(n)
			assert.Zero(t, testing.AllocsPerRun(10, func() { o.Step(params, grads) }))
		})
	}
}

// benchmarkStep times Step on 109386 parameters (the size of the MNIST MLP
// this trainer is used on) and reports ns/param.
func benchmarkStep(b *testing.B, o Optimizer) {
	const n = 109386
	r := rand.New(rand.NewPCG(5, 6))
	params, grads := randomSlice(r, n), randomSlice(r, n)
	for i := range grads {
		grads[i] *= 1e-3 // keep the parameters from drifting far
	}
	o.Build(n)
	for b.Loop() {
		o.Step(params, grads)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/param")
}

func BenchmarkAdamStep(b *testing.B) { benchmarkStep(b, NewAdam(0.001, 0.9, 0.999, 1e-7, false)) }

func BenchmarkAdamAMSGradStep(b *testing.B) {
	benchmarkStep(b, NewAdam(0.001, 0.9, 0.999, 1e-7, true))
}

func BenchmarkRMSpropStep(b *testing.B) {
	benchmarkStep(b, NewRMSprop(0.001, 0.9, 0, 1e-7, false))
}

func BenchmarkNadamStep(b *testing.B) { benchmarkStep(b, NewNadam(0.001, 0.9, 0.999, 1e-7)) }

func BenchmarkAdamWStep(b *testing.B) {
	benchmarkStep(b, NewAdamW(0.001, 0.004, 0.9, 0.999, 1e-7, false))
}

func BenchmarkSGDStep(b *testing.B) { benchmarkStep(b, NewSGD(0.01, 0, false)) }

func BenchmarkSGDNesterovStep(b *testing.B) { benchmarkStep(b, NewSGD(0.01, 0.9, true)) }
