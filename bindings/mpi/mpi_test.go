package mpi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The tests that need MPI re-execute this test binary under mpirun, each
// rank running TestMPIChild with DESCENT_MPI_CHILD naming what to do: MPI
// may be initialised once per process, and the collectives need peers.
// Without OpenMPI (the stub build, or no mpirun on PATH) they skip with the
// reason, or fail when DESCENT_REQUIRE_MPI=1 (scripts/test.sh sets it, as
// the set-up installs OpenMPI).

const childEnv = "DESCENT_MPI_CHILD"

// needMPI returns mpirun's path, or skips (fails under DESCENT_REQUIRE_MPI=1).
func needMPI(t *testing.T) string {
	t.Helper()
	missing := func(why string) {
		if os.Getenv("DESCENT_REQUIRE_MPI") == "1" {
			t.Fatalf("DESCENT_REQUIRE_MPI=1 but %s", why)
		}
		t.Skipf("skipped: %s (set DESCENT_REQUIRE_MPI=1 to make this a failure)", why)
	}
	if !Available() {
		missing("OpenMPI is not linked into this binary (no cgo, or -tags nompi)")
	}
	path, err := exec.LookPath("mpirun")
	if err != nil {
		missing("mpirun is not on PATH (Debian: apt-get install openmpi-bin)")
	}
	return path
}

// mpirun runs n ranks of this test binary in mode, with a deadline, and
// returns the combined output, the exit error and the time it took.
func mpirun(t *testing.T, n int, mode string, deadline time.Duration) (string, error, time.Duration) {
	t.Helper()
	bin := needMPI(t)
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	// --allow-run-as-root: the CI runs as root; --oversubscribe: more ranks
	// than cores is fine for tests. Otherwise OpenMPI's defaults.
	cmd := exec.CommandContext(ctx, bin, "--allow-run-as-root", "--oversubscribe", "-np", fmt.Sprint(n),
		os.Args[0], "-test.run=^TestMPIChild$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), childEnv+"="+mode)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	took := time.Since(start)
	if ctx.Err() != nil {
		t.Fatalf("mpirun -np %d (%s) still running after %v; output:\n%s", n, mode, deadline, out.String())
	}
	return out.String(), err, took
}

// Two ranks: rank and size, allreduce sums, broadcast, barrier, the error
// paths returning errors, use after Finalize; each rank prints "rank R ok".
func TestUnderMpirunTwoRanks(t *testing.T) {
	out, err, _ := mpirun(t, 2, "basic", 60*time.Second)
	if err != nil {
		t.Fatalf("mpirun: %v; output:\n%s", err, out)
	}
	for r := 0; r < 2; r++ {
		if !strings.Contains(out, fmt.Sprintf("rank %d of 2 ok", r)) {
			t.Errorf("rank %d did not report success; output:\n%s", r, out)
		}
	}
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, "allreduce") || strings.Contains(l, "mpi:") {
			t.Log(strings.TrimSpace(l))
		}
	}
}

// A rank killed by SIGKILL while its peer waits in an allreduce ends the
// job: mpirun exits non-zero, well within 30 s, instead of hanging.
func TestUnderMpirunKilledRankEndsJob(t *testing.T) {
	out, err, took := mpirun(t, 2, "kill", 30*time.Second)
	if err == nil {
		t.Fatalf("mpirun exited 0 though rank 1 was killed; output:\n%s", out)
	}
	t.Logf("mpirun exited with %v after %v", err, took.Round(time.Millisecond))
}

// Started without mpirun, Init makes a singleton world: rank 0 of 1, and
// an allreduce is the identity.
func TestSingletonWithoutMpirun(t *testing.T) {
	needMPI(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestMPIChild$", "-test.v", "-test.count=1")
	var env []string
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, "OMPI_") && !strings.HasPrefix(e, "PMIX_") {
			env = append(env, e)
		}
	}
	cmd.Env = append(env, childEnv+"=singleton", "OMPI_ALLOW_RUN_AS_ROOT=1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "singleton ok") {
		t.Fatalf("singleton: %v; output:\n%s", err, out)
	}
}

