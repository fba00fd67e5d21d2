package cli

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/descent-ml/descent/data"
	"github.com/descent-ml/descent/model"
	"github.com/descent-ml/descent/predict"
)

// Output kinds descent predict writes, by --out's extension.
const (
	outputCSV = ".csv"
	outputNPY = ".npy"
)

// outputKind returns --out's kind from its extension (any case), or a
// usage error.
func outputKind(path string) (string, error) {
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case outputCSV, outputNPY:
		return ext, nil
	}
	return "", usagef("--out %s: the output must be a .csv or .npy file", path)
}

// predictionLayout is what one row of descent predict's output holds, from
// the model's Outputs:
//
//	class probabilities  class, p_<label0>, p_<label1>, …   (.npy: class index, probabilities)
//	positive probability class, p_<positive label>          (.npy: class index, probability)
//	values               one column per output              (.npy: the same)
//
// The class is the arg-max of the probabilities (predict.Argmax, as
// descent evaluate counts it), or for one positive probability the positive
// class when p > 0.5 (Keras's binary_accuracy threshold).
type predictionLayout struct {
	kind    string   // model.Output…
	labels  []string // class labels (classification) or output names (values)
	outputs int      // model outputs per row
}

// layoutOf returns m's prediction layout. A regression model whose labels
// are the default "0", "1", … (what a file saved without Labels holds) has
// its outputs named value (one output) or value_0, value_1, …
func layoutOf(m *model.Sequential) predictionLayout {
	l := predictionLayout{kind: m.Outputs(), labels: m.ClassLabels(), outputs: m.Output()}
	if l.kind == model.OutputValues && slices.Equal(l.labels, defaultLabels(len(l.labels))) {
		if len(l.labels) == 1 {
			l.labels = []string{"value"}
		} else {
			for i := range l.labels {
				l.labels[i] = "value_" + strconv.Itoa(i)
			}
		}
	}
	return l
}

func defaultLabels(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = strconv.Itoa(i)
	}
	return out
}

// columns names the output columns (the CSV header).
func (l predictionLayout) columns() []string {
	switch l.kind {
	case model.OutputClassProbabilities:
		cols := []string{"class"}
		for _, s := range l.labels {
			cols = append(cols, "p_"+s)
		}
		return cols
	case model.OutputPositiveProbability:
		return []string{"class", "p_" + l.labels[1]}
	}
	return append([]string(nil), l.labels...)
}

// class returns the predicted class index of one row of outputs, and
// whether the layout has classes.
func (l predictionLayout) class(out []float32) (int, bool) {
	switch l.kind {
	case model.OutputClassProbabilities:
		return predict.Argmax(out), true
	case model.OutputPositiveProbability:
		if out[0] > 0.5 {
			return 1, true
		}
		return 0, true
	}
	return 0, false
}

// predictionWriter writes descent predict's rows as they come.
type predictionWriter interface {
	// writeRows writes rows rows of model outputs ((rows, outputs)
	// row-major).
	writeRows(out []float32, rows int) error
	// close writes what is buffered and checks the row count.
	close() error
}

// newPredictionWriter returns a writer of kind (outputKind) to w for rows
// rows in layout l, written at most batch rows at a time.
func newPredictionWriter(kind string, w io.Writer, l predictionLayout, rows, batch int) (predictionWriter, error) {
	switch kind {
	case outputCSV:
		cw := csv.NewWriter(w)
		cols := l.columns()
		if err := cw.Write(cols); err != nil {
			return nil, err
		}
		return &csvPredictions{w: cw, l: l, rec: make([]string, len(cols))}, nil
	case outputNPY:
		width := len(l.columns())
		nw, err := data.NewNPYWriter(w, "<f4", rows, width)
		if err != nil {
			return nil, err
		}
		return &npyPredictions{w: nw, l: l, buf: make([]float32, 0, batch*width)}, nil
	}
	return nil, fmt.Errorf("descent predict: unknown output kind %q", kind)
}

// csvPredictions writes CSV rows: the class label (if any), then the
// values, each printed so that it parses back to the same float32.
type csvPredictions struct {
	w   *csv.Writer
	l   predictionLayout
	rec []string
}

func (p *csvPredictions) writeRows(out []float32, rows int) error {
	k := p.l.outputs
	for r := range rows {
		row := out[r*k : (r+1)*k]
		rec := p.rec[:0]
		if c, ok := p.l.class(row); ok {
			rec = append(rec, p.l.labels[c])
		}
		for _, v := range row {
			rec = append(rec, formatFloat32(v))
		}
		if err := p.w.Write(rec); err != nil {
			return err
		}
	}
	return nil
}

func (p *csvPredictions) close() error {
	p.w.Flush()
	return p.w.Error()
}

// formatFloat32 prints v in the fewest digits that parse back to v
// exactly as a float32 (NaN and ±Inf as "NaN", "+Inf", "-Inf").
func formatFloat32(v float32) string { return strconv.FormatFloat(float64(v), 'g', -1, 32) }

// npyPredictions writes rows of a float32 .npy array: the class index (if
// any), then the values.
type npyPredictions struct {
	w   *data.NPYWriter
	l   predictionLayout
	buf []float32
}

func (p *npyPredictions) writeRows(out []float32, rows int) error {
	k := p.l.outputs
	buf := p.buf[:0]
	for r := range rows {
		row := out[r*k : (r+1)*k]
		if c, ok := p.l.class(row); ok {
			buf = append(buf, float32(c))
		}
		buf = append(buf, row...)
	}
	p.buf = buf[:0]
	return p.w.WriteFloat32(buf)
}

func (p *npyPredictions) close() error { return p.w.Close() }

// countNonFinite counts the rows of out ((rows, k)) with a NaN or infinite
// value.
func countNonFinite(out []float32, rows, k int) int {
	n := 0
	for r := range rows {
		for _, v := range out[r*k : (r+1)*k] {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				n++
				break
			}
		}
	}
	return n
}
