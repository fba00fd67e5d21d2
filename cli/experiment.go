package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/descent-ml/descent/data"
	"github.com/descent-ml/descent/metrics"
	"github.com/descent-ml/descent/report"
	"github.com/descent-ml/descent/train"
)

// experimentFlags are the train flags that make sense for a series of runs
// (all but drop, with the given defaults changed) plus --out and
// --save-models.
func experimentFlags(drop []string, defaults map[string]any) []ucli.Flag {
	var out []ucli.Flag
	for _, f := range trainFlags() {
		name := f.Names()[0]
		if slices.Contains(drop, name) {
			continue
		}
		if v, ok := defaults[name]; ok {
			switch f := f.(type) {
			case *ucli.IntFlag:
				f.Value = v.(int)
			case *ucli.StringFlag:
				f.Value = v.(string)
			default:
				panic("experimentFlags: no default setter for " + name)
			}
		}
		if name == "quiet" {
			f.(*ucli.BoolFlag).Usage = "print only the summary table and where the report is"
		}
		out = append(out, f)
	}
	return append(out,
		&ucli.StringFlag{Name: "out", Usage: "folder for the histories, figures, reports and report.html (default: a new runs/<date>-<time>)"},
		&ucli.BoolFlag{Name: "save-models", Usage: "also save each trained network as <run>/model.descent"},
	)
}

// plannedRun is one run of an experiment.
type plannedRun struct {
	name, dir string
	cfg       NetConfig
}

// commandLine rebuilds the command as typed, from the flags that were set.
func commandLine(c *ucli.Context) string {
	parts := []string{"descent", c.Command.Name}
	for _, f := range c.Command.Flags {
		name := f.Names()[0]
		if !c.IsSet(name) {
			continue
		}
		if _, ok := f.(*ucli.BoolFlag); ok {
			parts = append(parts, "--"+name)
			continue
		}
		parts = append(parts, "--"+name, shellQuote(fmt.Sprint(c.Value(name))))
	}
	for _, a := range c.Args().Slice() {
		parts = append(parts, shellQuote(a))
	}
	return strings.Join(parts, " ")
}

func shellQuote(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\n'\"\\$`*?[]{}()<>|&;#~!") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// checkOut refuses an --out folder that holds an experiment already, or
// that cannot be created or written (checkOutDir).
func checkOut(c *ucli.Context) error {
	if dir := c.String("out"); dir != "" {
		if _, err := os.Stat(filepath.Join(dir, report.SummaryFile)); err == nil {
			return usagef("--out: %s already holds an experiment (%s): choose another folder or remove it", dir, report.SummaryFile)
		}
		if err := checkOutDir(dir); err != nil {
			return usagef("--out: %v", err)
		}
	}
	return nil
}

// outDir creates and returns the experiment folder: --out, or a new
// runs/<date>-<time> folder.
func outDir(c *ucli.Context, now time.Time) (string, error) {
	dir := c.String("out")
	if dir != "" {
		if err := checkOut(c); err != nil {
			return "", err
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return "", fmt.Errorf("--out: %w", err)
		}
		return dir, nil
	}
	base := filepath.Join("runs", now.Format("20060102-150405"))
	dir = base
	for i := 2; ; i++ {
		if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
			return "", fmt.Errorf("creating %s: %w", filepath.Dir(dir), err)
		}
		err := os.Mkdir(dir, 0o755)
		if err == nil {
			return dir, nil
		}
		if !errors.Is(err, os.ErrExist) || i > 100 {
			return "", fmt.Errorf("creating %s: %w", dir, err)
		}
		dir = fmt.Sprintf("%s-%d", base, i)
	}
}

