package model

import (
	"math"
	"math/rand/v2"
)

// GlorotUniform fills w, the (fanIn, fanOut) kernel of a Dense layer, with
// samples of U(−limit, limit), limit = sqrt(6/(fanIn+fanOut)): Keras's default
// kernel initialiser (Glorot & Bengio 2010; keras/src/initializers/random_initializers.py).
// The values differ from Keras's, which uses its own generator; the
// distribution is the same.
func GlorotUniform(rng *rand.Rand, w []float32, fanIn, fanOut int) {
	limit := math.Sqrt(6 / float64(fanIn+fanOut))
	for i := range w {
		w[i] = float32((2*rng.Float64() - 1) * limit)
	}
}
