package train_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/descent-ml/descent/bindings/mpi"
	"github.com/descent-ml/descent/train"
)

// AllreduceMean over the real binding: this test binary re-executed under
// mpirun -np 2, each rank training on its half of every batch through
// *mpi.World. The ranks must end bitwise equal (checked by a broadcast of
// rank 0's weights) and within the tolerance of
// TestAllreduceMeanTwoRanksMatchOneBatch of one trainer on whole batches.
// Skips without OpenMPI, fails instead under DESCENT_REQUIRE_MPI=1.
func TestAllreduceMeanUnderMpirun(t *testing.T) {
	const env = "DESCENT_MPI_TRAIN_CHILD"
	if os.Getenv(env) == "1" {
		mpiTrainChild(t)
		return
	}
	missing := func(why string) {
		if os.Getenv("DESCENT_REQUIRE_MPI") == "1" {
			t.Fatalf("DESCENT_REQUIRE_MPI=1 but %s", why)
		}
		t.Skipf("skipped: %s (set DESCENT_REQUIRE_MPI=1 to make this a failure)", why)
	}
	if !mpi.Available() {
		missing("OpenMPI is not linked into this binary (no cgo, or -tags nompi)")
	}
	bin, err := exec.LookPath("mpirun")
	if err != nil {
		missing("mpirun is not on PATH (Debian: apt-get install openmpi-bin)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--allow-run-as-root", "--oversubscribe", "-np", "2",
		os.Args[0], "-test.run=^TestAllreduceMeanUnderMpirun$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), env+"=1")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("mpirun: %v; output:\n%s", err, out.String())
	}
	for _, l := range strings.Split(out.String(), "\n") {
		if strings.Contains(l, "train ok") {
			t.Log(strings.TrimSpace(l))
		}
	}
	for r := range 2 {
		if !strings.Contains(out.String(), fmt.Sprintf("rank %d of 2: train ok", r)) {
			t.Errorf("rank %d did not report; output:\n%s", r, out.String())
		}
	}
}

func mpiTrainChild(t *testing.T) {
	w, err := mpi.Init()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Finalize()
	const steps, half = 8, 4
	r, n := w.Rank(), w.Size()
	if n != 2 {
		t.Fatalf("size %d, want 2", n)
	}
	h, err := train.AllreduceMean(w)
	if err != nil {
		t.Fatal(err)
	}
	tr := newSGDTrainer(t, smallNet(t), half, train.WithGradientHooks(h))
	ref := newSGDTrainer(t, smallNet(t), 2*half)
	src := smallSet(32, 7)
	var worst float64
	for s := range steps {
		base := (s * 2 * half) % 32
		if _, _, err := tr.TrainBatch(src, seq(base+r*half, base+(r+1)*half)); err != nil {
			t.Fatal(err)
		}
		if _, _, err := ref.TrainBatch(src, seq(base, base+2*half)); err != nil {
			t.Fatal(err)
		}
		worst = max(worst, maxAbsDiff(tr.Model().Params, ref.Model().Params))
	}
	mine := tr.Model().Params
	root := append([]float32(nil), mine...)
	if err := w.BroadcastFloat32(root, 0); err != nil {
		t.Fatal(err)
	}
	for i := range mine {
		if mine[i] != root[i] {
			t.Fatalf("rank %d: weight %d is %v, rank 0 has %v", r, i, mine[i], root[i])
		}
	}
	if worst > 1e-5 {
		t.Fatalf("rank %d: max |Δparam| to one trainer on whole batches %.3g", r, worst)
	}
	fmt.Printf("rank %d of %d: train ok (max |Δparam| to one whole-batch trainer %.3g)\n", r, n, worst)
}
