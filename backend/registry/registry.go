// Package registry opens backends by name, the names the command line takes
// with --backend, and applies --threads to every native thread pool of the
// process when asked (SetThreads). Opening a backend changes no thread
// setting, and nothing here changes GOMAXPROCS.
package registry

import (
	"errors"
	"fmt"
	"strings"

	"github.com/descent-ml/descent/backend"
	"github.com/descent-ml/descent/backend/dnnl"
	"github.com/descent-ml/descent/backend/gonum"
	"github.com/descent-ml/descent/backend/openblas"
)

// names lists the backends, fastest first; "auto" picks the first available.
// Measured on the tutorial network (bench/RESULTS.md): oneDNN's fused layers
// beat OpenBLAS's GEMM plus Go loops, which beat pure Go.
var names = []string{"dnnl", "openblas", "gonum"}

// Option configures Open.
type Option func(*options)

type options struct{ precision dnnl.Precision }

// WithPrecision asks for a precision of the dense-layer GEMMs (dnnl.F32
// unless given). Only the dnnl backend has another (dnnl.BF16); Open
// refuses it for the others, and "auto" with BF16 opens dnnl or fails,
// never falling back to a float32 backend.
func WithPrecision(p dnnl.Precision) Option { return func(o *options) { o.precision = p } }

// ErrPrecision is Open's error for a precision the named backend lacks.
var ErrPrecision = errors.New("computes in f32 only; bf16 needs the dnnl backend")

// Names returns the accepted backend names, "auto" first.
func Names() []string { return append([]string{"auto"}, names...) }

// Open returns the named backend. "auto" returns the fastest backend
// available in this binary and, when it had to fall back from a native one,
// a one-line notice saying why (empty otherwise).
func Open(name string, opts ...Option) (e backend.Engine, notice string, err error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if o.precision != dnnl.F32 {
		switch name {
		case "dnnl", "auto", "":
			d, err := dnnl.New(dnnl.WithPrecision(o.precision))
			if err != nil {
				return nil, "", fmt.Errorf("backend %q, precision %v: %w", name, o.precision, err)
			}
			return d, "", nil
		case "gonum", "openblas":
			return nil, "", fmt.Errorf("backend %q %w", name, ErrPrecision)
		}
	}
	switch name {
	case "gonum":
		return gonum.New(), "", nil
	case "openblas":
		ob, err := openblas.New()
		if err != nil {
			return nil, "", fmt.Errorf("backend %q: %w", name, err)
		}
		return ob, "", nil
	case "dnnl":
		d, err := dnnl.New()
		if err != nil {
			return nil, "", fmt.Errorf("backend %q: %w", name, err)
		}
		return d, "", nil
	case "auto", "":
		d, dErr := dnnl.New()
		if dErr == nil {
			return d, "", nil
		}
		ob, obErr := openblas.New()
		if obErr == nil {
			return ob, fmt.Sprintf("notice: using the openblas backend: %v", dErr), nil
		}
		return gonum.New(), fmt.Sprintf("notice: using the pure-Go backend (gonum): %v; %v", dErr, obErr), nil
	}
	return nil, "", fmt.Errorf("unknown backend %q (want one of: %s)", name, strings.Join(Names(), ", "))
}
