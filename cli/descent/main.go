// Command descent trains dense neural networks on the CPU.
//
//	descent train                      # the tutorial network on MNIST
//	descent train --optimizer sgd --lr 1 --epochs 5 --out runs/sgd
//	descent sweep                      # the tutorial's learning-rate sweep
//	descent compare                    # SGD, momentum, RMSprop, Adam side by side
//	descent report DIR                 # rebuild a run folder's report.html
//	descent evaluate --model FILE      # classification report of a saved model
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
	"syscall"

	"golang.org/x/term"

	"github.com/descent-ml/descent/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	status := cli.Run(ctx, os.Args, cli.Env{
		Stdout:     os.Stdout,
		Stderr:     os.Stderr,
		IsTerminal: term.IsTerminal(int(os.Stdout.Fd())),
		Getenv:     os.Getenv,
	})
	stop()
	os.Exit(status)
}
