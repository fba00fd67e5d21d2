package cli

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"
	"strconv"
	"strings"

	ucli "github.com/urfave/cli/v2"

	"github.com/descent-ml/descent/backend"
	"github.com/descent-ml/descent/bindings/mpi"
	"github.com/descent-ml/descent/report"
	"github.com/descent-ml/descent/train"
)

// Data-parallel training over MPI (README: Training on several machines).
// mpirun starts N copies of descent train with the same flags; each loads
// the whole data set, and train.FitConfig.Distributed shards every global
// batch of --batch-size samples over them. What this file adds around it:
// MPI's start and end, rank 0's initial weights broadcast to every rank,
// the gradient allreduce first among the gradient hooks, rank 0 alone
// printing and writing, the final weights' hashes gathered for the history,
// and MPI_Abort for a rank that fails alone.

const distributedUsage = "data-parallel training over MPI: auto (when started by OpenMPI's mpirun), mpi (require it) or none (one process, even under mpirun)"

// distRun is this process's place in an MPI job.
type distRun struct {
	w          *mpi.World
	rank, size int
	// local is the number of the job's ranks on this machine
	// (OMPI_COMM_WORLD_LOCAL_SIZE; 1 when unset).
	local int
	// gathered is set once the final weights' hashes are gathered: every
	// rank has then left Fit together, and no collective but Finalize
	// follows, so an error after it need not abort the job.
	gathered bool
}

// distInfo is the history file's "distributed" record.
type distInfo struct {
	WorldSize int `json:"world_size"`
	// WeightsSHA256 is the SHA-256 of each rank's final weights (the
	// model's flat float32 parameters, little-endian), in rank order.
	WeightsSHA256 []string `json:"weights_sha256"`
}

// startDistributed reads --distributed and OpenMPI's environment and, for a
// data-parallel run, initialises MPI; nil for a single-process run. On
// ranks other than 0 it silences stdout and clears the outputs of cfg and
// c, so that rank 0 alone prints and writes.
func startDistributed(c *ucli.Context, env *Env, cfg *NetConfig) (*distRun, error) {
	size := getenv(*env, "OMPI_COMM_WORLD_SIZE")
	switch mode := c.String("distributed"); mode {
	case "none":
		return nil, nil
	case "auto", "":
		if size == "" {
			return nil, nil
		}
	case "mpi":
		if size == "" {
			return nil, usagef("--distributed mpi: this process was not started by mpirun (OMPI_COMM_WORLD_SIZE is not set): run mpirun -np N descent train ...")
		}
	default:
		return nil, usagef("--distributed: unknown mode %q (want auto, mpi or none)", mode)
	}
	if !mpi.Available() {
		return nil, fmt.Errorf("started by mpirun (OMPI_COMM_WORLD_SIZE=%s) but this descent was built without MPI (no cgo, or -tags nompi): rebuild it with cgo and libopenmpi-dev installed, or pass --distributed none to train one model per process", size)
	}
	if n, err := strconv.Atoi(size); err == nil && n > 0 && cfg.BatchSize%n != 0 {
		return nil, usagef("--batch-size: %d samples do not split evenly over the %d ranks: give a multiple of %d", cfg.BatchSize, n, n)
	}
	w, err := mpi.Init()
	if err != nil {
		return nil, fmt.Errorf("--distributed: %w", err)
	}
	d := &distRun{w: w, rank: w.Rank(), size: w.Size(), local: 1}
	if l, err := strconv.Atoi(getenv(*env, "OMPI_COMM_WORLD_LOCAL_SIZE")); err == nil && l > 0 {
		d.local = l
	}
	if cfg.BatchSize%d.size != 0 { // OMPI_COMM_WORLD_SIZE said otherwise
		return d, fmt.Errorf("--batch-size: %d samples do not split evenly over the %d ranks", cfg.BatchSize, d.size)
	}
	if d.rank != 0 {
		env.Stdout = io.Discard
		for _, f := range []string{"save", "history", "out"} {
			if err := c.Set(f, ""); err != nil {
				return d, fmt.Errorf("--distributed: rank %d: clearing --%s: %w", d.rank, f, err)
			}
		}
		cfg.saveBest, cfg.csvLog = "", ""
	}
	cfg.dist = d
	return d, nil
}

