package report

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"math"
	"regexp"
	"strings"
)

//go:embed page.html.tmpl
var pageSource string

var pageTemplate = template.Must(template.New("page").Parse(pageSource))

// Pair is one configuration entry as the page shows it.
type Pair struct{ Key, Value string }

// ConfigPairs flattens a JSON object into its entries, in file order; a
// non-scalar value is shown as compact JSON, a list of scalars comma-joined.
func ConfigPairs(raw json.RawMessage) ([]Pair, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, fmt.Errorf("report: configuration: %w", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, fmt.Errorf("report: configuration is not a JSON object")
	}
	var out []Pair
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("report: configuration: %w", err)
		}
		key, _ := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("report: configuration %q: %w", key, err)
		}
		out = append(out, Pair{key, showJSON(v)})
	}
	if _, err := dec.Token(); err != nil && err != io.EOF {
		return nil, fmt.Errorf("report: configuration: %w", err)
	}
	return out, nil
}

// showJSON renders a JSON value for people: strings unquoted, lists of
// scalars comma-separated, anything else compact.
func showJSON(v json.RawMessage) string {
	if t := bytes.TrimSpace(v); string(t) == "null" {
		return "null"
	}
	var s string
	if json.Unmarshal(v, &s) == nil {
		return s
	}
	var list []json.RawMessage
	if json.Unmarshal(v, &list) == nil && allScalars(list) {
		parts := make([]string, len(list))
		for i, e := range list {
			parts[i] = showJSON(e)
		}
		return strings.Join(parts, ", ")
	}
	var buf bytes.Buffer
	if json.Compact(&buf, v) != nil {
		return string(v)
	}
	return buf.String()
}

func allScalars(list []json.RawMessage) bool {
	for _, e := range list {
		t := strings.TrimSpace(string(e))
		if strings.HasPrefix(t, "{") || strings.HasPrefix(t, "[") {
			return false
		}
	}
	return true
}

// pageView is what the template renders.
type pageView struct {
	*Experiment
	Config  []Pair
	Figures []figureView
	// Heads are the summary table's numeric column headings, TrainMetric
	// the task's metric averaged over the training batches.
	Heads       []string
	TrainMetric string
	Rows        []rowView
	Runs        []runView
	// RangeTest is the learning-rate range test's section, if any.
	RangeTest *rangeTestView
}

// rangeTestView is the page's range-test section: the figure and a row
// per test.
type rangeTestView struct {
	SVG   template.HTML
	Tests []*RangeTest
}

type figureView struct {
	Name, Title string
	SVG         template.HTML
}

type cellView struct {
	Text string
	Best bool
}

type rowView struct {
	Name, Dir string
	Epochs    int
	Cells     []cellView
	Diverged  string // "diverged at epoch E step S", or empty
}

type runView struct {
	Name, Dir string
	Diverged  string
	Settings  []Pair
	// ReportTitle heads Report; Regression leaves out the confusion
	// matrix; Missing is what a diverged run has none of.
	ReportTitle string
	Report      string
	Regression  bool
	Missing     string
	Classes     []string
	Matrix      [][]matrixCell
	Files       []string
}

type matrixCell struct {
	Count int
	Style template.CSS
}

