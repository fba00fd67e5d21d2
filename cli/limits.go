package cli

import (
	"fmt"
	"math"
	"math/bits"
	"os"
	"runtime"
	"strconv"
	"strings"

	"github.com/descent-ml/descent/model"
)

// Bounds on what the flags may ask for, checked before any data is loaded
// so that a hostile or mistyped value is one line and exit status 2, never a
// Go runtime crash (out of memory, GOMAXPROCS overflow) after a minute of
// loading.

// maxThreads is the most threads --threads accepts: four per CPU. More
// only oversubscribes the cores (a 1000-thread OpenMP team on 2 cores
// thrashes), and an unbounded count overflows GOMAXPROCS.
func maxThreads() int { return 4 * runtime.NumCPU() }

// threadsUsage is the --threads help text, with the cap.
func threadsUsage() string {
	return fmt.Sprintf("threads for the backend: auto or a number up to 4×CPUs (%d here)", maxThreads())
}

// checkLR refuses a learning rate that is not positive and finite in
// float32, the precision the optimizers compute in: 1e39 is +Inf there and
// 1e-46 is 0, either of which makes a run NaN (or frozen) from the first
// step.
func checkLR(flag string, lr float64) error {
	f := float32(lr)
	if !(lr > 0) || math.IsInf(lr, 0) || math.IsInf(float64(f), 0) || f == 0 {
		return usagef("%s: %v is not a positive learning rate that float32 can hold (%.2g to %.2g)",
			flag, lr, math.SmallestNonzeroFloat32, math.MaxFloat32)
	}
	return nil
}

// Memory accounting of a network, in float32 values, per parameter and per
// sample of a batch.
const (
	// paramCopies: the parameters, their gradients, up to three optimizer
	// slots (Adam with AMSGrad), and the snapshot a Predictor evaluates.
	paramCopies = 6
	// unitCopies: per sample and hidden/output unit, the training
	// workspace's activation and delta and the evaluation workspace's
	// activation.
	unitCopies = 3
	// ioCopies: per sample, the training batch and the evaluation batch
	// of inputs (×input), and targets, loss gradients and outputs (×classes).
	ioCopies = 3
)

// footprint is the memory a network needs: its parameter count and the
// bytes of parameters, optimizer slots and workspaces for batch samples,
// computed with saturating arithmetic (math.MaxUint64 means "more than can
// be counted").
type footprint struct {
	params, bytes uint64
}

// networkFootprint computes the footprint of input → layers… with batch
// samples per step.
func networkFootprint(input int, layers []int, batch uint64) footprint {
	var params, units uint64
	in := uint64(input)
	for _, u := range layers {
		params = addSat(params, addSat(mulSat(in, uint64(u)), uint64(u)))
		units = addSat(units, uint64(u))
		in = uint64(u)
	}
	perSample := addSat(mulSat(unitCopies, units), mulSat(ioCopies, addSat(uint64(input), in)))
	floats := addSat(mulSat(paramCopies, params), mulSat(batch, perSample))
	return footprint{params: params, bytes: mulSat(4, floats)}
}

func mulSat(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	if hi != 0 {
		return math.MaxUint64
	}
	return lo
}

func addSat(a, b uint64) uint64 {
	s, carry := bits.Add64(a, b, 0)
	if carry != 0 {
		return math.MaxUint64
	}
	return s
}

// memoryBound is the most memory a network may need: three quarters of the
// machine's physical memory (MemTotal in /proc/meminfo), or 16 GiB where
// that cannot be read. Past it the Go runtime would die with "out of
// memory", or the machine would swap.
func memoryBound() (bytes uint64, what string) {
	if total, ok := memTotal(); ok {
		return total / 4 * 3, fmt.Sprintf("3/4 of this machine's %s of memory", formatBytes(total))
	}
	return 16 << 30, "16 GiB (this machine's memory is unknown)"
}

// memTotal reads MemTotal from /proc/meminfo.
func memTotal() (uint64, bool) {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "MemTotal:"); ok {
			f := strings.Fields(v)
			if len(f) == 2 && f[1] == "kB" {
				if kb, err := strconv.ParseUint(f[0], 10, 64); err == nil && kb > 0 {
					return mulSat(kb, 1024), true
				}
			}
		}
	}
	return 0, false
}

// formatBytes writes n in binary units ("3.5 GiB").
func formatBytes(n uint64) string {
	if n == math.MaxUint64 {
		return "more than 16 EiB"
	}
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	v, i := float64(n), 0
	for v >= unit && i < 6 {
		v /= unit
		i++
	}
	return fmt.Sprintf("%.1f %ciB", v, "KMGTPE"[i-1])
}

// formatCount writes a saturated count.
func formatCount(n uint64) string {
	if n == math.MaxUint64 {
		return "more than 2^64"
	}
	return strconv.FormatUint(n, 10)
}

// checkNetworkSize refuses a network (input → layers…, batch samples per
// step) with more parameters than a model file holds (model.MaxParams) or
// whose memory exceeds memoryBound. what names the flags that set it.
func checkNetworkSize(what string, input int, layers []int, batch uint64) error {
	return checkFootprint(what, networkFootprint(input, layers, batch))
}

// checkFootprint is checkNetworkSize for a footprint already computed.
func checkFootprint(what string, fp footprint) error {
	if fp.params > model.MaxParams {
		return usagef("%s: the network would have %s parameters (%s as float32); the most descent builds is %d, what a model file holds",
			what, formatCount(fp.params), formatBytes(mulSat(4, fp.params)), model.MaxParams)
	}
	if bound, desc := memoryBound(); fp.bytes > bound {
		return usagef("%s: this would need %s of memory (parameters, gradients, optimizer slots and workspaces for the batch); the bound is %s",
			what, formatBytes(fp.bytes), desc)
	}
	return nil
}

// checkTrainingSize checks a training configuration's network and batch
// (cfg.Input and cfg.Classes are the data set's, known before it loads).
func checkTrainingSize(cfg NetConfig) error {
	fp := networkFootprint(cfg.Input, append(append([]int(nil), cfg.Hidden...), cfg.Classes), uint64(cfg.BatchSize))
	return checkFootprint("--hidden "+joinInts(cfg.Hidden)+" with --batch-size "+strconv.Itoa(cfg.BatchSize),
		dropoutFootprint(fp, cfg.Hidden, uint64(cfg.BatchSize), cfg.Dropout))
}

// checkBatchFits refuses a batch larger than the training set: every step
// would be one partial batch, and the workspaces would be sized for samples
// that do not exist.
func checkBatchFits(batch, samples int) error {
	if batch > samples {
		return usagef("--batch-size: %d is larger than the %d training samples", batch, samples)
	}
	return nil
}

func joinInts(xs []int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = strconv.Itoa(x)
	}
	return strings.Join(s, ",")
}

// checkModelBatch refuses a batch (rows per forward pass, summed over the
// workers that hold a workspace each) whose workspaces for the loaded model
// would exceed memoryBound. flag names the flags that set it.
func checkModelBatch(flag string, m *model.Sequential, rows uint64) error {
	var units []int
	for _, l := range m.Layers() {
		units = append(units, l.Units)
	}
	return checkNetworkSize(flag, m.Input(), units, rows)
}