// autoLR runs --lr auto's range test on rank 0 alone, as one process
// would for the global batch (cfg.BatchSize: the job makes the updates of
// one process at that batch), and gives every rank its rate; the range
// test's result, for the report, is rank 0's. The other ranks wait for the
// rate in the allreduce. For a single process (d nil), or without --lr
// auto, it is autoLR.
func (d *distRun) autoLR(c *ucli.Context, env Env, eng backend.Engine, cfg *NetConfig, sets dataSets) (*report.RangeTest, error) {
	if d == nil || !cfg.LRAuto {
		return autoLR(c, env, eng, cfg, sets)
	}
	var rt *report.RangeTest
	if d.rank == 0 {
		var err error
		if rt, err = autoLR(c, env, eng, cfg, sets); err != nil {
			return nil, err
		}
	}
	lr := []float64{0}
	if d.rank == 0 {
		lr[0] = cfg.LR
	}
	if err := d.w.AllreduceSumFloat64(lr); err != nil {
		return nil, fmt.Errorf("--lr auto: sharing rank 0's rate: %w", err)
	}
	cfg.LR = lr[0]
	return rt, nil
}

// cpus is the number of this machine's CPUs a process may use: all of
// them for a single-process run (d nil), else an equal share for each of
// the job's ranks on this machine, at least one (cpuShare), so that
// --threads auto on two ranks of a 2-CPU machine gives each one thread and
// GOMAXPROCS 1, not two teams of two.
func (d *distRun) cpus() int {
	if d == nil {
		return runtime.NumCPU()
	}
	return cpuShare(runtime.NumCPU(), d.local)
}

// cpuShare is one of local processes' equal share of cpus CPUs, at least 1.
func cpuShare(cpus, local int) int { return max(cpus/max(local, 1), 1) }

// shard is the trainer's batch size on each rank: its share of the global
// --batch-size.
func (d *distRun) shard(batch int) int { return batch / d.size }

// dropoutSeed gives each rank its own dropout masks (rank 0 those of a
// single-process run): the masks are a function of the seed and the step,
// so ranks sharing one seed would draw the same masks for their shards.
func (d *distRun) dropoutSeed(seed uint64) uint64 {
	if d.rank == 0 {
		return seed
	}
	return seed ^ (0x9e3779b97f4a7c15 * uint64(d.rank))
}

// A runShape is what every rank of one job must agree on before the first
// collective over the gradients: MPI does not detect buffers of different
// lengths on different ranks (undefined behaviour), and ranks started with
// different flags or data would train different things in lockstep.
type runShape struct {
	name  string
	value uint64
}

// checkSame returns an error, on every rank, unless every rank has rank
// 0's shapes: rank 0's values are shared by a sum with the others' zeros,
// each rank compares, and a second sum gathers which ranks differ.
func (d *distRun) checkSame(shapes []runShape) error {
	buf := make([]float64, 2*len(shapes))
	if d.rank == 0 {
		for i, s := range shapes {
			buf[2*i], buf[2*i+1] = float64(s.value>>32), float64(s.value&0xffffffff) // exact halves
		}
	}
	if err := d.w.AllreduceSumFloat64(buf); err != nil {
		return fmt.Errorf("distributed: sharing rank 0's configuration: %w", err)
	}
	differs := make([]float64, d.size*len(shapes))
	for i, s := range shapes {
		if uint64(buf[2*i])<<32|uint64(buf[2*i+1]) != s.value {
			differs[d.rank*len(shapes)+i] = 1
		}
	}
	if err := d.w.AllreduceSumFloat64(differs); err != nil {
		return fmt.Errorf("distributed: comparing the ranks' configurations: %w", err)
	}
	var bad []string
	for r := range d.size {
		for i, s := range shapes {
			if differs[r*len(shapes)+i] != 0 {
				bad = append(bad, fmt.Sprintf("rank %d's %s", r, s.name))
			}
		}
	}
	if bad != nil {
		return fmt.Errorf("distributed: the ranks were started differently: %s differ(s) from rank 0's (give every rank the same flags and data)", strings.Join(bad, ", "))
	}
	return nil
}

