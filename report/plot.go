package report

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"slices"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Figure describes one of the experiment's figures: one line per run of a
// per-epoch metric, epochs on x.
type Figure struct {
	// Name is the file name without extension and the page's anchor.
	Name string
	// Metric is the History series plotted.
	Metric string
	// Title, XLabel and YLabel are the texts on the figure.
	Title, XLabel, YLabel string
	// Log selects a logarithmic y axis; non-positive values are then left
	// out, as are non-finite values on either scale.
	Log bool
}

// Figures are a classifier's figures, the tutorial's two (its
// plot_results): validation accuracy, and validation loss on a log scale.
var Figures = []Figure{
	{Name: "val_accuracy", Metric: "val_accuracy", Title: "Validation accuracy", XLabel: "epoch", YLabel: "accuracy"},
	valLossFigure,
}

// RegressionFigures are a regression's figures: the validation mean
// absolute error, and the validation loss (mean squared error) on a log
// scale.
var RegressionFigures = []Figure{
	{Name: "val_mae", Metric: "val_mae", Title: "Validation mean absolute error", XLabel: "epoch", YLabel: "mae"},
	valLossFigure,
}

var valLossFigure = Figure{Name: "val_loss", Metric: "val_loss", Title: "Validation loss", XLabel: "epoch", YLabel: "loss (log scale)", Log: true}

// LRFigure is the learning rate of every epoch (History.LR), on a log
// scale: drawn when a run recorded it (a schedule, ReduceLROnPlateau).
var LRFigure = Figure{Name: "lr", Metric: "lr", Title: "Learning rate", XLabel: "epoch", YLabel: "learning rate (log scale)", Log: true}

// FiguresOf returns the figures of an experiment's runs: those of their
// task ([FiguresFor]), and [LRFigure] when a run recorded its learning rate.
func FiguresOf(runs []*Run) []Figure {
	figs := FiguresFor(ExperimentTask(runs))
	for _, r := range runs {
		if len(r.History.LR) > 0 {
			return append(slices.Clip(figs), LRFigure)
		}
	}
	return figs
}

// FiguresFor returns the figures of an experiment whose runs have task
// (see [ExperimentTask]): RegressionFigures for a regression, else Figures.
func FiguresFor(task string) []Figure {
	if isRegression(task) {
		return RegressionFigures
	}
	return Figures
}

// Figure size, and the resolution of the PNG (7×4 in at 128 dpi is 896×512
// pixels).
const (
	figWidth  = 7 * vg.Inch
	figHeight = 4 * vg.Inch
	figDPI    = 128
)

// palette is matplotlib's default colour cycle ("tab10"), so that the
// figures read like the tutorial's.
var palette = []color.RGBA{
	{0x1f, 0x77, 0xb4, 0xff}, {0xff, 0x7f, 0x0e, 0xff}, {0x2c, 0xa0, 0x2c, 0xff}, {0xd6, 0x27, 0x28, 0xff},
	{0x94, 0x67, 0xbd, 0xff}, {0x8c, 0x56, 0x4b, 0xff}, {0xe3, 0x77, 0xc2, 0xff}, {0x7f, 0x7f, 0x7f, 0xff},
	{0xbc, 0xbd, 0x22, 0xff}, {0x17, 0xbe, 0xcf, 0xff},
}

// glyphs give every run its own marker as well as its own colour, so lines
// stay apart in grey and for colour-blind readers.
var glyphs = []draw.GlyphDrawer{
	draw.CircleGlyph{}, draw.BoxGlyph{}, draw.TriangleGlyph{}, draw.PyramidGlyph{},
	draw.RingGlyph{}, draw.SquareGlyph{}, draw.CrossGlyph{}, draw.PlusGlyph{},
}

// sans is the figures' typeface (Liberation Sans, which gonum/plot embeds).
var sans = font.Font{Typeface: "Liberation", Variant: "Sans"}

// RenderFigure draws fig for runs and returns it as PNG and as SVG.
func RenderFigure(runs []*Run, fig Figure) (pngData, svgData []byte, err error) {
	return render(fig.Name, func() (*plot.Plot, plot.Legend) { return NewPlot(runs, fig) })
}

