package train

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestOptimizerRegistry(t *testing.T) {
	assert.Equal(t, []string{"sgd", "momentum", "nesterov", "rmsprop", "adam", "adamw", "nadam"}, OptimizerNames())
	names := OptimizerNames()
	names[0] = "changed"
	assert.Equal(t, "sgd", OptimizerNames()[0], "OptimizerNames returns a copy")

	for _, c := range []struct {
		name         string
		lr, momentum float64 // Keras 3's defaults
		want         Optimizer
	}{
		{"sgd", 0.01, 0, NewSGD(0.5, 0.25, false)},
		{"momentum", 0.01, 0.9, NewSGD(0.5, 0.25, false)},
		{"nesterov", 0.01, 0.9, NewSGD(0.5, 0.25, true)},
		{"rmsprop", 0.001, 0, NewRMSprop(0.5, 0.9, 0.25, 1e-7, false)},
		{"adam", 0.001, 0, NewAdam(0.5, 0.9, 0.999, 1e-7, false)}, // no momentum
		{"adamw", 0.001, 0, NewAdamW(0.5, 0.004, 0.9, 0.999, 1e-7, false)},
		{"nadam", 0.001, 0, NewNadam(0.5, 0.9, 0.999, 1e-7)},
	} {
		t.Run(c.name, func(t *testing.T) {
			assert.Equal(t, c.lr, DefaultLearningRate(c.name))
			assert.Equal(t, c.momentum, DefaultMomentum(c.name))
			got, err := NewOptimizerByName(c.name, 0.5, 0.25)
			require.NoError(t, err)
			assert.Equal(t, c.want, got)
			// Each call builds a fresh optimizer: no state is shared.
			again, err := NewOptimizerByName(c.name, 0.5, 0.25)
			require.NoError(t, err)
			assert.NotSame(t, got, again)
		})
	}

	// An unknown name: Keras's general default, no momentum, an error
	// listing the valid names (and a hint for a near miss).
	assert.Equal(t, 0.001, DefaultLearningRate("adagrad"))
	assert.Equal(t, 0.0, DefaultMomentum("adagrad"))
	// Keras's default weight_decay: AdamW's 0.004, none for the rest.
	for _, name := range OptimizerNames() {
		want := 0.0
		if name == "adamw" {
			want = 0.004
		}
		assert.Equal(t, want, DefaultWeightDecay(name), name)
	}
	assert.Equal(t, 0.0, DefaultWeightDecay("adagrad"))
	for _, bad := range []string{"", "adagrad", "SGD ", "Adam"} {
		o, err := NewOptimizerByName(bad, 0.1, 0)
		assert.Nil(t, o, bad)
		require.Error(t, err, bad)
		assert.ErrorContains(t, err, "valid optimizers: sgd, momentum, nesterov, rmsprop, adam, adamw, nadam", bad)
	}
	_, err := NewOptimizerByName("Adam", 0.1, 0)
	assert.ErrorContains(t, err, `did you mean "adam"?`)
	_, err = NewOptimizerByName("adagrad", 0.1, 0)
	assert.EqualError(t, err, `train: unknown optimizer "adagrad"; valid optimizers: sgd, momentum, nesterov, rmsprop, adam, adamw, nadam`)
}
