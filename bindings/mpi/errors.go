package mpi

import (
	"errors"
	"fmt"
	"math"
	"os"
)

// ErrUnavailable is returned when OpenMPI is not linked into this binary
// (built without cgo or with the nompi tag).
var ErrUnavailable = errors.New("mpi: OpenMPI not linked into this binary (built without cgo or with -tags nompi)")

// ErrFinalized is returned by a World's methods after Finalize: MPI may not
// be called again in this process (OpenMPI would abort), so the binding
// refuses before calling it.
var ErrFinalized = errors.New("mpi: the World was finalized")

// ErrInitialized is returned by a second Init: MPI may be initialised once
// per process, and not again after Finalize.
var ErrInitialized = errors.New("mpi: MPI was already initialized in this process (once per process, not again after Finalize)")

// Error is an MPI error code returned by an MPI call, with
// MPI_Error_string's text and MPI_Error_class's class.
type Error struct {
	Op    string // the MPI function, e.g. "MPI_Allreduce"
	Code  int    // the error code it returned
	Class int    // MPI_Error_class of Code (e.g. MPI_ERR_COUNT)
	Text  string // MPI_Error_string of Code
}

func (e *Error) Error() string {
	return fmt.Sprintf("mpi: %s: %s (error code %d, class %d)", e.Op, e.Text, e.Code, e.Class)
}

// UnderMpirun reports whether this process was started by OpenMPI's mpirun
// (OMPI_COMM_WORLD_SIZE is set in its environment), as opposed to a plain
// start where Init would make a singleton world of size 1.
func UnderMpirun() bool {
	_, ok := os.LookupEnv("OMPI_COMM_WORLD_SIZE")
	return ok
}

// checkCount refuses a count that MPI's int cannot hold.
func checkCount(what string, n int) error {
	if n > math.MaxInt32 {
		return fmt.Errorf("mpi: %s: %d elements exceed MPI's int count (%d)", what, n, math.MaxInt32)
	}
	return nil
}
