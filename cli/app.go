// Package cli is the descent command-line application (urfave/cli v2):
// descent train, sweep, compare, lrfind, report, evaluate, predict, serve,
// loss, bench, bench predict and bench serve.
//
// Errors. A wrong flag or value is a usage error: one line on stderr and exit
// status 2. A failure while running (unreadable data, cancelled run) is
// printed in full, every line of it (the MNIST-not-found hint lists the
// places searched and the fix), with exit status 1. A descent train run
// whose loss stops being finite (--on-nan stop, the default) writes what it
// has (--history, --out; not --save: non-finite weights cannot be saved),
// says in one line the epoch, the step and the likely cause, and exits with
// status 3; descent sweep and compare record such a run as diverged and go
// on with the others. No Go panic trace ever reaches the user: Run recovers
// and reports it as an internal error.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	ucli "github.com/urfave/cli/v2"

	"github.com/descent-ml/descent/train"
)

// Exit statuses.
const (
	ExitOK    = 0
	ExitError = 1 // the command failed while running
	ExitUsage = 2 // wrong flags or values
	// ExitDiverged: training stopped on a non-finite loss (train.ErrDiverged).
	ExitDiverged = 3
)

// usageError marks an error caused by the command line itself.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// usagef returns a usage error (exit status 2).
func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// Env is what a command reads and writes besides its flags.
type Env struct {
	Stdout, Stderr io.Writer
	// IsTerminal reports whether Stdout is a terminal (live progress bars).
	IsTerminal bool
	// Getenv reads the environment (os.Getenv in the binary).
	Getenv func(string) string
}

// NewApp builds the application.
func NewApp(env Env) *ucli.App {
	app := &ucli.App{
		Name:                 "descent",
		Usage:                "train dense neural networks on the CPU, fast",
		Writer:               env.Stdout,
		ErrWriter:            env.Stderr,
		EnableBashCompletion: false,
		HideHelpCommand:      true,
		Commands: []*ucli.Command{
			trainCommand(env),
			lossCommand(env),
			benchCommand(env),
			sweepCommand(env),
			compareCommand(env),
			lrfindCommand(env),
			reportCommand(env),
			evaluateCommand(env),
			predictCommand(env),
			serveCommand(env),
		},
		OnUsageError: func(c *ucli.Context, err error, isSubcommand bool) error {
			return usageError{err.Error()}
		},
		ExitErrHandler: func(*ucli.Context, error) {}, // Run decides the exit status
	}
	for _, cmd := range app.Commands {
		cmd.OnUsageError = app.OnUsageError
	}
	return app
}

// getenv is env.Getenv, or "" when the Env has none.
func getenv(env Env, key string) string {
	if env.Getenv == nil {
		return ""
	}
	return env.Getenv(key)
}

// singleProcess refuses to run command name as one of several ranks of an
// MPI job (OpenMPI's mpirun sets OMPI_COMM_WORLD_SIZE): only descent train
// trains data-parallel, and N copies of any other command would do the
// same work N times and write the same files at once (train's
// --distributed none is the way to run one model per rank). It runs
// before the command parses its flags, so nothing is read or written.
func singleProcess(env Env, name string) error {
	if name == "train" || name == "" {
		return nil
	}
	if n, err := strconv.Atoi(getenv(env, "OMPI_COMM_WORLD_SIZE")); err == nil && n > 1 {
		return usagef("descent %s does not run under mpirun (this is one of %d ranks): only descent train trains data-parallel; run descent %s as one process", name, n, name)
	}
	return nil
}

// Run runs the application with args (args[0] is the program name) and
// returns the exit status.
func Run(ctx context.Context, args []string, env Env) (status int) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(env.Stderr, "descent: internal error: %v (please report this with the command you ran)\n", r)
			status = ExitError
		}
	}()
	err := singleProcess(env, commandName(args))
	if err == nil {
		err = NewApp(env).RunContext(ctx, args)
	}
	if err == nil {
		return ExitOK
	}
	msg := strings.TrimSpace(err.Error())
	var ue usageError
	if errors.As(err, &ue) || isFlagError(msg) {
		fmt.Fprintf(env.Stderr, "descent: %s (see descent %s --help)\n", firstLine(msg), commandName(args))
		return ExitUsage
	}
	fmt.Fprintf(env.Stderr, "descent: %s\n", msg)
	if errors.Is(err, train.ErrDiverged) {
		return ExitDiverged
	}
	return ExitError
}

// isFlagError recognises the errors urfave/cli returns for unknown commands
// and flags that do not pass through OnUsageError.
func isFlagError(msg string) bool {
	for _, s := range []string{"flag provided but not defined", "invalid value", "No help topic", "Required flag"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

func commandName(args []string) string {
	for _, a := range args[1:] {
		if !strings.HasPrefix(a, "-") {
			return a
		}
	}
	return ""
}
