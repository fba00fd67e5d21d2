package libdnnl

import (
	"errors"
	"fmt"
)

// ErrUnavailable is returned when oneDNN is not linked into this binary
// (built without cgo or with the nodnnl tag).
var ErrUnavailable = errors.New("dnnl: oneDNN not linked into this binary (built without cgo or with -tags nodnnl)")

// ErrContextClosed is returned (wrapped) by NewDense and NewDenseForward on
// a closed Context.
var ErrContextClosed = errors.New("context closed")

// Error is a failure reported by the native layer: the operation, the
// status code (positive: oneDNN's dnnl_status_t; negative: the C layer's
// own) and the C layer's message, which names the shape and oneDNN's status
// string (e.g. "unimplemented").
type Error struct {
	Op     string
	Status int
	Msg    string
}

func (e *Error) Error() string { return fmt.Sprintf("dnnl: %s: %s (status %d)", e.Op, e.Msg, e.Status) }
