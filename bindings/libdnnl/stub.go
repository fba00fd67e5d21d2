//go:build !cgo || nodnnl

package libdnnl

// Available reports whether oneDNN is linked into this binary: false in this
// build (no cgo, or the nodnnl tag).
func Available() bool { return false }

// Version reports that oneDNN is not linked.
func Version() string { return "not linked" }

// SetThreads fails: oneDNN is not linked.
func SetThreads(n int) error { return ErrUnavailable }

// Threads reports 0: oneDNN is not linked.
func Threads() int { return 0 }

// Backoffs reports 0: oneDNN is not linked.
func Backoffs() int64 { return 0 }

// Context is unavailable in this build.
type Context struct{}

// NewContext fails: oneDNN is not linked.
func NewContext() (*Context, error) { return nil, ErrUnavailable }

// Close does nothing.
func (c *Context) Close() error { return nil }

// Sgemm fails: oneDNN is not linked.
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) error {
	return ErrUnavailable
}

// Dense is unavailable in this build.
type Dense struct{}

// NewDense fails: oneDNN is not linked.
func (c *Context) NewDense(batch, in, out int, act Activation) (*Dense, error) {
	return nil, ErrUnavailable
}

// NewDenseForward fails: oneDNN is not linked.
func (c *Context) NewDenseForward(batch, in, out int, act Activation) (*Dense, error) {
	return nil, ErrUnavailable
}

// NewDensePrecision fails: oneDNN is not linked.
func (c *Context) NewDensePrecision(batch, in, out int, act Activation, forwardOnly bool, p Precision) (*Dense, error) {
	return nil, ErrUnavailable
}

// BF16Supported reports false: oneDNN is not linked.
func BF16Supported() bool { return false }

// Impl reports that oneDNN is not linked.
func (d *Dense) Impl() string { return "not linked" }

// Forward fails: oneDNN is not linked.
func (d *Dense) Forward(x, w, b, y []float32) error { return ErrUnavailable }

// ActivationBackward fails: oneDNN is not linked.
func (d *Dense) ActivationBackward(y, dy []float32) error { return ErrUnavailable }

// Backward fails: oneDNN is not linked.
func (d *Dense) Backward(x, w, dz, dw, db, dx []float32) error { return ErrUnavailable }

// Close does nothing.
func (d *Dense) Close() error { return nil }

// BackwardAfterForward returns ErrUnavailable.
func (d *Dense) BackwardAfterForward(x, w, dz, dw, db, dx []float32) error { return ErrUnavailable }
