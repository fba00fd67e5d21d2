//go:build !cgo || nompi

package mpi

// Available reports whether OpenMPI was linked into this binary: false in
// this build (no cgo, or the nompi tag).
func Available() bool { return false }

// World is the stub's MPI_COMM_WORLD: Init never returns one.
type World struct{}

// Init fails: OpenMPI is not linked.
func Init() (*World, error) { return nil, ErrUnavailable }

// Rank reports 0.
func (w *World) Rank() int { return 0 }

// Size reports 1.
func (w *World) Size() int { return 1 }

// AllreduceSumFloat32 fails: OpenMPI is not linked.
func (w *World) AllreduceSumFloat32(buf []float32) error { return ErrUnavailable }

// AllreduceSumFloat64 fails: OpenMPI is not linked.
func (w *World) AllreduceSumFloat64(buf []float64) error { return ErrUnavailable }

// BroadcastFloat32 fails: OpenMPI is not linked.
func (w *World) BroadcastFloat32(buf []float32, root int) error { return ErrUnavailable }

// Barrier fails: OpenMPI is not linked.
func (w *World) Barrier() error { return ErrUnavailable }

// Abort fails: OpenMPI is not linked.
func (w *World) Abort(code int) error { return ErrUnavailable }

// Finalize fails: OpenMPI is not linked.
func (w *World) Finalize() error { return ErrUnavailable }

// The unchecked calls of the tests' error paths (see mpi.go).
type commKind int

const (
	commWorld commKind = iota
	commNull
)

func (w *World) rawAllreduceFloat32(c commKind, buf []float32, n int) error { return ErrUnavailable }
func (w *World) rawBroadcastFloat32(c commKind, buf []float32, root int) error {
	return ErrUnavailable
}
func (w *World) rawBarrier(c commKind) error { return ErrUnavailable }
