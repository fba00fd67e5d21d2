package predict_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/descent-ml/descent/backend"
	"github.com/descent-ml/descent/backend/registry"
	"github.com/descent-ml/descent/data"
	"github.com/descent-ml/descent/model"
	"github.com/descent-ml/descent/predict"
	"github.com/descent-ml/descent/train"
)

// net is a small MNIST-shaped network (raw 0–255 inputs, /255 scaling).
func net(t testing.TB, hidden int, seed uint64) *model.Sequential {
	m, err := model.NewSequential(784, model.Dense(hidden, model.Sigmoid), model.Dense(hidden, model.Sigmoid), model.Dense(10, model.Softmax))
	require.NoError(t, err)
	m.Init(rand.New(rand.NewPCG(seed, 1)))
	m.Preprocessing = model.ScaleBy(255)
	return m
}

// pixels returns rows random raw images (integers 0–255 as float32).
func pixels(rows int, seed uint64) []float32 {
	rng := rand.New(rand.NewPCG(seed, 2))
	x := make([]float32, rows*784)
	for i := range x {
		x[i] = float32(rng.IntN(256))
	}
	return x
}

// reference runs m row by row on the pure-Go engine through a training
// workspace, after the model's preprocessing, in float32: what a
// prediction must agree with.
func reference(t testing.TB, m *model.Sequential, x []float32, rows int) []float32 {
	eng, _, err := registry.Open("gonum")
	require.NoError(t, err)
	ws, err := m.NewWorkspace(eng, 1)
	require.NoError(t, err)
	out := make([]float32, 0, rows*m.Output())
	row := make([]float32, m.Input())
	for r := range rows {
		m.Preprocessing.Apply(row, x[r*m.Input():], 1, m.Input())
		y, err := m.Forward(ws, row, 1)
		require.NoError(t, err)
		out = append(out, y...)
	}
	return out
}

// engines opens every backend this binary has.
func engines(t testing.TB) map[string]backend.Engine {
	out := map[string]backend.Engine{}
	for _, name := range []string{"gonum", "openblas", "dnnl"} {
		e, _, err := registry.Open(name)
		if err != nil {
			t.Logf("%s: %v", name, err)
			continue
		}
		out[name] = e
		if c, ok := e.(interface{ Close() error }); ok {
			t.Cleanup(func() { c.Close() })
		}
	}
	require.Contains(t, out, "gonum")
	return out
}

func TestBuckets(t *testing.T) {
	for _, tc := range []struct {
		max  int
		want []int
	}{
		{1, []int{1}},
		{2, []int{1, 2}},
		{5, []int{1, 2, 3, 4, 5}},
		{128, []int{1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128}},
		{256, []int{1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256}},
		{100, []int{1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 100}},
	} {
		got := predict.Buckets(tc.max)
		assert.Equal(t, tc.want, got, "max %d", tc.max)
		for i := 1; i < len(got); i++ {
			if got[i-1] >= 4 {
				assert.LessOrEqual(t, float64(got[i]), 1.5*float64(got[i-1])+1e-9, "padding bound at %d", got[i])
			}
		}
	}
}

// Every backend answers what the float32 Go reference computes, after the
// model's own preprocessing, for request sizes that hit buckets exactly, pad
// and split into chunks.
func TestPredictMatchesReference(t *testing.T) {
	m := net(t, 32, 1)
	const rows = 300
	x := pixels(rows, 1)
	want := reference(t, m, x, rows)
	for name, e := range engines(t) {
		t.Run(name, func(t *testing.T) {
			p, err := predict.New(m, e, predict.Options{MaxBatch: 64, Workers: 2})
			require.NoError(t, err)
			defer p.Close()
			for _, r := range []int{1, 5, 64, 65, rows} {
				got, classes, err := p.Predict(context.Background(), x, r)
				require.NoError(t, err)
				require.Len(t, got, r*10)
				for i, v := range got {
					// Summation order differs between engines and batch sizes:
					// a few float32 ulps of a probability ≤ 1.
					require.InDelta(t, want[i], v, 2e-6, "%s rows=%d value %d", name, r, i)
				}
				for row, c := range classes {
					assert.Equal(t, predict.Argmax(got[row*10:(row+1)*10]), c)
				}
			}
		})
	}
}

