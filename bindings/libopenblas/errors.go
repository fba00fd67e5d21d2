package libopenblas

import "errors"

// ErrUnavailable is returned when OpenBLAS is not linked into this binary
// (built without cgo or with the noopenblas tag).
var ErrUnavailable = errors.New("openblas: not linked into this binary (built without cgo or with -tags noopenblas)")
