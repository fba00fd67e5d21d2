package main

import (
	"fmt"
	"image/color"
	"os"
	"slices"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/descent-ml/descent/bench"
)

// renderTable is the Markdown the command prints and writes: a comment
// header, the notes, the epoch table and the 97% table.
func renderTable(header string, notes []string, rows, to97 []*row, max97, samples int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n", header)
	for _, n := range notes {
		fmt.Fprintf(&b, "# %s\n", n)
	}
	limit, limitCPU := 0.0, 0.0
	for _, r := range rows {
		if r.kind == "limit" {
			limit, limitCPU = r.median(), bench.Median(r.cpu)
		}
	}
	fmt.Fprintln(&b, "\n| system | median s/epoch | samples/s | × the f32 limit | median CPU s/epoch | × the limit's CPU s | epoch seconds | epoch losses | val accuracy |")
	fmt.Fprintln(&b, "|---|---|---|---|---|---|---|---|---|")
	for _, r := range ordered(rows) {
		ratio, ratioCPU := "-", "-"
		if limit > 0 && limitCPU > 0 {
			ratio, ratioCPU = fmt.Sprintf("%.2f", r.median()/limit), fmt.Sprintf("%.2f", bench.Median(r.cpu)/limitCPU)
		}
		fmt.Fprintf(&b, "| %s | %.3f | %.0f | %s | %.3f | %s | %s | %s | %.4f |\n", r.name, r.median(), float64(samples)/r.median(),
			ratio, bench.Median(r.cpu), ratioCPU, join(r.secs, "%.3f"), join(r.loss, "%.4f"), r.acc[len(r.secs)-1])
	}
	if best1, best := bestTorch(rows, true), bestTorch(rows, false); best != nil {
		fmt.Fprintf(&b, "\nPyTorch's best setting at 1 thread: %s (%.3f s); best of all its settings: %s (%.3f s).\n",
			best1.name, best1.median(), best.name, best.median())
	}
	if max97 <= 0 {
		fmt.Fprintln(&b, "\nTime to 97% validation accuracy: left out (--max-epochs-97 0).")
		return b.String()
	}
	fmt.Fprintf(&b, "\nTime to 97%% validation accuracy (training passes only, the timed epochs included; at most %d epochs):\n\n", max97)
	fmt.Fprintln(&b, "| system | epochs to 97% | training s to 97% | val accuracy per epoch |")
	fmt.Fprintln(&b, "|---|---|---|---|")
	for _, r := range to97 {
		ep, sec := "not reached", "-"
		if r.ep97 > 0 {
			ep, sec = fmt.Sprint(r.ep97), fmt.Sprintf("%.2f", r.sec97)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", r.name, ep, sec, join(r.acc, "%.4f"))
	}
	return b.String()
}

// ordered is the order: the limit, descent dnnl and openblas, the
// PyTorch rows, descent's pure-Go gonum, then the bf16 limit (another
// precision, so below the f32 rows).
func ordered(rows []*row) []*row {
	rank := func(r *row) int {
		switch {
		case r.kind == "limit":
			return 0
		case r.kind == "bf16", strings.Contains(r.name, "bf16"):
			return 4
		case r.kind == "torch":
			return 2
		case strings.HasPrefix(r.name, "descent gonum"):
			return 3
		}
		return 1
	}
	out := slices.Clone(rows)
	slices.SortStableFunc(out, func(a, b *row) int { return rank(a) - rank(b) })
	return out
}

// bestTorch is the fastest PyTorch row (at one thread only if oneThread).
func bestTorch(rows []*row, oneThread bool) *row {
	var best *row
	for _, r := range rows {
		if r.kind != "torch" || (oneThread && !strings.Contains(r.name, ", 1 thread,")) {
			continue
		}
		if best == nil || r.median() < best.median() {
			best = r
		}
	}
	return best
}

func join(xs []float64, format string) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = fmt.Sprintf(format, x)
	}
	return strings.Join(parts, " ")
}

// writeChart draws samples/s per system as horizontal bars (the limit on
// top) with gonum/plot, as package report draws its figures, to a PNG.
func writeChart(path string, rows []*row, samples int) (err error) {
	defer func() {
		if r := recover(); r != nil { // gonum/plot panics on degenerate input
			err = fmt.Errorf("chart %s: %v", path, r)
		}
	}()
	rs := ordered(rows)
	slices.Reverse(rs) // plot's y axis runs upwards
	vals, perCPU := make(plotter.Values, len(rs)), make(plotter.Values, len(rs))
	names := make([]string, len(rs))
	for i, r := range rs {
		vals[i] = float64(samples) / r.median()
		if c := bench.Median(r.cpu); c > 0 {
			perCPU[i] = float64(samples) / c
		}
		names[i] = shortName(r.name)
	}
	plot.DefaultFont = font.Font{Typeface: "Liberation", Variant: "Sans"}
	p := plot.New()
	p.Title.Text = "Training throughput, tutorial network on MNIST (batch 128)"
	p.X.Label.Text = "samples per second (median epoch), higher is better"
	p.Add(plotter.NewGrid())
	// Two bars per system, colours of report's palette: per wall second, and
	// per CPU second of the process (what a pass costs on a loaded machine).
	for i, s := range []struct {
		vals  plotter.Values
		label string
		c     color.RGBA
	}{{vals, "per wall second", color.RGBA{0x1f, 0x77, 0xb4, 0xff}}, {perCPU, "per CPU second", color.RGBA{0xff, 0x7f, 0x0e, 0xff}}} {
		bars, err := plotter.NewBarChart(s.vals, vg.Points(9))
		if err != nil {
			return err
		}
		bars.Horizontal = true
		bars.Color = s.c
		bars.LineStyle.Width = 0
		bars.Offset = vg.Points(9 * (0.5 - float64(i)))
		p.Add(bars)
		p.Legend.Add(s.label, bars)
	}
	// Top right, past the f32 limit's bar: room made by the axis's extra third.
	p.Legend.Top = true
	p.NominalY(names...)
	p.X.Min, p.X.Max = 0, 1.3*max(slices.Max(vals), slices.Max(perCPU))
	img := vgimg.NewWith(vgimg.UseWH(8*vg.Inch, vg.Length(1.2+0.32*float64(len(rs)))*vg.Inch), vgimg.UseDPI(96), vgimg.UseBackgroundColor(color.White))
	p.Draw(draw.New(img))
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(f); err != nil {
		f.Close()
		return fmt.Errorf("chart %s: %w", path, err)
	}
	return f.Close()
}

// shortName fits a row's name to the chart's axis.
func shortName(name string) string {
	r := strings.NewReplacer("whole-step C program, oneDNN f32 (the f32 limit), 1 thread", "C step, oneDNN f32 (limit)",
		"whole-step C program, oneDNN bf16 GEMMs (the bf16 limit), 1 thread", "C step, oneDNN bf16 GEMMs (bf16 limit)",
		" (OpenBLAS's choice)", "", " (OPENBLAS_CORETYPE=Haswell)", "", " (OPENBLAS_CORETYPE=SkylakeX)", "",
		"default threads", "default", ", 1 thread(s)", ", 1 thr", ", 2 thread(s)", ", 2 thr", ", 1 thread", ", 1 thr")
	return r.Replace(name)
}