// The concurrency promise: 16 goroutines predicting at once, on every
// backend, get bitwise the answers of a sequential run — while another
// model trains on the same engine in the same process.
func TestConcurrentPredictionIsBitwiseSequential(t *testing.T) {
	m := net(t, 32, 2)
	const goroutines = 16
	sizes := []int{1, 3, 17, 64, 100}
	rounds := 4
	if testing.Short() {
		rounds = 2
	}
	x := pixels(100, 2)
	for name, e := range engines(t) {
		t.Run(name, func(t *testing.T) {
			p, err := predict.New(m, e, predict.Options{MaxBatch: 64, Workers: 4})
			require.NoError(t, err)
			defer p.Close()
			want := map[int][]float32{}
			for _, r := range sizes {
				out := make([]float32, r*10)
				require.NoError(t, p.PredictInto(context.Background(), x, r, out))
				want[r] = out
			}

			// Another model trains meanwhile, on the same engine.
			ctx, cancel := context.WithCancel(context.Background())
			trained := make(chan error, 1)
			go func() { trained <- trainUntilCancelled(ctx, e) }()

			var wg sync.WaitGroup
			errs := make(chan error, goroutines)
			for g := range goroutines {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range rounds * len(sizes) {
						r := sizes[(g+i)%len(sizes)]
						out := make([]float32, r*10)
						if err := p.PredictInto(context.Background(), x, r, out); err != nil {
							errs <- err
							return
						}
						for j := range out {
							if math.Float32bits(out[j]) != math.Float32bits(want[r][j]) {
								errs <- fmt.Errorf("goroutine %d, %d rows: value %d is %v, sequentially %v", g, r, j, out[j], want[r][j])
								return
							}
						}
					}
				}()
			}
			wg.Wait()
			cancel()
			require.NoError(t, <-trained)
			close(errs)
			for err := range errs {
				t.Error(err)
			}
		})
	}
}

// trainUntilCancelled trains a small network on e until ctx ends.
func trainUntilCancelled(ctx context.Context, e backend.Engine) error {
	m, err := model.NewSequential(16, model.Dense(8, model.Tanh), model.Dense(4, model.Softmax))
	if err != nil {
		return err
	}
	m.Init(rand.New(rand.NewPCG(5, 5)))
	src := &data.Dataset{Name: "noise", N: 64, NumFeatures: 16, NumClasses: 4, Images: make([]uint8, 64*16), Labels: make([]uint8, 64)}
	for i := range src.Images {
		src.Images[i] = uint8(i * 7)
	}
	for i := range src.Labels {
		src.Labels[i] = uint8(i % 4)
	}
	tr, err := train.NewTrainer(m, e, train.NewAdam(0.01, 0.9, 0.999, 1e-7, false), train.CategoricalCrossentropyLoss{}, 16)
	if err != nil {
		return err
	}
	defer tr.Close()
	for ctx.Err() == nil {
		if _, err := tr.Fit(ctx, src, train.FitConfig{Epochs: 1}); err != nil && !errors.Is(err, context.Canceled) {
			return err
		}
	}
	return nil
}

