package model

import (
	"math"
	"unsafe"

	"github.com/descent-ml/descent/backend"
)

// Activation is an element-wise (or, for Softmax, row-wise) function applied
// to a layer's pre-activation z = x·W + b; see backend.Activation, which it
// is (engines that fuse a layer apply it themselves).
type Activation = backend.Activation

// The activations, with Keras's names.
const (
	Linear  = backend.Linear  // f(z) = z
	Sigmoid = backend.Sigmoid // f(z) = 1/(1+e^−z)
	Tanh    = backend.Tanh    // f(z) = tanh z
	ReLU    = backend.ReLU    // f(z) = max(0, z)
	Softmax = backend.Softmax // f(z)_j = e^{z_j} / Σ_k e^{z_k}, per row
)

// ParseActivation returns the activation with the given Keras name.
func ParseActivation(name string) (Activation, error) { return backend.ParseActivation(name) }

// ActivationForward replaces z ((batch, units) row-major) by f(z) in place.
func ActivationForward[T backend.Float](a Activation, z []T, batch, units int) {
	z = z[:batch*units]
	switch a {
	case Linear:
	case Sigmoid:
		if unsafe.Sizeof(z[0]) == 4 { // float32: exp32, vectorised where the CPU allows
			sigmoidKernel(unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(z))), len(z)))
			break
		}
		for i, v := range z {
			z[i] = T(1 / (1 + math.Exp(-float64(v))))
		}
	case Tanh:
		for i, v := range z {
			z[i] = T(math.Tanh(float64(v)))
		}
	case ReLU:
		for i, v := range z {
			z[i] = max(v, 0)
		}
	case Softmax:
		for r := 0; r < batch; r++ {
			softmaxRow(z[r*units : (r+1)*units])
		}
	}
}

// ActivationBackward turns dy = ∂L/∂y into dz = ∂L/∂z in place, given the
// activation's output y = f(z) (the forward pass keeps only y):
//
//	linear   dz = dy
//	sigmoid  dz = dy·y·(1−y)
//	tanh     dz = dy·(1−y²)
//	relu     dz = dy·[y > 0]          (derivative 0 at z = 0, as Keras/TF)
//	softmax  dz_j = y_j·(dy_j − Σ_k dy_k·y_k)   (Jacobian-vector product per row)
//
// When the loss is categorical cross-entropy on a softmax output the training
// loop skips this and uses the fused gradient (p−y)/N instead.
func ActivationBackward[T backend.Float](a Activation, y, dy []T, batch, units int) {
	y, dy = y[:batch*units], dy[:batch*units]
	switch a {
	case Linear:
	case Sigmoid:
		for i, v := range y {
			dy[i] *= v * (1 - v)
		}
	case Tanh:
		for i, v := range y {
			dy[i] *= 1 - v*v
		}
	case ReLU:
		for i, v := range y {
			if v <= 0 {
				dy[i] = 0
			}
		}
	case Softmax:
		for r := 0; r < batch; r++ {
			yr, dr := y[r*units:(r+1)*units], dy[r*units:(r+1)*units]
			var dot T
			for j, v := range yr {
				dot += dr[j] * v
			}
			for j, v := range yr {
				dr[j] = v * (dr[j] - dot)
			}
		}
	}
}

// softmaxRow computes softmax in place, subtracting the row maximum first so
// that exp never overflows.
func softmaxRow[T backend.Float](z []T) {
	m := z[0]
	for _, v := range z[1:] {
		m = max(m, v)
	}
	var s float64
	for i, v := range z {
		e := math.Exp(float64(v - m))
		z[i] = T(e)
		s += e
	}
	inv := 1 / s
	for i := range z {
		z[i] = T(float64(z[i]) * inv)
	}
}
