package report

import (
	"encoding/json"
	"fmt"
	"image/color"
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// RangeTestFile is the name of the range test's JSON file, and
// RangeTestFigure the name (without extension) of its figure.
const (
	RangeTestFile   = "lrfind.json"
	RangeTestFigure = "lrfind"
)

// RangeTest is one learning-rate range test (descent lrfind; train.FindLR)
// as lrfind.json records it.
type RangeTest struct {
	// Name labels the curve (the optimizer's title).
	Name      string `json:"name"`
	Optimizer string `json:"optimizer"`
	// Rates, Losses and Smoothed are the rate, the batch loss and the
	// smoothed loss of every step.
	Rates    Series `json:"rates"`
	Losses   Series `json:"losses"`
	Smoothed Series `json:"smoothed"`
	// SuggestedLR is the rate Rule picks; Suggestions every rule's.
	SuggestedLR float64            `json:"suggested_lr"`
	Rule        string             `json:"rule"`
	Suggestions map[string]float64 `json:"suggestions"`
	// StoppedEarly says the loss diverged before the last step.
	StoppedEarly bool `json:"stopped_early"`
	// MinLR, MaxLR, Steps, Smoothing, DivergeFactor, BatchSize and Seed
	// are the test's settings.
	MinLR         float64 `json:"min_lr"`
	MaxLR         float64 `json:"max_lr"`
	Steps         int     `json:"steps"`
	Smoothing     float64 `json:"smoothing"`
	DivergeFactor float64 `json:"diverge_factor"`
	BatchSize     int     `json:"batch_size"`
	Seed          uint64  `json:"seed"`
	// Seconds is the test's wall time.
	Seconds float64 `json:"seconds"`
}

// RangeTestJSON encodes tests as lrfind.json: one object for one test, an
// array for several.
func RangeTestJSON(tests []*RangeTest) ([]byte, error) {
	var v any = tests
	if len(tests) == 1 {
		v = tests[0]
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("report: %s: %w", RangeTestFile, err)
	}
	return append(b, '\n'), nil
}

// RenderRangeTest draws the smoothed loss of each test against the rate on
// a logarithmic axis, each suggestion marked with a dashed vertical line of
// the curve's colour and a filled point, and returns it as PNG and SVG.
func RenderRangeTest(tests []*RangeTest, title string) (pngData, svgData []byte, err error) {
	return render(RangeTestFigure, func() (*plot.Plot, plot.Legend) { return newRangeTestPlot(tests, title) })
}

func newRangeTestPlot(tests []*RangeTest, title string) (*plot.Plot, plot.Legend) {
	p, legend := newFramedPlot(title, "learning rate (log scale)", "smoothed training loss")

	xlo, xhi := math.Inf(1), math.Inf(-1)
	ylo, yhi := math.Inf(1), math.Inf(-1)
	type mark struct {
		x   float64
		col color.RGBA
	}
	var marks []mark
	for i, t := range tests {
		col := palette[i%len(palette)]
		var xy plotter.XYs
		for j := range min(len(t.Rates), len(t.Smoothed)) {
			x, y := t.Rates[j], t.Smoothed[j]
			if x > 0 && !math.IsInf(x, 0) && !math.IsNaN(y) && !math.IsInf(y, 0) {
				xy = append(xy, plotter.XY{X: x, Y: y})
			}
		}
		name := t.Name
		if t.SuggestedLR > 0 {
			name += " → " + strconv.FormatFloat(roundSig(t.SuggestedLR), 'g', 3, 64)
		}
		line := draw.LineStyle{Color: col, Width: vg.Points(1.6)}
		if len(xy) > 0 {
			p.Add(&plotter.Line{XYs: xy, LineStyle: line})
			for _, v := range xy {
				xlo, xhi = math.Min(xlo, v.X), math.Max(xhi, v.X)
				ylo, yhi = math.Min(ylo, v.Y), math.Max(yhi, v.Y)
			}
		}
		glyph := draw.GlyphStyle{Color: col, Radius: vg.Points(3.2), Shape: glyphs[i%len(glyphs)]}
		legend.Add(name, &plotter.Line{LineStyle: line}, &plotter.Scatter{GlyphStyle: glyph})
		if s := t.SuggestedLR; s > 0 && len(xy) > 0 {
			marks = append(marks, mark{s, col})
			// The point on the curve at the suggestion (the nearest step).
			k := 0
			for j, v := range xy {
				if math.Abs(math.Log(v.X/s)) < math.Abs(math.Log(xy[k].X/s)) {
					k = j
				}
			}
			p.Add(&plotter.Scatter{XYs: plotter.XYs{{X: s, Y: xy[k].Y}}, GlyphStyle: glyph})
			xlo, xhi = math.Min(xlo, s), math.Max(xhi, s)
		}
	}
	if !(xlo <= xhi) {
		xlo, xhi = 1e-6, 1
	}
	if !(ylo <= yhi) {
		ylo, yhi = 0, 1
	}
	// The divergence past the end climbs steeply: show up to 1.5× the
	// highest starting loss (the lines are clipped there), so the valleys,
	// where the suggestions are, keep the height of the figure.
	start := math.Inf(-1)
	for _, t := range tests {
		if len(t.Smoothed) > 0 && !math.IsNaN(t.Smoothed[0]) && !math.IsInf(t.Smoothed[0], 0) {
			start = math.Max(start, t.Smoothed[0])
		}
	}
	if c := 1.5 * start; c > ylo && c < yhi {
		yhi = c
	}
	if yhi-ylo < 0.02 {
		ylo, yhi = ylo-0.01, yhi+0.01
	}
	for _, m := range marks {
		p.Add(&plotter.Line{XYs: plotter.XYs{{X: m.x, Y: ylo}, {X: m.x, Y: yhi}},
			LineStyle: draw.LineStyle{Color: m.col, Width: vg.Points(1), Dashes: []vg.Length{vg.Points(4), vg.Points(3)}}})
	}
	setLogAxis(&p.X, xlo, xhi)
	p.Y.Min, p.Y.Max = ylo, yhi
	p.Y.Tick.Marker = linearTicks{}
	return p, legend
}

// RangeTestFiles returns the range test's files: lrfind.json and the
// figure as lrfind.png and lrfind.svg.
func RangeTestFiles(tests []*RangeTest, title string) ([]File, error) {
	js, err := RangeTestJSON(tests)
	if err != nil {
		return nil, err
	}
	png, svg, err := RenderRangeTest(tests, title)
	if err != nil {
		return nil, err
	}
	return []File{{RangeTestFile, js}, {RangeTestFigure + ".png", png}, {RangeTestFigure + ".svg", svg}}, nil
}
