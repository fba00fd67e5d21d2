// Command peers times the tutorial network's training epochs on descent's
// backends beside its peers: the whole step written in C on oneDNN alone
// (native/bench/step.c, "the f32 limit") and PyTorch 1.13
// (scripts/peers/torch_train.py) at one thread and at its default threads,
// each with OpenBLAS's default kernels and with OPENBLAS_CORETYPE Haswell and
// SkylakeX. Every system gets the same data (descent's MNIST split), the
// same initial weights, batch 128 and Keras's Adam formulas; the epochs run
// interleaved (epoch 1 of every system, then epoch 2, …). It prints a
// Markdown table of median s/epoch and the ratio to the f32 limit, the
// epochs and training seconds to 97% validation accuracy, and writes the
// table and a bar chart (PNG) of samples/s per system.
//
// bench/peers/run.sh builds the C program and runs this; see its usage.
package main

import (
	"context"
	"encoding/binary"
	"flag"
	"fmt"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"time"

	"github.com/descent-ml/descent/bench"
	"github.com/descent-ml/descent/bindings/libdnnl"
	"github.com/descent-ml/descent/data"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "peers:", err)
		os.Exit(1)
	}
}

type options struct {
	work, step, python, torchScript, out, png string
	backends                                  string
	epochs, max97                             int
	bf16                                      bool
	seed                                      uint64
}

func run(ctx context.Context) error {
	var o options
	flag.StringVar(&o.work, "work", filepath.Join(os.TempDir(), "descent-peers"), "folder for the data files the peers read")
	flag.StringVar(&o.step, "step", "build/bench_step", "the C program (native/bench/step.c); empty: leave it out")
	flag.StringVar(&o.python, "python", "/usr/bin/python3", "interpreter with torch; empty: leave PyTorch out")
	flag.StringVar(&o.torchScript, "torch-script", "scripts/peers/torch_train.py", "the PyTorch peer")
	flag.StringVar(&o.backends, "backends", defaultBackends(), "descent backends, comma-separated (dnnl-bf16: the dnnl backend with --precision bf16)")
	flag.BoolVar(&o.bf16, "bf16", true, "also run the C program with bf16 GEMMs (the bf16 limit)")
	flag.IntVar(&o.epochs, "epochs", 3, "timed epochs per system, interleaved")
	flag.IntVar(&o.max97, "max-epochs-97", 15, "most epochs to train towards 97% validation accuracy (0: leave that row out)")
	flag.Uint64Var(&o.seed, "seed", 1, "seed of the initial weights and the shuffles")
	flag.StringVar(&o.out, "out", "", "also write the Markdown table here")
	flag.StringVar(&o.png, "png", "", "write the bar chart of samples/s here")
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: go run ./bench/peers [flags]   (bench/peers/run.sh builds the peers and calls this)")
		flag.PrintDefaults()
	}
	flag.Parse()
	if o.epochs < 1 || flag.NArg() > 0 {
		flag.Usage()
		return fmt.Errorf("want --epochs ≥ 1 and no arguments")
	}

	trainSet, valSet, err := split()
	if err != nil {
		return err
	}
	params, err := initialParams(o.seed)
	if err != nil {
		return err
	}
	if err := writeData(o.work, trainSet, valSet, params); err != nil {
		return err
	}
	rows, notes, err := openSystems(o, trainSet, valSet, params)
	defer func() {
		for _, r := range rows {
			r.sys.Close()
		}
	}()
	if err != nil {
		return err
	}
	if err := timeEpochs(ctx, rows, o.epochs); err != nil {
		return err
	}
	var to97 []*row
	if o.max97 > 0 {
		to97 = chase97(rows)
		if err := trainTo97(ctx, to97, o.max97); err != nil {
			return err
		}
	}
	header := fmt.Sprintf("bench/peers, %s, %s, %d CPUs, %s; tutorial network 784-128-128-10 sigmoid, Keras Adam, batch 128, %d training samples, %d epochs per system, interleaved",
		time.Now().UTC().Format("2006-01-02"), bench.CPUModel(), runtime.NumCPU(), runtime.Version(), trainSet.Len(), o.epochs)
	table := renderTable(header, notes, rows, to97, o.max97, trainSet.Len())
	fmt.Print(table)
	if o.out != "" {
		if err := os.WriteFile(o.out, []byte(table), 0o644); err != nil {
			return err
		}
	}
	if o.png != "" {
		return writeChart(o.png, rows, trainSet.Len())
	}
	return nil
}

// split is descent's MNIST training split: the 60,000 training images less
// a validation tenth, as train_test_split(random_state=42) draws it.
func split() (trainSet, valSet *data.Dataset, err error) {
	dir, err := data.LocateMNIST()
	if err != nil {
		return nil, nil, err
	}
	full, _, err := data.LoadMNIST(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("mnist: %w", err)
	}
	trIdx, valIdx, err := data.TrainTestSplit(full.Len(), 0.1, 42)
	if err != nil {
		return nil, nil, err
	}
	return full.Subset(trIdx), full.Subset(valIdx), nil
}

// writeData writes the files the peers read (see native/bench/step.c).
func writeData(dir string, trainSet, valSet *data.Dataset, params []float32) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	files := map[string][]byte{
		"train_x.u8": trainSet.Images, "train_y.u8": trainSet.Labels,
		"val_x.u8": valSet.Images, "val_y.u8": valSet.Labels,
	}
	p := make([]byte, 4*len(params))
	for i, v := range params {
		binary.LittleEndian.PutUint32(p[4*i:], math.Float32bits(v))
	}
	files["init.f32"] = p
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// defaultBackends are descent's three backends, and dnnl in bf16 where
// the CPU and oneDNN have bf16 kernels.
func defaultBackends() string {
	if libdnnl.Available() && libdnnl.BF16Supported() {
		return "dnnl,dnnl-bf16,openblas,gonum"
	}
	return "dnnl,openblas,gonum"
}
