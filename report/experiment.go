package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/descent-ml/descent/internal/inputfile"
)

// File names inside an experiment folder and inside each run's subfolder.
const (
	SummaryFile     = "summary.json"
	PageFile        = "report.html"
	HistoryJSONFile = "history.json"
	HistoryCSVFile  = "history.csv"
	ReportTextFile  = "classification_report.txt"
	ConfusionFile   = "confusion_matrix.csv"
	// RegressionReportFile stands in for ReportTextFile and ConfusionFile
	// in a regression's run folder.
	RegressionReportFile = "regression_report.txt"
)

// Series is a per-epoch metric. In JSON a non-finite value (a diverged run's
// NaN or ±Inf loss) is written as null and read back as NaN, since JSON has
// no NaN.
type Series []float64

// MarshalJSON writes the values, null for non-finite ones.
func (s Series) MarshalJSON() ([]byte, error) {
	if s == nil {
		return []byte("null"), nil
	}
	b := []byte{'['}
	for i, v := range s {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONFloat(b, v)
	}
	return append(b, ']'), nil
}

// UnmarshalJSON reads numbers and nulls (as NaN).
func (s *Series) UnmarshalJSON(b []byte) error {
	var vs []*float64
	if err := json.Unmarshal(b, &vs); err != nil {
		return err
	}
	if vs == nil {
		*s = nil
		return nil
	}
	out := make(Series, len(vs))
	for i, v := range vs {
		out[i] = math.NaN()
		if v != nil {
			out[i] = *v
		}
	}
	*s = out
	return nil
}

// Float is a float64 written to JSON like a Series element (null if not
// finite).
type Float float64

// MarshalJSON writes the value, or null if it is not finite.
func (f Float) MarshalJSON() ([]byte, error) { return appendJSONFloat(nil, float64(f)), nil }

// UnmarshalJSON reads a number, or null as NaN.
func (f *Float) UnmarshalJSON(b []byte) error {
	var v *float64
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*f = Float(math.NaN())
	if v != nil {
		*f = Float(*v)
	}
	return nil
}

func appendJSONFloat(b []byte, v float64) []byte {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return append(b, "null"...)
	}
	return strconv.AppendFloat(b, v, 'g', -1, 64)
}

// History is the per-epoch record of one run, with Keras's metric names. The
// validation series are empty when the run had no validation set.
//
// A classifier's history has accuracy (written even when empty, as before
// runs had tasks) and val_accuracy; a regression's has mae, val_mae and
// val_r2 instead, and no accuracy (nil: left out).
type History struct {
	Loss        Series `json:"loss"`
	Accuracy    Series `json:"accuracy,omitzero"`
	ValLoss     Series `json:"val_loss,omitempty"`
	ValAccuracy Series `json:"val_accuracy,omitempty"`
	MAE         Series `json:"mae,omitempty"`
	ValMAE      Series `json:"val_mae,omitempty"`
	ValR2       Series `json:"val_r2,omitempty"`
	// LR is each epoch's learning rate, when the run recorded it.
	LR Series `json:"lr,omitempty"`
	// StoppedEpoch is the epoch (from 1) after which early stopping ended
	// the run, BestEpoch the epoch whose weights it restored (0: none).
	StoppedEpoch int `json:"stopped_epoch,omitempty"`
	BestEpoch    int `json:"best_epoch,omitempty"`
}

// Epochs is the number of recorded epochs.
func (h History) Epochs() int { return len(h.Loss) }

// Series returns the named metric ("loss", "accuracy", "val_loss",
// "val_accuracy", "mae", "val_mae", "val_r2", "lr"), or nil.
func (h History) Series(metric string) Series {
	switch metric {
	case "loss":
		return h.Loss
	case "accuracy":
		return h.Accuracy
	case "val_loss":
		return h.ValLoss
	case "val_accuracy":
		return h.ValAccuracy
	case "mae":
		return h.MAE
	case "val_mae":
		return h.ValMAE
	case "val_r2":
		return h.ValR2
	case "lr":
		return h.LR
	}
	return nil
}