// Swap is atomic: while models A and B (and C, of another architecture)
// are swapped in and out, every answer is wholly A's, B's or C's.
func TestSwapIsAtomic(t *testing.T) {
	a, b, c := net(t, 32, 3), net(t, 32, 4), net(t, 16, 5)
	const rows = 70 // two chunks of MaxBatch 64: a swap between them must not mix
	x := pixels(rows, 3)
	refs := [][]float32{reference(t, a, x, rows), reference(t, b, x, rows), reference(t, c, x, rows)}
	for name, e := range engines(t) {
		t.Run(name, func(t *testing.T) {
			p, err := predict.New(a, e, predict.Options{MaxBatch: 64, Workers: 2})
			require.NoError(t, err)
			exact := make([][]float32, 3) // each model's answer on this engine
			for i, m := range []*model.Sequential{a, b, c} {
				_, err := p.Swap(m)
				require.NoError(t, err)
				exact[i], _, err = p.Predict(context.Background(), x, rows)
				require.NoError(t, err)
				for j := range exact[i] {
					require.InDelta(t, refs[i][j], exact[i][j], 2e-6)
				}
			}
			var stop atomic.Bool
			var swaps atomic.Int64
			done := make(chan struct{})
			go func() {
				defer close(done)
				for i := 0; !stop.Load(); i++ {
					if _, err := p.Swap([]*model.Sequential{a, b, c}[i%3]); err != nil {
						t.Error(err)
						return
					}
					swaps.Add(1)
				}
			}()
			var wg sync.WaitGroup
			var readersDone atomic.Bool
			seen := make([]atomic.Int64, 3)
			for range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for !readersDone.Load() {
						got, _, err := p.Predict(context.Background(), x, rows)
						if !assert.NoError(t, err) {
							return
						}
						match := -1
						for i, want := range exact {
							if equalBits(got, want) {
								match = i
							}
						}
						if !assert.NotEqual(t, -1, match, "an answer that is no single model's") {
							return
						}
						seen[match].Add(1)
					}
				}()
			}
			// Read until at least a dozen swaps and 16 answers have
			// happened (each swap to another architecture makes new plans,
			// which takes a while on native engines; on a loaded machine
			// either side may run far ahead of the other).
			answers := func() int64 { return seen[0].Load() + seen[1].Load() + seen[2].Load() }
			for deadline := time.Now().Add(20 * time.Second); (swaps.Load() < 12 || answers() < 16) && time.Now().Before(deadline); {
				time.Sleep(time.Millisecond)
			}
			readersDone.Store(true)
			wg.Wait()
			stop.Store(true)
			<-done
			t.Logf("%d swaps; answers from A, B, C: %d, %d, %d", swaps.Load(), seen[0].Load(), seen[1].Load(), seen[2].Load())
			assert.GreaterOrEqual(t, swaps.Load(), int64(12))
			assert.GreaterOrEqual(t, answers(), int64(16))
			require.NoError(t, p.Close())
		})
	}
}

func equalBits(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}

// The snapshot is a copy: training may go on changing the model.
func TestSnapshotIsACopy(t *testing.T) {
	m := net(t, 16, 6)
	x := pixels(4, 6)
	p, err := predict.New(m, engines(t)["gonum"], predict.Options{Workers: 1})
	require.NoError(t, err)
	defer p.Close()
	before, _, err := p.Predict(context.Background(), x, 4)
	require.NoError(t, err)
	for i := range m.Params {
		m.Params[i] = 0
	}
	after, _, err := p.Predict(context.Background(), x, 4)
	require.NoError(t, err)
	assert.Equal(t, before, after)
	v, err := p.Swap(m)
	require.NoError(t, err)
	assert.Equal(t, int64(2), v)
	assert.Equal(t, int64(2), p.Version())
	now, _, err := p.Predict(context.Background(), x, 4)
	require.NoError(t, err)
	assert.InDelta(t, 0.1, now[0], 1e-6, "all-zero weights: uniform probabilities")
}

