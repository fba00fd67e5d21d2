package train_test

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/descent-ml/descent/backend/gonum"
	"github.com/descent-ml/descent/data"
	"github.com/descent-ml/descent/model"
	"github.com/descent-ml/descent/train"
)

// regressionProblem is a linear regression y = w·x + b + noise with
// features of different scales, and the largest eigenvalue of its loss's
// Hessian.
//
// For the mean squared error L(θ) = (1/N)·Σ(θ·x̃ − y)², x̃ = (x, 1), the
// Hessian is H = (2/N)·X̃ᵀX̃, constant. Full-batch gradient descent
// θ ← θ − η·∇L contracts every eigen-direction by |1 − η·λ|, so it
// converges for every η < 2/λ_max and blows up beyond: 2/λ_max is the
// largest stable rate, the answer the range test has to find.
func regressionProblem(t *testing.T, n int) (*data.TableSource, float64) {
	t.Helper()
	rng := rand.New(rand.NewPCG(7, 0))
	scales := []float64{3, 1, 0.5, 2}
	w := []float64{1, -2, 0.5, 1.5}
	f := len(scales)
	x := make([]float32, n*f)
	y := make([]float64, n)
	for i := range n {
		y[i] = 0.3 + 0.1*rng.NormFloat64()
		for j, s := range scales {
			v := s*rng.NormFloat64() + 0.5
			x[i*f+j] = float32(v)
			y[i] += w[j] * v
		}
	}
	enc, err := data.NewEncoding(data.TaskRegression, y)
	require.NoError(t, err)
	src, err := data.NewTableSource(&data.Table{Name: "linear", X: x, Y: y, N: n, F: f}, enc)
	require.NoError(t, err)

	// H = (2/N)·X̃ᵀX̃ from the rows the source hands the trainer, then its
	// largest eigenvalue by power iteration (H is symmetric positive
	// definite, 5×5).
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	bx, by := make([]float32, n*f), make([]float32, n)
	require.NoError(t, src.Batch(context.Background(), idx, bx, by, make([]int, n)))
	d := f + 1
	h := make([]float64, d*d)
	row := make([]float64, d)
	for i := range n {
		for j := range f {
			row[j] = float64(bx[i*f+j])
		}
		row[f] = 1
		for a := range d {
			for b := range d {
				h[a*d+b] += 2 * row[a] * row[b] / float64(n)
			}
		}
	}
	v := make([]float64, d)
	for i := range v {
		v[i] = 1
	}
	lambda := 0.0
	for range 500 {
		u := make([]float64, d)
		for a := range d {
			for b := range d {
				u[a] += h[a*d+b] * v[b]
			}
		}
		norm := 0.0
		for _, x := range u {
			norm += x * x
		}
		norm = math.Sqrt(norm)
		lambda = norm // ‖Hv‖ with ‖v‖ = 1
		for a := range u {
			v[a] = u[a] / norm
		}
	}
	return src, lambda
}

// The range test on a problem with a known answer: full-batch SGD on a
// linear regression, whose largest stable rate 2/λ_max is computed from
// the data. The raw loss falls until the rate nears 2/λ_max and grows past
// it by a factor (η·λ_max − 1)² per step, so the smoothed loss turns up
// within a few steps of the limit: its minimum lies at the limit or past
// it by less than a decade (the average lags the raw loss; at 25 steps a
// decade and β = 0.98 it is found 2 to 5 times above). The minimum/10
// suggestion must therefore land in the decade below the stable limit,
// [0.2/λ_max, 2/λ_max]: stable, and within a factor 10 of the fastest.
// The test must stop early, on the divergence, not run out of steps.
func TestFindLRLinearRegression(t *testing.T) {
	const n = 256
	src, lambda := regressionProblem(t, n)
	limit := 2 / lambda
	m, err := model.NewSequential(src.Features(), model.Dense(1, model.Linear))
	require.NoError(t, err)
	m.Init(rand.New(rand.NewPCG(1, 0)))
	opt := train.NewSGD(0.01, 0, false)
	tr, err := train.NewTrainer(m, gonum.New(), opt, train.MeanSquaredErrorLoss{}, n)
	require.NoError(t, err)
	defer tr.Close()

	res, err := tr.FindLR(context.Background(), src, train.LRFindConfig{Seed: 1})
	require.NoError(t, err)
	t.Logf("2/λmax = %.4g; stopped at %.4g after %d steps; suggestions %v", limit, res.LRs[len(res.LRs)-1], len(res.LRs), res.Suggestions)
	assert.True(t, res.StoppedEarly, "the loss diverges inside 1e-6..100")
	assert.Equal(t, train.DefaultLRRule, res.Rule)
	assert.Equal(t, res.Suggestions[res.Rule], res.SuggestedLR)
	assert.GreaterOrEqual(t, res.SuggestedLR, limit/10, "within a decade of the stable limit")
	assert.LessOrEqual(t, res.SuggestedLR, limit, "a stable rate")
	assert.Greater(t, res.LRs[len(res.LRs)-1], limit, "it stops only past the stable limit")
	assert.InDelta(t, 0.01, opt.LearningRate(), 0, "the learning rate is restored")

	// The suggestion trains: 30 full-batch steps at it bring the loss down
	// from where a fresh model starts.
	m.Init(rand.New(rand.NewPCG(1, 0)))
	tr2, err := train.NewTrainer(m, gonum.New(), train.NewSGD(res.SuggestedLR, 0, false), train.MeanSquaredErrorLoss{}, n)
	require.NoError(t, err)
	defer tr2.Close()
	h, err := tr2.Fit(context.Background(), src, train.FitConfig{Epochs: 30, Seed: 1})
	require.NoError(t, err)
	first, last := h.Loss[0], h.Loss[len(h.Loss)-1]
	assert.Less(t, last, first/10, "the loss falls at the suggested rate")
}

// FindLR refuses a configuration it cannot run, and stops on ctx.
func TestFindLRRefusals(t *testing.T) {
	src, _ := regressionProblem(t, 32)
	m, err := model.NewSequential(src.Features(), model.Dense(1, model.Linear))
	require.NoError(t, err)
	m.Init(rand.New(rand.NewPCG(1, 0)))
	tr, err := train.NewTrainer(m, gonum.New(), train.NewSGD(0.01, 0, false), train.MeanSquaredErrorLoss{}, 8)
	require.NoError(t, err)
	defer tr.Close()
	for _, cfg := range []train.LRFindConfig{
		{MinLR: -1}, {MinLR: 1, MaxLR: 0.5}, {Steps: 1}, {Smoothing: 1}, {DivergeFactor: 0.5}, {Rule: "median"},
	} {
		_, err := tr.FindLR(context.Background(), src, cfg)
		assert.Error(t, err, "%+v", cfg)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = tr.FindLR(ctx, src, train.LRFindConfig{})
	assert.ErrorIs(t, err, context.Canceled)
}