// Scores are the test set's loss and the metrics of the run's task:
// Accuracy for classes (a binary task adds ROCAUC), MSE, MAE and R2 for a
// regression. A metric the task does not have is nil and left out of the
// JSON; one it has but could not measure (a diverged run) is NaN, null.
type Scores struct {
	Loss     Float  `json:"loss"`
	Accuracy *Float `json:"accuracy,omitempty"`
	ROCAUC   *Float `json:"roc_auc,omitempty"`
	MSE      *Float `json:"mse,omitempty"`
	MAE      *Float `json:"mae,omitempty"`
	R2       *Float `json:"r2,omitempty"`
}

// ClassScores are the scores of a classifier: a loss and an accuracy.
func ClassScores(loss, accuracy float64) Scores {
	return Scores{Loss: Float(loss), Accuracy: ptr(accuracy)}
}

// Run is one training run: its history.json.
type Run struct {
	// Name labels the run in legends and tables ("lr=0.1", "Adam"), Dir is
	// its subfolder: one path element, no separators.
	Name string `json:"name"`
	Dir  string `json:"dir"`
	// Task is TaskClassification, TaskBinary or TaskRegression; empty (a
	// folder written before runs recorded it) reads as a classification.
	// It decides the metrics, files and figures.
	Task string `json:"task,omitempty"`
	// History holds the per-epoch metrics and EpochSeconds the wall time
	// of each epoch's training pass (validation excluded).
	History      History `json:"history"`
	EpochSeconds Series  `json:"epoch_seconds"`
	// Test holds the loss and the task's metrics on the test set after
	// training.
	Test Scores `json:"test"`
	// Config is the run's configuration as a JSON object; the page lists the
	// entries that differ from the experiment's.
	Config json.RawMessage `json:"config,omitempty"`
	// Report is scikit-learn's classification report on the test set; for
	// a regression, the regression report (its test metrics), under the
	// same key, as descent train --history writes it.
	Report string `json:"classification_report"`
	// Classes names the classes in label order (the confusion matrix's
	// headers); Confusion[t][p] counts test samples of class t predicted p.
	// A regression has neither.
	Classes   []string `json:"classes"`
	Confusion [][]int  `json:"confusion_matrix"`
	// Seconds is the run's wall time: training, validation and test.
	Seconds Float `json:"seconds"`
	// Diverged, when set, says where the run stopped on a non-finite loss:
	// History then holds the epochs completed before it, and there is no
	// test result, classification report or confusion matrix.
	Diverged *Divergence `json:"diverged,omitempty"`
}

// Divergence locates where a run's loss stopped being finite.
type Divergence struct {
	// Epoch and Step count from 1; Step is of Steps. Validation is set when
	// it was the validation loss after the epoch.
	Epoch      int  `json:"epoch"`
	Step       int  `json:"step"`
	Steps      int  `json:"steps"`
	Validation bool `json:"validation,omitempty"`
	// Loss is the non-finite value as text ("NaN", "+Inf"): JSON has no NaN.
	Loss string `json:"loss"`
}

// String is what the tables print: "diverged at epoch 2 step 17".
func (d *Divergence) String() string {
	if d.Validation {
		return fmt.Sprintf("diverged after epoch %d (validation loss %s)", d.Epoch, d.Loss)
	}
	return fmt.Sprintf("diverged at epoch %d step %d", d.Epoch, d.Step)
}

// TrainSeconds is the summed wall time of the training passes.
func (r *Run) TrainSeconds() float64 {
	s := 0.0
	for _, v := range r.EpochSeconds {
		s += v
	}
	return s
}

// last returns the last element of s, or NaN.
func last(s Series) float64 {
	if len(s) == 0 {
		return math.NaN()
	}
	return s[len(s)-1]
}

