// Command descent trains dense neural networks on the CPU.
//
//	descent train                      # the tutorial network on MNIST
//	descent train --optimizer sgd --lr 1 --epochs 5 --out runs/sgd
//	descent sweep                      # the tutorial's learning-rate sweep
//	descent compare                    # SGD, momentum, RMSprop, Adam side by side
//	descent report DIR                 # rebuild a run folder's report.html
//	descent evaluate --model FILE      # classification report of a saved model
//	descent predict --model FILE --data x.csv --out p.csv  # a prediction per input row
//	descent serve --model FILE         # TensorFlow Serving's REST predict API on 127.0.0.1:8501
//	descent loss --y-true '[[0,1]]' --y-pred '[[0.2,0.8]]'
//	descent bench                      # epoch time per backend
//	descent bench predict              # predictions/s per backend and goroutines, vs PyTorch
//	descent bench serve                # loopback load test of the model server
//
// Run descent --help, or descent COMMAND --help, for every flag.
package main

import (
	"context"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"

	"golang.org/x/term"

	"github.com/descent-ml/descent/cli"
)

// Exit statuses after a signal, as a shell reports them: 128 + the signal.
const (
	exitSIGINT  = 130
	exitSIGTERM = 143
)

func main() {
	ctx, cancel := context.WithCancel(context.Background())
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	var got atomic.Int32 // the exit status of the first signal, 0 for none
	go func() {
		for s := range sigs {
			status := int32(exitSIGTERM)
			if s == os.Interrupt {
				status = exitSIGINT
			}
			if !got.CompareAndSwap(0, status) {
				if s == os.Interrupt { // a second Ctrl-C: now
					os.Exit(exitSIGINT)
				}
				continue
			}
			// The first: the run finishes its step, writes what it has
			// (checkpoint, --save, --history...) and returns.
			cancel()
		}
	}()
	status := cli.Run(ctx, os.Args, cli.Env{
		Stdout:     os.Stdout,
		Stderr:     os.Stderr,
		IsTerminal: term.IsTerminal(int(os.Stdout.Fd())),
		Getenv:     os.Getenv,
	})
	signal.Stop(sigs)
	if s := got.Load(); s != 0 && status != cli.ExitOK {
		status = int(s) // stopped by the signal: say which
	}
	cancel()
	os.Exit(status)
}
