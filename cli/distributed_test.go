package cli_test

import (
	"bytes"
	"context"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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

// Every command but train refuses to be one of several mpirun ranks, with
// a usage error naming itself, before it reads or writes anything; one
// rank (OMPI_COMM_WORLD_SIZE=1) is an ordinary process.
func TestOnlyTrainRunsUnderMpirun(t *testing.T) {
	out := t.TempDir()
	for _, args := range [][]string{
		{"sweep", "--out", out},
		{"compare", "--out", out},
		{"lrfind", "--out", out},
		{"evaluate", "--model", "m.descent"},
		{"predict", "--model", "m.descent", "--data", "x.csv", "--output", "p.csv"},
		{"serve", "--model", "m.descent"},
		{"report", "--out", out},
		{"loss"},
	} {
		t.Run(args[0], func(t *testing.T) {
			var stdout, errb bytes.Buffer
			getenv := func(k string) string {
				if k == "OMPI_COMM_WORLD_SIZE" {
					return "2"
				}
				return ""
			}
			got := cli.Run(context.Background(), append([]string{"descent"}, args...),
				cli.Env{Stdout: &stdout, Stderr: &errb, Getenv: getenv})
			assert.Equal(t, cli.ExitUsage, got, errb.String())
			assert.Contains(t, errb.String(), "descent "+args[0]+" does not run under mpirun (this is one of 2 ranks)")
			assert.Empty(t, stdout.String())
		})
	}
	entries, err := os.ReadDir(out)
	require.NoError(t, err)
	assert.Empty(t, entries, "a refused command wrote into --out")

	var stdout, errb bytes.Buffer
	one := func(k string) string {
		if k == "OMPI_COMM_WORLD_SIZE" {
			return "1"
		}
		return ""
	}
	got := cli.Run(context.Background(), []string{"descent", "loss", "--y-true", "[[0,1]]", "--y-pred", "[[0.2,0.8]]"}, cli.Env{Stdout: &stdout, Stderr: &errb, Getenv: one})
	assert.Equal(t, cli.ExitOK, got, errb.String())
	assert.Contains(t, stdout.String(), "losses: [0.22314355]", "one rank runs the command as usual")
}