// Summary is one run's row of the summary table: the last epoch's metrics,
// the test scores and the times. The metrics are those of the run's task
// (Accuracy and ValAccuracy for classes; MAE, ValMAE and ValR2 for a
// regression); the others are nil and left out of the JSON. A metric of the
// task that the run has no value of (no epoch, no validation) is NaN, null.
type Summary struct {
	Name         string `json:"name"`
	Dir          string `json:"dir"`
	Epochs       int    `json:"epochs"`
	Loss         Float  `json:"loss"`
	Accuracy     *Float `json:"accuracy,omitempty"`
	MAE          *Float `json:"mae,omitempty"`
	ValLoss      Float  `json:"val_loss"`
	ValAccuracy  *Float `json:"val_accuracy,omitempty"`
	ValMAE       *Float `json:"val_mae,omitempty"`
	ValR2        *Float `json:"val_r2,omitempty"`
	Test         Scores `json:"test"`
	TrainSeconds Float  `json:"train_seconds"`
	Seconds      Float  `json:"seconds"`
	// Diverged is the run's Divergence, if it diverged.
	Diverged *Divergence `json:"diverged,omitempty"`
}

// Summarize returns r's summary row.
func (r *Run) Summarize() Summary {
	h := r.History
	s := Summary{
		Name: r.Name, Dir: r.Dir, Epochs: h.Epochs(),
		Loss: Float(last(h.Loss)), ValLoss: Float(last(h.ValLoss)),
		Test: r.scores(), TrainSeconds: Float(r.TrainSeconds()), Seconds: r.Seconds,
		Diverged: r.Diverged,
	}
	if isRegression(r.TaskName()) {
		s.MAE, s.ValMAE, s.ValR2 = ptr(last(h.MAE)), ptr(last(h.ValMAE)), ptr(last(h.ValR2))
	} else {
		s.Accuracy, s.ValAccuracy = ptr(last(h.Accuracy)), ptr(last(h.ValAccuracy))
	}
	return s
}

// Experiment is a set of runs that differ in one setting: summary.json.
type Experiment struct {
	// Kind is "sweep", "compare" or "train" (the command that made it);
	// Title heads the page.
	Kind  string `json:"kind"`
	Title string `json:"title"`
	// Command is the command line that produced the experiment.
	Command string `json:"command"`
	Dataset string `json:"dataset"`
	// Created is when the experiment started, RFC 3339.
	Created string `json:"created"`
	// Config holds the settings as a JSON object (shared ones, and lists
	// for the setting that varies).
	Config json.RawMessage `json:"config"`
	// Summaries has one row per run, in run order; PageFiles fills it from
	// Runs, Load reads it and then each run's history.json.
	Summaries []Summary `json:"runs"`
	// Runs are the full runs.
	Runs []*Run `json:"-"`
	// RangeTests are the learning-rate range tests run before training
	// (descent train --lr auto, descent lrfind), if any: report.html then
	// has a section for them, and PageFiles writes their files.
	RangeTests []*RangeTest `json:"range_tests,omitempty"`
}

// File is one output file: a path relative to the experiment folder and its
// content.
type File struct {
	Path string
	Data []byte
}

