// Package registry opens backends by name, the names the command line takes
// with --backend, and applies --threads to every native thread pool of the
// process when asked (SetThreads). Opening a backend changes no thread
// setting, and nothing here changes GOMAXPROCS.
package registry

import (
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

// Names returns the accepted backend names, "auto" first.
func Names() []string { return append([]string{"auto"}, names...) }

// Open returns the named backend. "auto" returns the fastest backend
// available in this binary and, when it had to fall back from a native one,
// a one-line notice saying why (empty otherwise).
func Open(name string) (e backend.Engine, notice string, err error) {
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