// writeFiles writes files under dir, each atomically, and every one of
// them even when an earlier one failed; the error names each failure.
func writeFiles(dir string, files []report.File) error {
	var errs []error
	for _, f := range files {
		path := filepath.Join(dir, f.Path)
		err := os.MkdirAll(filepath.Dir(path), 0o755)
		if err == nil {
			err = writeFileAtomic(path, f.Data)
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	return outputErrors("files", len(files), errs)
}

// runExperiment trains every planned run on the same data and backend, each
// from weights drawn from its own seed (the same seed gives the same initial
// weights, so runs differ only in what the experiment varies), and writes
// the experiment folder: each run's files as soon as it ends, then the
// summary, figures and page again, so that an interrupted experiment leaves
// a complete folder of the runs done.
//
// config returns the experiment's configuration for summary.json from the
// shared settings, once the data set and backend are known.
func runExperiment(c *ucli.Context, env Env, exp *report.Experiment, base NetConfig, config func(NetConfig) any, runs []plannedRun) error {
	if base.ValSplit == 0 {
		return usagef("--val-split: must be above 0: the figures are validation curves")
	}
	if err := checkOutputs(c); err != nil {
		return err
	}
	if c.String("out") == "" { // the default folder, runs/<date>-<time>
		if err := checkOutDir("runs"); err != nil {
			return fmt.Errorf("the default --out folder: %w", err)
		}
	}
	sets, err := loadDataSets(c.Context, base.data)
	if err != nil {
		return err
	}
	if err := base.fit(sets); err != nil {
		return err
	}
	eng, err := openEngine(env, &base)
	if err != nil {
		return err
	}
	for i := range runs {
		if err := runs[i].cfg.fit(sets); err != nil {
			return err
		}
		runs[i].cfg.Backend, runs[i].cfg.Threads = base.Backend, base.Threads
	}
	now := time.Now()
	dir, err := outDir(c, now)
	if err != nil {
		return err
	}
	exp.Command = commandLine(c)
	exp.Dataset = base.Dataset
	exp.Created = now.Format(time.RFC3339)
	if exp.Config, err = json.Marshal(config(base)); err != nil {
		return err
	}
	quiet := c.Bool("quiet")
	if !quiet {
		fmt.Fprintf(env.Stdout, "descent %s: %d runs on %s (%d training, %d validation, %d test samples); backend %s, %d thread(s); writing %s\n",
			exp.Kind, len(runs), base.Dataset, sets.train.Len(), lenOf(sets.val), sets.tst.Len(), base.Backend, base.Threads, dir)
	}
	for _, n := range sets.notes {
		if !quiet {
			fmt.Fprintf(env.Stdout, "descent: %s\n", n)
		}
	}
	for i, pr := range runs {
		var callbacks []train.Callback
		rt, err := autoLR(c, env, eng, &pr.cfg, sets)
		if err != nil {
			return fmt.Errorf("run %s: %w", pr.name, err)
		}
		if rt != nil {
			exp.RangeTests = append(exp.RangeTests, rt)
		}
		if !quiet {
			fmt.Fprintf(env.Stdout, "\n[%d/%d] %s: %s lr %g", i+1, len(runs), pr.name, pr.cfg.Optimizer, pr.cfg.LR)
			if pr.cfg.Momentum != 0 {
				fmt.Fprintf(env.Stdout, " momentum %g", pr.cfg.Momentum)
			}
			fmt.Fprintf(env.Stdout, ", batch %d, %d epochs\n", pr.cfg.BatchSize, pr.cfg.Epochs)
			if p := newProgress(env, pr.cfg); p != nil {
				callbacks = append(callbacks, p)
			}
		}
		f, err := fitNetwork(c.Context, eng, pr.cfg, sets, callbacks...)
		if f != nil && f.diverged != nil {
			// A diverged run is a result: recorded as such, and the
			// experiment goes on with the others.
			endProgressLine(env, quiet)
			fmt.Fprintf(env.Stderr, "descent: run %s: training diverged %s: %s; going on\n",
				pr.name, divergedWhere(f.diverged), likelyCause(pr.cfg))
		} else if err != nil {
			if len(exp.Runs) > 0 {
				return fmt.Errorf("run %s: %w (the %d finished run(s) are in %s)", pr.name, err, len(exp.Runs), dir)
			}
			return fmt.Errorf("run %s: %w", pr.name, err)
		}
		r, err := newRun(pr, f, sets)
		if err != nil {
			return err
		}
		if !quiet && f.diverged == nil {
			fmt.Fprintln(env.Stdout, testLine(sets.task, f))
		}
		files, err := report.RunFiles(r)
		if err != nil {
			return err
		}
		if err := writeFiles(dir, files); err != nil {
			return err
		}
		if c.Bool("save-models") && f.diverged == nil {
			if err := f.model.Save(filepath.Join(dir, pr.dir, "model.descent")); err != nil {
				// A diverged network (NaN weights) cannot be saved; that
				// must not lose the experiment.
				fmt.Fprintf(env.Stderr, "descent: run %s: model not saved: %v\n", pr.name, err)
			}
		}
		exp.Runs = append(exp.Runs, r)
		page, err := report.PageFiles(exp)
		if err != nil {
			return err
		}
		if err := writeFiles(dir, page); err != nil {
			return err
		}
	}
	if !quiet {
		fmt.Fprintln(env.Stdout)
	}
	printSummary(env, exp)
	fmt.Fprintf(env.Stdout, "\nreport: %s\n", filepath.Join(dir, report.PageFile))
	return nil
}

// historyOf copies a training history into the report's form. It lives
// here, not in package report, so that report never imports train. A
// regression's history (one with mae) has no accuracy; a classifier's is
// never null, even with no epoch (a run that diverged in its first).
func historyOf(h *train.History) report.History {
	out := report.History{
		Loss:    append(report.Series{}, h.Loss...),
		ValLoss: slices.Clone(h.ValLoss), ValAccuracy: slices.Clone(h.ValAccuracy),
		MAE: slices.Clone(h.MAE), ValMAE: slices.Clone(h.ValMAE), ValR2: slices.Clone(h.ValR2),
		LR: slices.Clone(h.LR), StoppedEpoch: h.StoppedEpoch, BestEpoch: h.BestEpoch,
	}
	if h.MAE == nil {
		out.Accuracy = append(report.Series{}, h.Accuracy...)
	}
	return out
}

// newRun packages a finished run for the report, with the task's test
// scores (those of the history file). A diverged run, or one whose test
// outputs are not finite, gets no classification report and no confusion
// matrix: they would count NaN rows as class 0. A regression has neither
// classes nor a confusion matrix, and its regression report as Report.
func newRun(pr plannedRun, f *fitted, sets dataSets) (*report.Run, error) {
	var cm [][]int
	if f.diverged == nil && !f.interrupted && !math.IsNaN(f.testLoss) && sets.task != data.TaskRegression {
		var err error
		if cm, err = metrics.ConfusionMatrix(sets.testLabels, f.pred, sets.tst.Classes()); err != nil {
			return nil, err
		}
	}
	cfg, err := json.Marshal(pr.cfg)
	if err != nil {
		return nil, fmt.Errorf("run %s: configuration: %w", pr.name, err)
	}
	r := &report.Run{
		Name: pr.name, Dir: pr.dir, Task: sets.task.String(),
		History:      historyOf(f.history),
		EpochSeconds: report.Series(f.history.EpochSeconds),
		Test:         report.Scores(scoresOf(sets.task, f)), // the same fields
		Config:       cfg,
		Report:       testReport(sets, f),
		Confusion:    cm,
		Seconds:      report.Float(f.seconds),
		Diverged:     divergenceOf(f.diverged),
	}
	if sets.task == data.TaskRegression {
		r.History.Accuracy = nil // none, even with no epoch
	} else {
		r.Classes = sets.classNames(sets.tst.Classes())
	}
	return r, nil
}

// printSummary prints the summary table, aligned, with the task's
// columns: val_accuracy and the test accuracy for classes (a binary task
// adds test_roc_auc), val_mae, val_r2 and the test mse, mae and r2 for a
// regression.
func printSummary(env Env, exp *report.Experiment) {
	task := report.ExperimentTask(exp.Runs)
	type col struct {
		head, format string
		value        func(report.Summary) float64
	}
	valLoss := func(s report.Summary) float64 { return float64(s.ValLoss) }
	var cols []col
	switch task {
	case report.TaskRegression: // %g: the targets may have any scale
		cols = append(cols, col{"val_loss", "%.5g", valLoss},
			col{"val_mae", "%.5g", func(s report.Summary) float64 { return s.ValMAE.Value() }},
			col{"val_r2", "%.4g", func(s report.Summary) float64 { return s.ValR2.Value() }},
			col{"test_mse", "%.5g", func(s report.Summary) float64 { return s.Test.MSE.Value() }},
			col{"test_mae", "%.5g", func(s report.Summary) float64 { return s.Test.MAE.Value() }},
			col{"test_r2", "%.4g", func(s report.Summary) float64 { return s.Test.R2.Value() }})
	default:
		cols = append(cols, col{"val_loss", "%.4f", valLoss},
			col{"val_accuracy", "%.4f", func(s report.Summary) float64 { return s.ValAccuracy.Value() }},
			col{"test_loss", "%.4f", func(s report.Summary) float64 { return float64(s.Test.Loss) }},
			col{"test_accuracy", "%.4f", func(s report.Summary) float64 { return s.Test.Accuracy.Value() }})
		if task == report.TaskBinary {
			cols = append(cols, col{"test_roc_auc", "%.4f", func(s report.Summary) float64 { return s.Test.ROCAUC.Value() }})
		}
	}
	w := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(w, "run\tepochs\t")
	for _, c := range cols {
		fmt.Fprintf(w, "%s\t", c.head)
	}
	fmt.Fprint(w, "seconds\t\n")
	for _, r := range exp.Runs {
		s := r.Summarize()
		fmt.Fprintf(w, "%s\t%d\t", s.Name, s.Epochs)
		for _, c := range cols {
			fmt.Fprintf(w, c.format+"\t", c.value(s))
		}
		fmt.Fprintf(w, "%.1f\t", float64(s.Seconds))
		if s.Diverged != nil {
			fmt.Fprintf(w, "  %s", s.Diverged) // after the last cell: left out of the alignment
		}
		fmt.Fprintln(w)
	}
	w.Flush()
}