// Page renders report.html: the configuration, the figures of the runs'
// task (figs maps a Figure's Name to its SVG, inlined; see [FiguresOf]),
// the summary table with the task's columns ([SummaryHeads]) and every
// run's classification report and confusion matrix, or for a regression
// its regression report; and, when e has range tests, their section
// (figs[RangeTestFigure] is its figure). The page loads nothing: no script, no style
// sheet, no image from elsewhere, and its Content-Security-Policy forbids
// it.
func Page(e *Experiment, figs map[string][]byte) ([]byte, error) {
	task := ExperimentTask(e.Runs)
	v := pageView{Experiment: e, Heads: SummaryHeads(task), TrainMetric: "accuracy"}
	if isRegression(task) {
		v.TrainMetric = "mae"
	}
	var err error
	if v.Config, err = ConfigPairs(e.Config); err != nil {
		return nil, err
	}
	if len(e.RangeTests) > 0 {
		svg, ok := figs[RangeTestFigure]
		if !ok {
			return nil, fmt.Errorf("report: page: no %s figure", RangeTestFigure)
		}
		v.RangeTest = &rangeTestView{SVG: template.HTML(inlineSVG(svg)), Tests: e.RangeTests}
	}
	var figures []Figure
	if len(e.Runs) > 0 { // none for a range test alone (descent lrfind)
		figures = FiguresOf(e.Runs)
	}
	for _, f := range figures {
		svg, ok := figs[f.Name]
		if !ok {
			return nil, fmt.Errorf("report: page: no %s figure", f.Name)
		}
		v.Figures = append(v.Figures, figureView{Name: f.Name, Title: f.Title, SVG: template.HTML(inlineSVG(svg))})
	}
	v.Rows = summaryRows(e.Runs, task)
	shared := make(map[string]string, len(v.Config))
	for _, p := range v.Config {
		shared[p.Key] = p.Value
	}
	for _, r := range e.Runs {
		rv := runView{Name: r.Name, Dir: r.Dir, Report: r.Report, Classes: r.Classes,
			Diverged:    rowDiverged(r),
			ReportTitle: "Classification report",
			Missing:     "test result, classification report or confusion matrix",
			Files:       runFileNames(r.TaskName())}
		if isRegression(r.TaskName()) {
			rv.ReportTitle, rv.Regression = "Regression report", true
			rv.Missing = "test result or regression report"
		}
		pairs, err := ConfigPairs(r.Config)
		if err != nil {
			return nil, fmt.Errorf("run %s: %w", r.Name, err)
		}
		for _, p := range pairs {
			if s, ok := shared[p.Key]; !ok || s != p.Value {
				rv.Settings = append(rv.Settings, p)
			}
		}
		if len(rv.Classes) != len(r.Confusion) {
			rv.Classes = make([]string, len(r.Confusion))
			for i := range rv.Classes {
				rv.Classes[i] = fmt.Sprint(i)
			}
		}
		rv.Matrix = matrixCells(r.Confusion)
		v.Runs = append(v.Runs, rv)
	}
	var buf bytes.Buffer
	if err := pageTemplate.Execute(&buf, v); err != nil {
		return nil, fmt.Errorf("report: page: %w", err)
	}
	return buf.Bytes(), nil
}

// column is one of the summary table's numeric columns: heading, value,
// whether larger is better, and format.
type column struct {
	Head   string
	Value  func(Summary) float64
	Higher bool
	Format string
}

// The summary table's columns; a regression's are in %g, since its
// targets may have any scale (and a diverging run's R² is -1e10).
var (
	lossColumn    = column{"loss", func(s Summary) float64 { return float64(s.Loss) }, false, "%.4f"}
	valLossColumn = column{"val_loss", func(s Summary) float64 { return float64(s.ValLoss) }, false, "%.4f"}
	timeColumns   = []column{
		{"train s", func(s Summary) float64 { return float64(s.TrainSeconds) }, false, "%.1f"},
		{"total s", func(s Summary) float64 { return float64(s.Seconds) }, false, "%.1f"},
	}
	classColumns = []column{
		lossColumn,
		{"accuracy", func(s Summary) float64 { return s.Accuracy.Value() }, true, "%.4f"},
		valLossColumn,
		{"val_accuracy", func(s Summary) float64 { return s.ValAccuracy.Value() }, true, "%.4f"},
		{"test loss", func(s Summary) float64 { return float64(s.Test.Loss) }, false, "%.4f"},
		{"test accuracy", func(s Summary) float64 { return s.Test.Accuracy.Value() }, true, "%.4f"},
	}
	rocAUCColumn      = column{"test roc_auc", func(s Summary) float64 { return s.Test.ROCAUC.Value() }, true, "%.4f"}
	regressionColumns = []column{
		{"loss", func(s Summary) float64 { return float64(s.Loss) }, false, "%.5g"},
		{"mae", func(s Summary) float64 { return s.MAE.Value() }, false, "%.5g"},
		{"val_loss", func(s Summary) float64 { return float64(s.ValLoss) }, false, "%.5g"},
		{"val_mae", func(s Summary) float64 { return s.ValMAE.Value() }, false, "%.5g"},
		{"val_r2", func(s Summary) float64 { return s.ValR2.Value() }, true, "%.4g"},
		{"test mse", func(s Summary) float64 { return s.Test.MSE.Value() }, false, "%.5g"},
		{"test mae", func(s Summary) float64 { return s.Test.MAE.Value() }, false, "%.5g"},
		{"test r2", func(s Summary) float64 { return s.Test.R2.Value() }, true, "%.4g"},
	}
)

