package main

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/descent-ml/descent/backend/dnnl"
	"github.com/descent-ml/descent/bench"
	"github.com/descent-ml/descent/data"
)

// row is one system of the table and what was measured on it.
type row struct {
	name  string
	kind  string // "limit", "descent" or "torch"
	sys   system
	secs  []float64 // training-pass seconds per timed epoch
	cpu   []float64 // the process's CPU seconds over each timed pass
	loss  []float64
	acc   []float64 // validation accuracy after every epoch (timed or not)
	all   []float64 // training-pass seconds of every epoch, timed or not
	ep97  int       // first epoch (1-based) at ≥ 97% validation accuracy, 0 if none
	sec97 float64   // training seconds up to and including it
}

func (r *row) median() float64 { return bench.Median(r.secs) }

// torchSettings are the PyTorch rows: threads (0: torch's default) and
// OPENBLAS_CORETYPE ("": OpenBLAS picks, which is Prescott on this Xeon).
var torchSettings = []struct {
	threads int
	core    string
}{{1, ""}, {1, "Haswell"}, {1, "SkylakeX"}, {0, ""}, {0, "Haswell"}, {0, "SkylakeX"}}

// openSystems starts every system; a peer that cannot start is left out
// with a note (PyTorch missing, the C program not built) rather than
// stopping the run. descent's backends must all open.
func openSystems(o options, trainSet, valSet *data.Dataset, params []float32) (rows []*row, notes []string, err error) {
	if o.step != "" {
		c, err := startCoprocess("step", []string{o.step, "--data", o.work, "--seed", fmt.Sprint(o.seed)}, []string{"OMP_NUM_THREADS=1"})
		if err != nil {
			notes = append(notes, fmt.Sprintf("the C program is left out: %v", err))
		} else {
			rows = append(rows, &row{name: "whole-step C program, oneDNN f32 (the f32 limit), 1 thread", kind: "limit", sys: c})
			notes = append(notes, fmt.Sprintf("C program: oneDNN %v, ISA %v, OMP_NUM_THREADS=1", c.hello["dnnl"], c.hello["isa"]))
		}
		if o.bf16 {
			c, err := startCoprocess("step --bf16", []string{o.step, "--data", o.work, "--seed", fmt.Sprint(o.seed), "--bf16"}, []string{"OMP_NUM_THREADS=1"})
			if err != nil {
				notes = append(notes, fmt.Sprintf("the bf16 C program is left out: %v", err))
			} else {
				rows = append(rows, &row{name: "whole-step C program, oneDNN bf16 GEMMs (the bf16 limit), 1 thread", kind: "bf16", sys: c})
			}
		}
	}
	for _, name := range strings.Split(o.backends, ",") {
		d, e, err := newDescent(strings.TrimSpace(name), params, trainSet, valSet, o.seed)
		if err != nil {
			return rows, notes, err
		}
		name := fmt.Sprintf("descent %s, %d thread(s)", e.Name(), e.Threads())
		if pe, ok := e.(interface{ Precision() dnnl.Precision }); ok && pe.Precision() == dnnl.BF16 {
			name = fmt.Sprintf("descent dnnl --precision bf16, %d thread(s)", e.Threads())
		}
		if cfg, ok := e.(interface{ Config() string }); ok {
			notes = append(notes, fmt.Sprintf("descent %s: %s", e.Name(), cfg.Config()))
			if _, core, ok := strings.Cut(cfg.Config(), "core="); ok { // OpenBLAS's kernels
				name += ", core=" + core
			}
		}
		rows = append(rows, &row{name: name, kind: "descent", sys: d})
	}
	if o.python == "" {
		notes = append(notes, "PyTorch is left out (--python empty)")
		return rows, notes, nil
	}
	for _, s := range torchSettings {
		// "": unset, whatever this process was given (run.sh gives descent's
		// OpenBLAS a kernel setting; PyTorch's default rows get none).
		env := []string{"OPENBLAS_CORETYPE=" + s.core}
		name := fmt.Sprintf("torch (threads %d, OPENBLAS_CORETYPE %q)", s.threads, s.core)
		argv := []string{o.python, o.torchScript, "--data", o.work, "--threads", fmt.Sprint(s.threads), "--seed", fmt.Sprint(o.seed)}
		c, err := startCoprocess(name, argv, env)
		if err != nil {
			notes = append(notes, fmt.Sprintf("PyTorch is left out: %v", err))
			return rows, notes, nil
		}
		threads := "1 thread"
		if s.threads == 0 {
			threads = fmt.Sprintf("default threads (torch %v, OpenBLAS %v)", c.hello["threads"], c.hello["blas_threads"])
		}
		core := fmt.Sprint(c.hello["blas"])
		if s.core == "" {
			core += " (OpenBLAS's choice)"
		} else {
			core += " (OPENBLAS_CORETYPE=" + s.core + ")"
		}
		rows = append(rows, &row{name: fmt.Sprintf("PyTorch %v, %s, %s", torchVersion(c.hello["torch"]), threads, core), kind: "torch", sys: c})
	}
	return rows, notes, nil
}

