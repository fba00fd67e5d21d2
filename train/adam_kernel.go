package train

import "math"

// adamUpdate is the inner loop of Adam.Step without AMSGrad, for indices
// from..len(p)-1, written so that every product is rounded to float32 before
// it is added (the explicit conversions forbid fusing into FMA), which makes
// it bit-identical to the vector kernel in adam_amd64.s.
func adamUpdate(p, g, m, v []float32, from int, alpha, b1, b2, eps float32) {
	g, m, v = g[:len(p)], m[:len(p)], v[:len(p)]
	for i := from; i < len(p); i++ {
		m[i] += float32((g[i] - m[i]) * b1)
		v[i] += float32(float32(g[i]*g[i])-v[i]) * b2
		p[i] -= float32(alpha*m[i]) / (float32(math.Sqrt(float64(v[i]))) + eps)
	}
}
