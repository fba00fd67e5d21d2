package predict_test

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/descent-ml/descent/backend/registry"
	"github.com/descent-ml/descent/model"
	"github.com/descent-ml/descent/predict"
)

// A Predictor never drops: a network with dropout predicts, on every
// backend and twice alike, bit for bit what the same weights without
// dropout predict.
func TestPredictorIgnoresDropout(t *testing.T) {
	m, err := model.NewSequential(784, model.Dense(32, model.ReLU).WithDropout(0.5), model.Dense(16, model.Sigmoid).WithDropout(0.3), model.Dense(10, model.Softmax))
	require.NoError(t, err)
	m.Init(rand.New(rand.NewPCG(9, 1)))
	m.Preprocessing = model.ScaleBy(255)
	plain, err := model.NewSequential(784, model.Dense(32, model.ReLU), model.Dense(16, model.Sigmoid), model.Dense(10, model.Softmax))
	require.NoError(t, err)
	copy(plain.Params, m.Params)
	plain.Preprocessing = m.Preprocessing
	x := pixels(37, 5)
	for _, name := range registry.Names()[1:] {
		e, _, err := registry.Open(name)
		if err != nil {
			t.Logf("backend %s unavailable: %v", name, err)
			continue
		}
		predictAll := func(n *model.Sequential) []float32 {
			p, err := predict.New(n, e, predict.Options{})
			require.NoError(t, err, name)
			defer p.Close()
			out, _, err := p.Predict(context.Background(), x, 37)
			require.NoError(t, err, name)
			return out
		}
		want := predictAll(plain)
		assert.Equal(t, want, predictAll(m), name)
		assert.Equal(t, want, predictAll(m), name)
	}
}