// timeEpochs trains every row for epochs epochs, epoch by epoch in turn,
// evaluating after each (outside the timed pass).
func timeEpochs(ctx context.Context, rows []*row, epochs int) error {
	for ep := 0; ep < epochs; ep++ {
		for _, r := range rows {
			res, err := r.sys.Train(ctx)
			if err != nil {
				return err
			}
			r.secs = append(r.secs, res.Seconds)
			r.cpu = append(r.cpu, res.CPUSeconds)
			r.loss = append(r.loss, res.Loss)
			if err := r.afterEpoch(ctx, res.Seconds); err != nil {
				return err
			}
			fmt.Fprintf(os.Stderr, "peers: epoch %d %-70s %.3f s, loss %.4f, val acc %.4f\n", ep+1, r.name, res.Seconds, res.Loss, r.acc[len(r.acc)-1])
		}
	}
	return nil
}

// afterEpoch evaluates and records whether 97% was reached.
func (r *row) afterEpoch(ctx context.Context, sec float64) error {
	acc, err := r.sys.Eval(ctx)
	if err != nil {
		return err
	}
	r.all = append(r.all, sec)
	r.acc = append(r.acc, acc)
	if r.ep97 == 0 && acc >= 0.97 {
		r.ep97 = len(r.acc)
		for _, s := range r.all {
			r.sec97 += s
		}
	}
	return nil
}

// chase97 picks the rows of the 97% race: the f32 and bf16 limits, descent
// dnnl (or the first descent backend) and the fastest PyTorch setting.
func chase97(rows []*row) []*row {
	var out []*row
	var bestTorch, firstDescent, dnnl *row
	for _, r := range rows {
		switch r.kind {
		case "limit", "bf16":
			out = append(out, r)
		case "descent":
			if firstDescent == nil {
				firstDescent = r
			}
			if strings.HasPrefix(r.name, "descent dnnl") {
				dnnl = r
			}
		case "torch":
			if bestTorch == nil || r.median() < bestTorch.median() {
				bestTorch = r
			}
		}
	}
	if dnnl == nil {
		dnnl = firstDescent
	}
	for _, r := range []*row{dnnl, bestTorch} {
		if r != nil {
			out = append(out, r)
		}
	}
	return out
}

// trainTo97 trains the rows on, interleaved, until each has reached 97%
// validation accuracy or max epochs.
func trainTo97(ctx context.Context, rows []*row, max int) error {
	for {
		active := slices.DeleteFunc(slices.Clone(rows), func(r *row) bool { return r.ep97 > 0 || len(r.acc) >= max })
		if len(active) == 0 {
			return nil
		}
		for _, r := range active {
			res, err := r.sys.Train(ctx)
			if err != nil {
				return err
			}
			if err := r.afterEpoch(ctx, res.Seconds); err != nil {
				return err
			}
			fmt.Fprintf(os.Stderr, "peers: to 97%%: epoch %d %-60s val acc %.4f\n", len(r.acc), r.name, r.acc[len(r.acc)-1])
		}
	}
}

// torchVersion is "1.13" for Debian's "1.13.0a0".
func torchVersion(v any) string {
	s := fmt.Sprint(v)
	if parts := strings.Split(s, "."); len(parts) >= 2 {
		return parts[0] + "." + parts[1]
	}
	return s
}