// render builds the plot and legend of the figure called name and returns
// them drawn as PNG and as SVG.
func render(name string, build func() (*plot.Plot, plot.Legend)) (pngData, svgData []byte, err error) {
	defer func() {
		// gonum/plot panics on some degenerate inputs; a figure must never
		// take the whole experiment down.
		if r := recover(); r != nil {
			err = fmt.Errorf("report: figure %s: %v", name, r)
		}
	}()
	p, legend := build()

	img := vgimg.NewWith(vgimg.UseWH(figWidth, figHeight), vgimg.UseDPI(figDPI), vgimg.UseBackgroundColor(color.White))
	drawWithLegend(draw.New(img), p, legend)
	var pb bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(&pb); err != nil {
		return nil, nil, fmt.Errorf("report: figure %s: %w", name, err)
	}

	sc := vgsvg.New(figWidth, figHeight)
	dc := draw.New(sc)
	dc.SetColor(color.White)
	dc.Fill(dc.Rectangle.Path())
	drawWithLegend(dc, p, legend)
	var sb bytes.Buffer
	if _, err := sc.WriteTo(&sb); err != nil {
		return nil, nil, fmt.Errorf("report: figure %s: %w", name, err)
	}
	return pb.Bytes(), sb.Bytes(), nil
}

// drawWithLegend draws the legend at the top right, outside the axes, and
// the plot in the space left of it, so the legend never hides a line.
func drawWithLegend(c draw.Canvas, p *plot.Plot, l plot.Legend) {
	r := l.Rectangle(c)
	width := r.Max.X - r.Min.X
	// Left: icons first, then the names, left-aligned; moved to the right
	// edge.
	l.Left = true
	l.XOffs = c.Max.X - c.Min.X - width - vg.Points(8)
	l.YOffs = -p.Title.TextStyle.Height(p.Title.Text) - vg.Points(6)
	l.Draw(c)
	p.Draw(draw.Crop(c, 0, -width-vg.Points(18), 0, 0))
}

// NewPlot builds fig's plot and its legend (drawn apart by RenderFigure).
// Runs without the metric are left out of both, except a diverged run: the
// legend names it with where it diverged, and its line ends there.
func NewPlot(runs []*Run, fig Figure) (*plot.Plot, plot.Legend) {
	p, legend := newFramedPlot(fig.Title, fig.XLabel, fig.YLabel)
	epochs := 0
	lo, hi := math.Inf(1), math.Inf(-1)
	for i, r := range runs {
		s := r.History.Series(fig.Metric)
		col := palette[i%len(palette)]
		line := draw.LineStyle{Color: col, Width: vg.Points(1.6)}
		glyph := draw.GlyphStyle{Color: col, Radius: vg.Points(2.6), Shape: glyphs[i%len(glyphs)]}
		if r.Diverged != nil {
			// Its line ends at the last completed epoch; the legend says
			// why, even when there is no point at all.
			legend.Add(r.Name+" ("+r.Diverged.String()+")", &plotter.Line{LineStyle: line}, &plotter.Scatter{GlyphStyle: glyph})
		}
		if len(s) == 0 {
			continue
		}
		epochs = max(epochs, len(s))
		for _, seg := range segments(s, fig.Log) {
			l := &plotter.Line{XYs: seg, LineStyle: line}
			sc := &plotter.Scatter{XYs: seg, GlyphStyle: glyph}
			p.Add(l, sc)
			for _, xy := range seg {
				lo, hi = math.Min(lo, xy.Y), math.Max(hi, xy.Y)
			}
		}
		if r.Diverged == nil {
			legend.Add(r.Name, &plotter.Line{LineStyle: line}, &plotter.Scatter{GlyphStyle: glyph})
		}
	}

	p.X.Min, p.X.Max = 1, float64(max(epochs, 2))
	p.X.Tick.Marker = epochTicks{}
	p.X.Padding = vg.Points(6)
	switch {
	case fig.Log:
		if !(lo <= hi) { // nothing plottable
			lo, hi = 0.1, 10
		}
		setLogAxis(&p.Y, lo, hi)
	default:
		if !(lo <= hi) {
			lo, hi = 0, 1
		}
		if hi-lo < 0.02 {
			mid := (lo + hi) / 2
			lo, hi = mid-0.01, mid+0.01
		}
		p.Y.Min, p.Y.Max = lo, hi
		p.Y.Tick.Marker = linearTicks{}
	}
	return p, legend
}

// newFramedPlot is an empty plot with the figures' title, axis labels,
// fonts and grid, and an empty legend in their style.
func newFramedPlot(title, xLabel, yLabel string) (*plot.Plot, plot.Legend) {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font = font.From(sans, 13)
	p.X.Label.Text, p.Y.Label.Text = xLabel, yLabel
	for _, ax := range []*plot.Axis{&p.X, &p.Y} {
		ax.Label.TextStyle.Font = font.From(sans, 11)
		ax.Tick.Label.Font = font.From(sans, 9)
	}
	legend := plot.NewLegend()
	legend.TextStyle.Font = font.From(sans, 10)
	legend.Top = true
	legend.ThumbnailWidth = vg.Points(24)

	grid := plotter.NewGrid()
	grid.Vertical.Color = color.Gray{0xe4}
	grid.Horizontal.Color = color.Gray{0xe4}
	p.Add(grid)
	return p, legend
}

