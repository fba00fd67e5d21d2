package model

import "github.com/descent-ml/descent/backend"

// DenseForward computes y = f(x·W + b) for one Dense layer.
//
//	x is (batch, in), W is (in, out), b is (out), y is (batch, out)
//
// gemm is the engine's GEMM (or the float64 reference in checks).
func DenseForward[T backend.Float](gemm backend.GemmFunc[T], act Activation, x, w, b, y []T, batch, in, out int) {
	for r := 0; r < batch; r++ {
		copy(y[r*out:(r+1)*out], b) // y ← b broadcast over rows
	}
	gemm(false, false, batch, out, in, 1, x, in, w, out, 1, y, out) // y += x·W
	ActivationForward(act, y, batch, out)
}

// DenseBackward computes the parameter gradients of one Dense layer, and the
// gradient with respect to its input when dx is not nil, from dz = ∂L/∂z,
// the gradient with respect to the pre-activation z = x·W + b:
//
//	dW = xᵀ·dz     (in, out)
//	db = Σ_rows dz (out)
//	dx = dz·Wᵀ     (batch, in)
//
// dW and db are overwritten, not accumulated.
func DenseBackward[T backend.Float](gemm backend.GemmFunc[T], x, w, dz, dw, db, dx []T, batch, in, out int) {
	gemm(true, false, in, out, batch, 1, x, in, dz, out, 0, dw, out)
	clear(db[:out])
	for r := 0; r < batch; r++ {
		for j, v := range dz[r*out : (r+1)*out] {
			db[j] += v
		}
	}
	if dx != nil {
		gemm(false, true, batch, in, out, 1, dz, out, w, out, 0, dx, in)
	}
}