func TestPredictErrorsAndClose(t *testing.T) {
	m := net(t, 16, 7)
	p, err := predict.New(m, engines(t)["gonum"], predict.Options{Workers: 1, MaxBatch: 8})
	require.NoError(t, err)
	ctx := context.Background()
	_, _, err = p.Predict(ctx, make([]float32, 783), 1)
	assert.ErrorContains(t, err, "input has 783 values, want 784")
	_, _, err = p.Predict(ctx, nil, 0)
	assert.ErrorContains(t, err, "0 rows")
	assert.ErrorContains(t, p.PredictInto(ctx, make([]float32, 784), 1, make([]float32, 9)), "output buffer has 9 values, want 10")
	assert.Equal(t, 784, p.Input())
	assert.Equal(t, 10, p.Output())

	// With the only workspace busy, a request gives up with its context.
	hold := make(chan struct{})
	release := make(chan struct{})
	go p.PredictSource(ctx, slowSource{hold: hold, release: release}, func(predict.Batch) error { return nil })
	<-hold
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	_, _, err = p.Predict(short, make([]float32, 784), 1)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	close(release)

	require.NoError(t, p.Close())
	_, _, err = p.Predict(ctx, make([]float32, 784), 1)
	assert.ErrorIs(t, err, predict.ErrClosed)
	_, err = p.Swap(m)
	assert.ErrorIs(t, err, predict.ErrClosed)
	assert.Zero(t, p.Version())
	assert.NoError(t, p.Close(), "a second Close is a no-op")

	_, err = predict.New(m, engines(t)["gonum"], predict.Options{Workers: -1})
	assert.Error(t, err)
	bad := m.Clone()
	bad.Preprocessing.Divisor = []float32{0}
	_, err = predict.New(bad, engines(t)["gonum"], predict.Options{})
	assert.ErrorContains(t, err, "divisor[0] is 0")
}

// slowSource blocks in Batch until released, holding the workspace.
type slowSource struct{ hold, release chan struct{} }

func (slowSource) Len() int      { return 1 }
func (slowSource) Features() int { return 784 }
func (slowSource) Targets() int  { return 10 }
func (slowSource) Classes() int  { return 10 }
func (s slowSource) Batch(_ context.Context, idx []int, x, y []float32, labels []int) error {
	close(s.hold)
	<-s.release
	return nil
}

// A warm PredictInto allocates nothing, on every backend.
func TestPredictIntoAllocatesNothing(t *testing.T) {
	m := net(t, 32, 8)
	x := pixels(40, 8)
	out := make([]float32, 40*10)
	for name, e := range engines(t) {
		p, err := predict.New(m, e, predict.Options{Workers: 1, MaxBatch: 32})
		require.NoError(t, err)
		require.NoError(t, p.PredictInto(context.Background(), x, 40, out))
		allocs := testing.AllocsPerRun(20, func() {
			if err := p.PredictInto(context.Background(), x, 40, out); err != nil {
				t.Fatal(err)
			}
		})
		assert.Zero(t, allocs, name)
		require.NoError(t, p.Close())
	}
}

// PredictSource feeds the source's (already scaled) features and hands back
// its targets beside the outputs.
func TestPredictSource(t *testing.T) {
	m := net(t, 16, 9)
	raw := pixels(10, 9)
	ds := &data.Dataset{Name: "ten", N: 10, NumFeatures: 784, NumClasses: 10, Images: make([]uint8, 10*784), Labels: make([]uint8, 10)}
	for i, v := range raw {
		ds.Images[i] = uint8(v)
	}
	for i := range ds.Labels {
		ds.Labels[i] = uint8(9 - i)
	}
	p, err := predict.New(m, engines(t)["gonum"], predict.Options{Workers: 1, MaxBatch: 4})
	require.NoError(t, err)
	defer p.Close()
	want, _, err := p.Predict(context.Background(), raw, 10)
	require.NoError(t, err)
	var got []float32
	var labels []int
	err = p.PredictSource(context.Background(), ds, func(b predict.Batch) error {
		assert.Equal(t, len(got)/10, b.Start)
		got = append(got, b.Outputs...)
		labels = append(labels, b.Labels...)
		assert.Len(t, b.Targets, b.Rows*10)
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, want, got, "the source's scaling is the model's preprocessing")
	assert.Equal(t, []int{9, 8, 7, 6, 5, 4, 3, 2, 1, 0}, labels)
	stop := errors.New("enough")
	assert.ErrorIs(t, p.PredictSource(context.Background(), ds, func(predict.Batch) error { return stop }), stop)
	wrong := &data.Dataset{Name: "wrong", N: 1, NumFeatures: 3, NumClasses: 10, Images: make([]uint8, 3), Labels: make([]uint8, 1)}
	assert.ErrorContains(t, p.PredictSource(context.Background(), wrong, nil), "3 features per sample, the model takes 784")
}