// The stub, or a World before Init: what a build without MPI sees.
func TestAvailableMatchesInit(t *testing.T) {
	if Available() {
		return // Init may run once per process: the children test it
	}
	w, err := Init()
	if w != nil || !errors.Is(err, ErrUnavailable) {
		t.Fatalf("stub Init = %v, %v; want nil, ErrUnavailable", w, err)
	}
}

// TestMPIChild is one rank of the tests above; it does nothing unless
// started by them.
func TestMPIChild(t *testing.T) {
	mode := os.Getenv(childEnv)
	if mode == "" {
		t.Skip("runs only as a rank started by the tests of this package")
	}
	w, err := Init()
	if err != nil {
		t.Fatalf("Init: %v", err)
	}
	switch mode {
	case "basic":
		childBasic(t, w)
	case "kill":
		childKill(t, w)
	case "singleton":
		if UnderMpirun() || w.Rank() != 0 || w.Size() != 1 {
			t.Fatalf("singleton: under mpirun %v, rank %d, size %d", UnderMpirun(), w.Rank(), w.Size())
		}
		buf := []float32{1, 2, 3}
		if err := w.AllreduceSumFloat32(buf); err != nil || buf[0] != 1 || buf[2] != 3 {
			t.Fatalf("singleton allreduce: %v %v", buf, err)
		}
		if err := w.Finalize(); err != nil {
			t.Fatal(err)
		}
		fmt.Println("singleton ok")
	default:
		t.Fatalf("unknown mode %q", mode)
	}
}

// mpiErrorText matches an *Error's text, which comes from MPI_Error_string.
var mpiErrorText = regexp.MustCompile(`MPI_ERR_|invalid`)

func wantMPIError(t *testing.T, w *World, what string, err error) {
	t.Helper()
	var me *Error
	if !errors.As(err, &me) {
		t.Errorf("%s: got %v, want an *mpi.Error", what, err)
		return
	}
	if me.Text == "" || !mpiErrorText.MatchString(me.Text) {
		t.Errorf("%s: error text %q does not look like MPI_Error_string's", what, me.Text)
	}
	if w.Rank() == 0 {
		fmt.Printf("mpi: %s → %v\n", what, err)
	}
}

// nilInt is nil: dereferencing it must still be a Go panic after Init.
var nilInt *int

