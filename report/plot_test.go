package report

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/plot"
)

// The figures as SVG are golden files: a change to the drawing shows up as
// a diff to review (go test ./report -update, then look at the files).
func TestFiguresGolden(t *testing.T) {
	for _, fig := range Figures {
		t.Run(fig.Name, func(t *testing.T) {
			pngData, svg, err := RenderFigure(fixture().Runs, fig)
			require.NoError(t, err)
			golden(t, fig.Name+".svg", svg)

			s := string(svg)
			for _, want := range []string{fig.Title, fig.XLabel, fig.YLabel, "lr=100", "lr=1", "lr=0.1", "lr=0.001"} {
				assert.Contains(t, s, ">"+want+"<", "the figure shows %q", want)
			}
			img, err := png.Decode(bytes.NewReader(pngData))
			require.NoError(t, err)
			assert.Equal(t, image.Rect(0, 0, 896, 512), img.Bounds())
			// Every run's colour is drawn, and a fair number of pixels of it
			// (its line, markers and legend entry).
			for i := range fixture().Runs {
				assert.Greater(t, countColor(img, palette[i]), 100, "pixels of run %d's colour", i)
			}
		})
	}
}

// countColor counts pixels within a small distance of c.
func countColor(img image.Image, c color.RGBA) int {
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			d := math.Abs(float64(r>>8)-float64(c.R)) + math.Abs(float64(g>>8)-float64(c.G)) + math.Abs(float64(bl>>8)-float64(c.B))
			if d < 24 {
				n++
			}
		}
	}
	return n
}

func TestLossAxisIsLog(t *testing.T) {
	p, _ := NewPlot(fixture().Runs, Figures[1])
	_, ok := p.Y.Scale.(plot.LogScale)
	assert.True(t, ok, "val_loss has a log-scale y axis")
	assert.Equal(t, 0.1, p.Y.Min, "widened down to a 1-2-5 step below 0.14")
	assert.Equal(t, 20.0, p.Y.Max, "widened up to a 1-2-5 step above 16.1")
	p, _ = NewPlot(fixture().Runs, Figures[0])
	_, ok = p.Y.Scale.(plot.LogScale)
	assert.False(t, ok, "val_accuracy has a linear y axis")
	assert.Equal(t, 1.0, p.X.Min)
	assert.Equal(t, 5.0, p.X.Max)
}

// Degenerate inputs draw an empty or flat figure, never panic.
func TestRenderFigureDegenerate(t *testing.T) {
	for name, runs := range map[string][]*Run{
		"no runs":       nil,
		"no validation": {{Name: "a", Dir: "a", History: History{Loss: Series{1}, Accuracy: Series{0.5}}}},
		"all NaN":       {{Name: "a", Dir: "a", History: History{ValLoss: Series{math.NaN(), math.Inf(1)}, ValAccuracy: Series{math.NaN(), math.NaN()}}}},
		"one epoch":     {{Name: "a", Dir: "a", History: History{ValLoss: Series{1}, ValAccuracy: Series{0.5}}}},
		"zero loss":     {{Name: "a", Dir: "a", History: History{ValLoss: Series{0, 0}, ValAccuracy: Series{1, 1}}}},
	} {
		for _, fig := range Figures {
			pngData, svg, err := RenderFigure(runs, fig)
			require.NoError(t, err, "%s %s", name, fig.Name)
			_, err = png.Decode(bytes.NewReader(pngData))
			assert.NoError(t, err, "%s %s", name, fig.Name)
			assert.True(t, strings.HasSuffix(strings.TrimSpace(string(svg)), "</svg>"), "%s %s", name, fig.Name)
		}
	}
}

func TestSegments(t *testing.T) {
	nan := math.NaN()
	segs := segments(Series{1, 2, nan, 3, math.Inf(1), 4, 5}, false)
	require.Len(t, segs, 3)
	assert.Equal(t, 2, len(segs[0]))
	assert.Equal(t, 2.0, segs[0][1].Y)
	assert.Equal(t, 4.0, segs[1][0].X, "x is the epoch, counted from 1")
	assert.Equal(t, 6.0, segs[2][0].X)

	segs = segments(Series{1, 0, -1, 2}, true)
	require.Len(t, segs, 2, "non-positive values break a log-scale line")
	assert.Len(t, segments(Series{1, 0, -1, 2}, false), 1)
	assert.Empty(t, segments(nil, true))
}

func labels(ts []plot.Tick) []string {
	var out []string
	for _, t := range ts {
		if t.Label != "" {
			out = append(out, t.Label)
		}
	}
	return out
}

func TestTicks(t *testing.T) {
	for _, tc := range []struct {
		name   string
		ticker plot.Ticker
		lo, hi float64
		want   []string
	}{
		{"log, narrow: 1-2-5", logTicks{}, 0.05, 2, []string{"0.05", "0.1", "0.2", "0.5", "1", "2"}},
		{"log, wide: decades", logTicks{}, 0.01, 1000, []string{"0.01", "0.1", "1", "10", "100", "1000"}},
		{"log, within a decade", logTicks{}, 0.2, 0.5, []string{"0.2", "0.5"}},
		{"linear, accuracy", linearTicks{}, 0.09, 0.96, []string{"0.1", "0.2", "0.3", "0.4", "0.5", "0.6", "0.7", "0.8", "0.9"}},
		{"linear, narrow", linearTicks{}, 0.97, 0.985, []string{"0.97", "0.972", "0.974", "0.976", "0.978", "0.98", "0.982", "0.984"}},
		{"epochs", epochTicks{}, 1, 5, []string{"1", "2", "3", "4", "5"}},
		{"many epochs", epochTicks{}, 1, 40, []string{"1", "5", "9", "13", "17", "21", "25", "29", "33", "37"}},
	} {
		assert.Equal(t, tc.want, labels(tc.ticker.Ticks(tc.lo, tc.hi)), tc.name)
	}
	assert.Empty(t, logTicks{}.Ticks(0, 1), "log ticks need positive bounds")
	assert.Empty(t, linearTicks{}.Ticks(1, 1))
}

func TestNiceLogBounds(t *testing.T) {
	for _, tc := range []struct{ v, floor, ceil float64 }{
		{0.281, 0.2, 0.5}, {16.1, 10, 20}, {1, 1, 1}, {0.05, 0.05, 0.05}, {7, 5, 10}, {0.0011, 0.001, 0.002},
	} {
		assert.InDelta(t, tc.floor, niceLogFloor(tc.v), tc.floor*1e-12, "floor %v", tc.v)
		assert.InDelta(t, tc.ceil, niceLogCeil(tc.v), tc.ceil*1e-12, "ceil %v", tc.v)
	}
}
