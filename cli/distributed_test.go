package cli_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/descent-ml/descent/bindings/mpi"
	"github.com/descent-ml/descent/cli"
)

// --distributed's refusals come before MPI is initialised or any data is
// read, as one line and a non-zero status (the two ranks' runs are in
// cli/descent's TestMpirunTrain). None of these cases calls MPI_Init.
func TestDistributedRefusals(t *testing.T) {
	withoutMPI := !mpi.Available()
	for _, c := range []struct {
		name   string
		world  string // OMPI_COMM_WORLD_SIZE, "" when not under mpirun
		args   []string
		status int
		want   string
	}{
		{"mpi without mpirun", "", []string{"--distributed", "mpi"}, cli.ExitUsage, "not started by mpirun"},
		{"unknown mode", "2", []string{"--distributed", "tcp"}, cli.ExitUsage, `unknown mode "tcp"`},
		{"batch not divisible", "2", []string{"--batch-size", "127"}, cli.ExitUsage, "do not split evenly over the 2 ranks"},
		{"checkpoints", "2", []string{"--checkpoint", t.TempDir()}, cli.ExitUsage, "--checkpoint: not supported with data-parallel training"},
		{"lr auto", "2", []string{"--lr", "auto"}, cli.ExitUsage, "--lr auto: not supported with data-parallel training"},
	} {
		t.Run(c.name, func(t *testing.T) {
			status, want := c.status, c.want
			if withoutMPI && c.world != "" && c.want != `unknown mode "tcp"` {
				status, want = cli.ExitError, "built without MPI"
			}
			var out, errb bytes.Buffer
			getenv := func(k string) string {
				if k == "OMPI_COMM_WORLD_SIZE" {
					return c.world
				}
				return ""
			}
			got := cli.Run(context.Background(), append([]string{"descent", "train", "--epochs", "1"}, c.args...),
				cli.Env{Stdout: &out, Stderr: &errb, Getenv: getenv})
			assert.Equal(t, status, got, errb.String())
			assert.Contains(t, errb.String(), want)
		})
	}
}
