//go:build !amd64

package train

// adamKernel updates all of p with the scalar loop.
func adamKernel(p, g, m, v []float32, alpha, b1, b2, eps float32) {
	adamUpdate(p, g, m, v, 0, alpha, b1, b2, eps)
}