// setLogAxis makes ax a logarithmic axis from lo to hi (both > 0), widened
// to the surrounding 1-2-5 steps so that it always shows at least two
// labels.
func setLogAxis(ax *plot.Axis, lo, hi float64) {
	// Keep the 1-2-5 ends finite and positive: a value of 1e-320 or 1e308
	// is drawn at the edge rather than failing the figure.
	lo, hi = min(max(lo, 1e-300), 1e300), min(max(hi, 1e-300), 1e300)
	ax.Scale = plot.LogScale{}
	ax.Tick.Marker = logTicks{}
	ax.Min, ax.Max = niceLogFloor(lo), niceLogCeil(hi)
	if ax.Max <= ax.Min {
		ax.Max = niceLogCeil(ax.Min * 1.5)
	}
}

// segments returns the plottable stretches of s (x = epoch from 1),
// breaking the line at non-finite values, and at non-positive ones on a log
// scale.
func segments(s Series, log bool) []plotter.XYs {
	var out []plotter.XYs
	var cur plotter.XYs
	for i, v := range s {
		if math.IsNaN(v) || math.IsInf(v, 0) || (log && v <= 0) {
			if len(cur) > 0 {
				out = append(out, cur)
			}
			cur = nil
			continue
		}
		cur = append(cur, plotter.XY{X: float64(i + 1), Y: v})
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// epochTicks labels whole epochs: every epoch up to 15, then about ten
// evenly spaced ones.
type epochTicks struct{}

func (epochTicks) Ticks(lo, hi float64) []plot.Tick {
	step := 1
	if n := hi - lo; n > 15 {
		step = int(math.Ceil(n / 10))
	}
	var ts []plot.Tick
	for e := int(math.Ceil(lo)); float64(e) <= hi; e++ {
		t := plot.Tick{Value: float64(e)}
		if (e-1)%step == 0 {
			t.Label = strconv.Itoa(e)
		}
		ts = append(ts, t)
	}
	return ts
}

// linearTicks labels 1-2-5 steps, the largest giving at least five labels,
// with a minor tick halfway.
type linearTicks struct{}

func (linearTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(hi > lo) {
		return nil
	}
	step := niceLogFloor((hi - lo) / 5)
	first, last := math.Ceil(lo/step*2-1e-9), math.Floor(hi/step*2+1e-9)
	// Half-steps from first to last: 10 to 22 of them for any finite range
	// whose ends float64 can tell apart, but where the ends are so large
	// that k+1 == k (lo 1e16, hi 1e16+2), or the span overflows, counting
	// them would never end: mark the two ends instead.
	if !(last-first <= 100) || first+1 == first || last+1 == last {
		return []plot.Tick{
			{Value: lo, Label: strconv.FormatFloat(lo, 'g', 6, 64)},
			{Value: hi, Label: strconv.FormatFloat(hi, 'g', 6, 64)},
		}
	}
	var ts []plot.Tick
	for k := first; k <= last; k++ {
		v := roundSig(k / 2 * step)
		t := plot.Tick{Value: v}
		if math.Mod(k, 2) == 0 {
			t.Label = strconv.FormatFloat(v, 'g', -1, 64)
		}
		ts = append(ts, t)
	}
	return ts
}

// logTicks marks 1…9 × 10ᵏ, labelling the 1-2-5 steps when the axis spans
// at most two decades and only the powers of ten beyond that.
type logTicks struct{}

func (logTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(lo > 0 && hi >= lo) {
		return nil
	}
	decades := math.Log10(hi / lo)
	var ts []plot.Tick
	for k := math.Floor(math.Log10(lo)); k <= math.Ceil(math.Log10(hi)); k++ {
		base := math.Pow(10, k)
		for m := 1; m <= 9; m++ {
			v := float64(m) * base
			if v < lo*(1-1e-9) || v > hi*(1+1e-9) {
				continue
			}
			t := plot.Tick{Value: v}
			if m == 1 || (decades <= 2 && (m == 2 || m == 5)) {
				t.Label = strconv.FormatFloat(roundSig(v), 'g', -1, 64)
			}
			ts = append(ts, t)
		}
	}
	return ts
}

// roundSig removes the binary noise of m·10ᵏ (0.30000000000000004).
func roundSig(v float64) float64 {
	f, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'g', 6, 64), 64)
	return f
}

// niceLogFloor returns the largest 1-2-5 step at or below v (v > 0).
func niceLogFloor(v float64) float64 {
	base := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{5, 2, 1} {
		if m*base <= v*(1+1e-12) {
			return m * base
		}
	}
	return base
}

// niceLogCeil returns the smallest 1-2-5 step at or above v (v > 0).
func niceLogCeil(v float64) float64 {
	base := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*base >= v*(1-1e-12) {
			return m * base
		}
	}
	return 10 * base
}