// summaryColumns are the numeric columns of the summary table of an
// experiment whose runs have task: the last epoch's training and
// validation metrics, the test metrics, and the times. A binary task adds
// the test ROC AUC to a classifier's; a regression has no test loss
// column, since its loss is the test mse.
func summaryColumns(task string) []column {
	var cols []column
	switch task {
	case TaskRegression:
		cols = append(cols, regressionColumns...)
	case TaskBinary:
		cols = append(append(cols, classColumns...), rocAUCColumn)
	default:
		cols = append(cols, classColumns...)
	}
	return append(cols, timeColumns...)
}

// SummaryHeads are the numeric column headings of the summary table of an
// experiment whose runs have task (after run and epochs).
func SummaryHeads(task string) []string {
	cols := summaryColumns(task)
	hs := make([]string, len(cols))
	for i, c := range cols {
		hs[i] = c.Head
	}
	return hs
}

// summaryRows formats the summary table, marking each column's best value
// (only where the column's values differ).
func summaryRows(runs []*Run, task string) []rowView {
	sums := make([]Summary, len(runs))
	for i, r := range runs {
		sums[i] = r.Summarize()
	}
	rows := make([]rowView, len(runs))
	for i, s := range sums {
		rows[i] = rowView{Name: s.Name, Dir: s.Dir, Epochs: s.Epochs}
		if s.Diverged != nil {
			rows[i].Diverged = s.Diverged.String()
		}
	}
	for _, col := range summaryColumns(task) {
		best := math.NaN()
		for _, s := range sums {
			v := col.Value(s)
			if math.IsNaN(v) {
				continue
			}
			if math.IsNaN(best) || (col.Higher && v > best) || (!col.Higher && v < best) {
				best = v
			}
		}
		texts := make([]string, len(sums))
		distinct := map[string]bool{}
		for i, s := range sums {
			texts[i] = "–"
			if v := col.Value(s); !math.IsNaN(v) {
				texts[i] = fmt.Sprintf(col.Format, v)
			}
			distinct[texts[i]] = true
		}
		for i := range sums {
			// Shade the best only where the column tells runs apart.
			isBest := len(distinct) > 1 && !math.IsNaN(best) && texts[i] == fmt.Sprintf(col.Format, best)
			rows[i].Cells = append(rows[i].Cells, cellView{Text: texts[i], Best: isBest})
		}
	}
	return rows
}

func rowDiverged(r *Run) string {
	if r.Diverged == nil {
		return ""
	}
	return r.Diverged.String()
}

// matrixCells shades each cell by its share of the true class's samples:
// blue on the diagonal (correct), red off it (errors, stronger so that a
// few percent shows).
func matrixCells(m [][]int) [][]matrixCell {
	out := make([][]matrixCell, len(m))
	for i, row := range m {
		total := 0
		for _, v := range row {
			total += v
		}
		out[i] = make([]matrixCell, len(row))
		for j, v := range row {
			share := 0.0
			if total > 0 {
				share = float64(v) / float64(total)
			}
			var style string
			switch {
			case v == 0:
			case i == j:
				style = fmt.Sprintf("background:rgba(31,119,180,%.3f)", 0.1+0.9*share)
				if share > 0.55 {
					style += ";color:#fff"
				}
			default:
				style = fmt.Sprintf("background:rgba(214,39,40,%.3f)", math.Min(1, 0.08+4*share))
				if 0.08+4*share > 0.6 {
					style += ";color:#fff"
				}
			}
			out[i][j] = matrixCell{Count: v, Style: template.CSS(style)}
		}
	}
	return out
}

var svgProlog = regexp.MustCompile(`(?s)\A\s*<\?xml[^>]*\?>\s*(<!--.*?-->\s*)?`)

// inlineSVG strips the XML declaration and leading comment of an SVG file so
// it can sit inside HTML.
func inlineSVG(svg []byte) string {
	return svgProlog.ReplaceAllString(string(svg), "")
}