// checkDir verifies that a run's Dir is a single, local path element.
func checkDir(dir string) error {
	if dir == "" || dir == "." || dir == ".." || strings.ContainsAny(dir, `/\`) || !filepath.IsLocal(dir) {
		return fmt.Errorf("report: run folder %q must be one plain path element", dir)
	}
	return nil
}

// RunFiles returns the files of one run under r.Dir: history.json,
// history.csv, and classification_report.txt and confusion_matrix.csv, or
// for a regression regression_report.txt.
func RunFiles(r *Run) ([]File, error) {
	if err := checkDir(r.Dir); err != nil {
		return nil, err
	}
	w := *r
	w.Test = r.scores()
	js, err := json.MarshalIndent(&w, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("report: run %s: %w", r.Name, err)
	}
	files := []File{
		{filepath.Join(r.Dir, HistoryJSONFile), append(js, '\n')},
		{filepath.Join(r.Dir, HistoryCSVFile), HistoryCSV(r)},
	}
	if isRegression(r.TaskName()) {
		return append(files, File{filepath.Join(r.Dir, RegressionReportFile), []byte(r.Report)}), nil
	}
	return append(files,
		File{filepath.Join(r.Dir, ReportTextFile), []byte(r.Report)},
		File{filepath.Join(r.Dir, ConfusionFile), ConfusionCSV(r.Confusion)},
	), nil
}

// runFileNames are the names of the files RunFiles writes for a run of
// task, in its order.
func runFileNames(task string) []string {
	if isRegression(task) {
		return []string{HistoryJSONFile, HistoryCSVFile, RegressionReportFile}
	}
	return []string{HistoryJSONFile, HistoryCSVFile, ReportTextFile, ConfusionFile}
}

// HistoryCSV renders a run's history as CSV with a header row:
// epoch,loss,accuracy[,val_loss,val_accuracy],seconds for classes, or
// epoch,loss,mae[,val_loss,val_mae,val_r2],seconds for a regression, with
// an lr column before seconds when the run recorded its learning rate.
// Epochs count from 1; seconds is the epoch's training pass.
func HistoryCSV(r *Run) []byte {
	h := r.History
	val := len(h.ValLoss) > 0
	train, valid := []string{"accuracy"}, []string{"val_loss", "val_accuracy"}
	if isRegression(r.TaskName()) {
		train, valid = []string{"mae"}, []string{"val_loss", "val_mae", "val_r2"}
	}
	header := append([]string{"epoch", "loss"}, train...)
	if val {
		header = append(header, valid...)
	}
	lr := len(h.LR) > 0
	if lr {
		header = append(header, "lr")
	}
	header = append(header, "seconds")
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write(header)
	for i := range h.Loss {
		row := []string{strconv.Itoa(i + 1), csvFloat(h.Loss, i)}
		for _, m := range train {
			row = append(row, csvFloat(h.Series(m), i))
		}
		if val {
			for _, m := range valid {
				row = append(row, csvFloat(h.Series(m), i))
			}
		}
		if lr {
			row = append(row, csvFloat(h.LR, i))
		}
		row = append(row, csvFloat(r.EpochSeconds, i))
		w.Write(row)
	}
	w.Flush()
	return buf.Bytes()
}

// csvFloat formats s[i] in shortest round-trip form ("NaN", "+Inf" for
// non-finite values), or "" when s is too short.
func csvFloat(s Series, i int) string {
	if i >= len(s) {
		return ""
	}
	return strconv.FormatFloat(s[i], 'g', -1, 64)
}

// ConfusionCSV renders a confusion matrix with a header row of predicted
// labels and a first column of true labels.
func ConfusionCSV(m [][]int) []byte {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	header := []string{`true\predicted`}
	for j := range m {
		header = append(header, strconv.Itoa(j))
	}
	w.Write(header)
	for i, row := range m {
		rec := []string{strconv.Itoa(i)}
		for _, v := range row {
			rec = append(rec, strconv.Itoa(v))
		}
		w.Write(rec)
	}
	w.Flush()
	return buf.Bytes()
}

// SummaryJSON fills e.Summaries from e.Runs and renders summary.json.
func SummaryJSON(e *Experiment) ([]byte, error) {
	e.Summaries = e.Summaries[:0]
	for _, r := range e.Runs {
		e.Summaries = append(e.Summaries, r.Summarize())
	}
	js, err := json.MarshalIndent(e, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("report: summary: %w", err)
	}
	return append(js, '\n'), nil
}

// PageFiles returns summary.json, the figures of the runs' task
// ([FiguresOf]) as PNG and SVG, and report.html, in that order (the page
// last, so that a folder whose page exists is complete).
func PageFiles(e *Experiment) ([]File, error) {
	for _, r := range e.Runs {
		if err := checkDir(r.Dir); err != nil {
			return nil, err
		}
	}
	summary, err := SummaryJSON(e)
	if err != nil {
		return nil, err
	}
	files := []File{{SummaryFile, summary}}
	figs := make(map[string][]byte)
	for _, fig := range FiguresOf(e.Runs) {
		png, svg, err := RenderFigure(e.Runs, fig)
		if err != nil {
			return nil, err
		}
		files = append(files, File{fig.Name + ".png", png}, File{fig.Name + ".svg", svg})
		figs[fig.Name] = svg
	}
	if len(e.RangeTests) > 0 {
		rt, err := RangeTestFiles(e.RangeTests, "Learning-rate range test")
		if err != nil {
			return nil, err
		}
		files = append(files, rt...)
		figs[RangeTestFigure] = rt[2].Data
	}
	page, err := Page(e, figs)
	if err != nil {
		return nil, err
	}
	return append(files, File{PageFile, page}), nil
}

// MaxJSONFile is the largest summary.json or history.json Load reads:
// 64 MiB, room for a history of several hundred thousand epochs (about 120
// bytes each) and its reports. A larger one, or one that is not a regular
// file (a FIFO, a device, a folder), is refused before it is read.
const MaxJSONFile = 64 << 20

// MaxRuns is the most runs a summary.json may list: a hostile one listing
// the same folder a million times would otherwise read its history that
// many times.
const MaxRuns = 1000

// Load reads an experiment folder: summary.json, then every run's
// history.json.
func Load(dir string) (*Experiment, error) {
	path := filepath.Join(dir, SummaryFile)
	b, err := inputfile.ReadFile(path, MaxJSONFile)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%s not found: is %s a folder written by descent sweep or descent compare?", path, dir)
	}
	if err != nil {
		return nil, err
	}
	e, err := decodeSummary(b, path)
	if err != nil {
		return nil, err
	}
	for _, s := range e.Summaries {
		rp := filepath.Join(dir, s.Dir, HistoryJSONFile)
		rb, err := inputfile.ReadFile(rp, MaxJSONFile)
		if err != nil {
			return nil, fmt.Errorf("run %s: %w", s.Name, err)
		}
		r, err := decodeRun(rb, rp, s.Dir, path)
		if err != nil {
			return nil, err
		}
		e.Runs = append(e.Runs, r)
	}
	return e, nil
}

// decodeSummary parses summary.json (read from path): at least one run,
// each in a folder of one plain path element.
func decodeSummary(b []byte, path string) (*Experiment, error) {
	var e Experiment
	if err := json.Unmarshal(b, &e); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(e.Summaries) == 0 {
		return nil, fmt.Errorf("%s lists no runs", path)
	}
	if len(e.Summaries) > MaxRuns {
		return nil, fmt.Errorf("%s lists %d runs, more than the %d descent reads", path, len(e.Summaries), MaxRuns)
	}
	seen := make(map[string]bool, len(e.Summaries))
	for _, s := range e.Summaries {
		if err := checkDir(s.Dir); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if seen[s.Dir] {
			return nil, fmt.Errorf("%s lists folder %q twice", path, s.Dir)
		}
		seen[s.Dir] = true
	}
	return &e, nil
}

// decodeRun parses a run's history.json (read from path), which must name
// the folder dir that the summary (summaryPath) lists it in.
func decodeRun(b []byte, path, dir, summaryPath string) (*Run, error) {
	r := new(Run)
	if err := json.Unmarshal(b, r); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if r.Dir != dir {
		return nil, fmt.Errorf("%s: names folder %q, but %s lists it as %q", path, r.Dir, summaryPath, dir)
	}
	switch r.Task {
	case "", TaskClassification, TaskBinary, TaskRegression:
	default:
		return nil, fmt.Errorf("%s: unknown task %q (want %s, %s or %s)", path, r.Task, TaskClassification, TaskBinary, TaskRegression)
	}
	r.Test = r.scores()
	return r, nil
}
