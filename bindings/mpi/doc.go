// Package mpi is the thin cgo binding to OpenMPI (Debian's libopenmpi-dev
// 4.1; openmpi-bin provides mpirun): start and stop MPI, a rank's place in
// MPI_COMM_WORLD, and the blocking collectives data-parallel training needs
// — in-place sum allreduce of float32 and float64, broadcast of float32 and
// barrier.
//
// # Errors
//
// Init sets MPI_ERRORS_RETURN on MPI_COMM_WORLD and MPI_COMM_SELF, so an
// MPI error comes back as an error code instead of aborting the job; every
// such code becomes an *Error carrying MPI_Error_string's text and the
// error class. OpenMPI checks arguments (an invalid communicator, a
// negative count, a root outside the communicator) when its parameter
// checking is on, Debian's default (mpi_param_check=1); the binding also
// checks what it can in Go (root range, counts above MaxInt32, use after
// Finalize) so that those never reach MPI. What MPI cannot report as an
// error stays fatal: MPI_Init_thread itself failing (its handler is
// MPI_ERRORS_ARE_FATAL before a communicator exists), a peer dying (mpirun
// then kills the job and exits non-zero), and buffers of different lengths
// on different ranks, which MPI does not detect (a count mismatch is
// undefined behaviour: keep the lengths equal, as the trainer's flat
// gradient buffer of one model is).
//
// # Threads
//
// Go moves goroutines between OS threads, and MPI keeps per-thread
// obligations. Init starts one goroutine locked to its OS thread
// (runtime.LockOSThread) for the life of the World; that goroutine calls
// MPI_Init_thread and every later MPI call, including MPI_Error_string and
// MPI_Finalize, and the World's methods hand their requests to it over a
// channel. The thread level asked for is therefore MPI_THREAD_FUNNELED:
// only the thread that initialised MPI ever calls it, which is exactly what
// FUNNELED promises, and it needs no locking inside OpenMPI (MULTIPLE would
// cost every call a lock; SERIALIZED would allow any thread, which the
// funnel does not need). The methods may be called from any goroutine; they
// are serialised, and each blocks until its collective completes. Every
// rank must make the same collectives in the same order, so in practice
// one goroutine per rank (the training loop's) calls them: two goroutines
// racing to the funnel could order them differently on different ranks and
// deadlock. The hand-off costs a few microseconds per call (a 1-float
// allreduce of 2 ranks takes about 5–7 µs through it). Go
// memory is handed to MPI only for the duration of one blocking call; C
// keeps no Go pointer afterwards. A warm call allocates nothing.
//
// # Processes
//
// Start a job with mpirun (as root: mpirun --allow-run-as-root); OpenMPI
// sets OMPI_COMM_WORLD_SIZE and friends in each rank's environment
// (UnderMpirun reports it). A process started without mpirun can still call
// Init: OpenMPI then runs it as a singleton, rank 0 of size 1, spawning a
// local orted helper. MPI may be initialised once per process: a second
// Init, or one after Finalize, fails.
//
// Without cgo (CGO_ENABLED=0) or with the build tag nompi, the package
// compiles to a stub whose Available reports false and whose Init returns
// ErrUnavailable, so descent builds on machines without OpenMPI.
package mpi
