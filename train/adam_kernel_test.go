package train

import (
	"math"
	"math/rand/v2"
	"testing"
)

// The kernel (vector where the CPU allows, scalar tail) must give exactly the
// bits of the scalar loop, for every length around the vector width.
func TestAdamKernelMatchesScalarLoop(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	for _, n := range []int{0, 1, 7, 8, 9, 15, 16, 17, 1003} {
		p, g, m, v := make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n)
		for i := range p {
			p[i], g[i] = rng.Float32()-0.5, (rng.Float32()-0.5)*1e-2
			m[i], v[i] = (rng.Float32()-0.5)*1e-2, rng.Float32()*1e-4
		}
		p2, m2, v2 := append([]float32(nil), p...), append([]float32(nil), m...), append([]float32(nil), v...)
		for step := 0; step < 3; step++ {
			adamKernel(p, g, m, v, 3e-4, 0.1, 0.001, 1e-7)
			adamUpdate(p2, g, m2, v2, 0, 3e-4, 0.1, 0.001, 1e-7)
		}
		for i := range p {
			if math.Float32bits(p[i]) != math.Float32bits(p2[i]) || m[i] != m2[i] || v[i] != v2[i] {
				t.Fatalf("n=%d, i=%d: kernel p=%v m=%v v=%v, scalar p=%v m=%v v=%v", n, i, p[i], m[i], v[i], p2[i], m2[i], v2[i])
			}
		}
	}
}