func childBasic(t *testing.T, w *World) {
	// OpenMPI installs handlers of SIGSEGV and friends (opal_signal) at
	// MPI_Init, except for signals that already have one: Go's runtime
	// installed its own first, so a nil dereference is still a Go panic,
	// not an OpenMPI backtrace and abort.
	func() {
		defer func() {
			if recover() == nil {
				t.Error("a nil dereference did not panic")
			}
		}()
		fmt.Println(*nilInt)
	}()
	r, n := w.Rank(), w.Size()
	if !UnderMpirun() || n != 2 || r < 0 || r >= n {
		t.Fatalf("under mpirun %v, rank %d, size %d; want 2 ranks", UnderMpirun(), r, n)
	}
	// Allreduce: rank r contributes (r+1)·(i+1) → (1+2)·(i+1) = 3(i+1).
	const m = 118282 // the parameters of the 784-128-128-10 MNIST MLP
	f32 := make([]float32, m)
	f64 := make([]float64, m)
	for i := range f32 {
		f32[i] = float32((r + 1) * (i%1000 + 1))
		f64[i] = float64(r+1) * (float64(i) + 0.5)
	}
	if err := w.AllreduceSumFloat32(f32); err != nil {
		t.Fatal(err)
	}
	if err := w.AllreduceSumFloat64(f64); err != nil {
		t.Fatal(err)
	}
	for i := range f32 {
		if f32[i] != float32(3*(i%1000+1)) || f64[i] != 3*(float64(i)+0.5) {
			t.Fatalf("allreduce element %d: %v, %v", i, f32[i], f64[i])
		}
	}
	if err := w.AllreduceSumFloat32(nil); err != nil {
		t.Errorf("empty allreduce: %v", err)
	}
	// Broadcast from each root in turn.
	for root := 0; root < n; root++ {
		b := []float32{float32(r), float32(10 * r), -1}
		if err := w.BroadcastFloat32(b, root); err != nil {
			t.Fatal(err)
		}
		if b[0] != float32(root) || b[1] != float32(10*root) || b[2] != -1 {
			t.Errorf("broadcast from %d: %v", root, b)
		}
	}
	if err := w.Barrier(); err != nil {
		t.Fatal(err)
	}
	// A warm allreduce allocates nothing, and its time on this machine.
	allocs := testing.AllocsPerRun(20, func() { _ = w.AllreduceSumFloat32(f32) })
	if allocs != 0 {
		t.Errorf("AllreduceSumFloat32 allocates %v times per call", allocs)
	}
	for i := range f32 {
		f32[i] = 1
	}
	const reps = 200
	w.Barrier()
	start := time.Now()
	for range reps {
		if err := w.AllreduceSumFloat32(f32); err != nil {
			t.Fatal(err)
		}
	}
	per := time.Since(start) / reps
	one32 := f32[:1]
	w.Barrier()
	start = time.Now()
	for range 10 * reps {
		if err := w.AllreduceSumFloat32(one32); err != nil {
			t.Fatal(err)
		}
	}
	lat := time.Since(start) / (10 * reps)
	if r == 0 {
		fmt.Printf("allreduce of %d float32 over %d ranks: %v per call (mean of %d); of 1 float32: %v\n", m, n, per, reps, lat)
	}

	// Error paths: each returns an error, and both ranks take every one of
	// them (a failed argument check returns before any communication).
	wantMPIError(t, w, "allreduce on MPI_COMM_NULL", w.rawAllreduceFloat32(commNull, f32[:4], 4))
	wantMPIError(t, w, "allreduce of count -1", w.rawAllreduceFloat32(commWorld, f32[:4], -1))
	wantMPIError(t, w, "broadcast from root 7 of 2", w.rawBroadcastFloat32(commWorld, f32[:4], 7))
	wantMPIError(t, w, "broadcast from root -1", w.rawBroadcastFloat32(commWorld, f32[:4], -1))
	wantMPIError(t, w, "barrier on MPI_COMM_NULL", w.rawBarrier(commNull))
	if err := w.BroadcastFloat32(f32[:4], 2); err == nil || !strings.Contains(err.Error(), "root 2") {
		t.Errorf("checked broadcast from root 2 of 2: %v", err)
	}
	if err := checkCount("x", math.MaxInt32+1); err == nil {
		t.Errorf("a count above MaxInt32 passes the check")
	}
	// MPI still works after the errors.
	one := []float64{1}
	if err := w.AllreduceSumFloat64(one); err != nil || one[0] != 2 {
		t.Errorf("allreduce after the error paths: %v, %v", one, err)
	}
	if err := w.Finalize(); err != nil {
		t.Fatal(err)
	}
	for what, err := range map[string]error{
		"Allreduce": w.AllreduceSumFloat32(f32[:1]), "Bcast": w.BroadcastFloat32(f32[:1], 0),
		"Barrier": w.Barrier(), "Finalize": w.Finalize(),
	} {
		if !errors.Is(err, ErrFinalized) {
			t.Errorf("%s after Finalize: %v, want ErrFinalized", what, err)
		}
	}
	if _, err := Init(); !errors.Is(err, ErrInitialized) {
		t.Errorf("Init after Finalize: %v, want ErrInitialized", err)
	}
	if !t.Failed() {
		fmt.Printf("rank %d of %d ok\n", r, n)
	}
}

// childKill: rank 1 kills itself once both ranks are past a barrier; rank
// 0 waits in allreduces for it. mpirun must end the job.
func childKill(t *testing.T, w *World) {
	if err := w.Barrier(); err != nil {
		t.Fatal(err)
	}
	if w.Rank() == 1 {
		syscall.Kill(os.Getpid(), syscall.SIGKILL)
	}
	buf := make([]float32, 1024)
	for {
		if err := w.AllreduceSumFloat32(buf); err != nil {
			t.Fatalf("rank %d: allreduce after the peer died: %v", w.Rank(), err)
		}
	}
}