// prepare checks that every rank has rank 0's shapes, broadcasts rank 0's
// initial weights into params and returns the gradient hook that averages
// every step's gradients over the ranks, to run before any other, and the
// FitConfig's Distributed.
func (d *distRun) prepare(params []float32, shapes []runShape) (train.GradientHook, *train.Distributed, error) {
	if err := d.checkSame(shapes); err != nil {
		return nil, nil, err
	}
	if err := d.w.BroadcastFloat32(params, 0); err != nil {
		return nil, nil, fmt.Errorf("distributed: broadcast of the initial weights: %w", err)
	}
	h, err := train.AllreduceMean(d.w)
	if err != nil {
		return nil, nil, err
	}
	return h, &train.Distributed{Rank: d.rank, Size: d.size, Reducer: d.w}, nil
}

// gatherHashes gathers every rank's SHA-256 of its final weights for the
// history, after which the ranks have left Fit together (see gathered).
func (d *distRun) gatherHashes(params []float32) (*distInfo, error) {
	hs, err := d.hashes(params)
	if err != nil {
		return nil, err
	}
	d.gathered = true
	return &distInfo{WorldSize: d.size, WeightsSHA256: hs}, nil
}

// sameWeights checks that every rank holds the same weights (after each
// read --resume's checkpoint) and names the ranks that differ from rank 0.
func (d *distRun) sameWeights(params []float32) error {
	hs, err := d.hashes(params)
	if err != nil {
		return err
	}
	var differ []string
	for r, h := range hs[1:] {
		if h != hs[0] {
			differ = append(differ, strconv.Itoa(r+1))
		}
	}
	if differ != nil {
		return fmt.Errorf("rank(s) %s restored other weights than rank 0: give every rank the same checkpoint folder (a shared file system, or the same copy on every machine)", strings.Join(differ, ", "))
	}
	return nil
}

// hashes gathers every rank's SHA-256 of params, in rank order: each rank
// writes its 32 bytes, one per float64, into its slot of a zeroed buffer,
// and a sum allreduce fills every slot on every rank.
func (d *distRun) hashes(params []float32) ([]string, error) {
	b := make([]byte, 4*len(params))
	for i, v := range params {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	sum := sha256.Sum256(b)
	buf := make([]float64, 32*d.size)
	for i, c := range sum {
		buf[32*d.rank+i] = float64(c)
	}
	if err := d.w.AllreduceSumFloat64(buf); err != nil {
		return nil, fmt.Errorf("distributed: gathering the weights' hashes: %w", err)
	}
	hs := make([]string, d.size)
	for r := range d.size {
		h := make([]byte, 32)
		for i := range h {
			h[i] = byte(buf[32*r+i])
		}
		hs[r] = hex.EncodeToString(h)
	}
	return hs, nil
}

// agreed reports whether the ranks left Fit together with err: nil, a
// divergence or a stop they agreed on (train.Distributed).
func agreed(err error) bool {
	return err == nil || errors.Is(err, train.ErrDiverged) || errors.Is(err, context.Canceled)
}

// finish ends this rank's part of the job after the command returned err.
// A rank that fails alone before the ranks left Fit together calls
// MPI_Abort, after saying which rank failed and why: the others would
// otherwise wait for it forever in their next collective. Otherwise MPI is
// finalised and err returned (rank 0's outputs may still have failed).
// For a single-process run (d nil) it returns err.
func (d *distRun) finish(env Env, err error) error {
	if d == nil {
		return err
	}
	if err != nil && !d.gathered {
		fmt.Fprintf(env.Stderr, "descent: rank %d of %d: %s\n", d.rank, d.size, err)
		fmt.Fprintf(env.Stderr, "descent: rank %d of %d: aborting the MPI job\n", d.rank, d.size)
		if aerr := d.w.Abort(ExitError); aerr != nil {
			return fmt.Errorf("%w (and MPI_Abort: %v)", err, aerr)
		}
		return err
	}
	if ferr := d.w.Finalize(); ferr != nil && err == nil {
		return fmt.Errorf("distributed: rank %d: %w", d.rank, ferr)
	}
	return err
}
