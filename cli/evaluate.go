package cli

import (
	"fmt"
	"io"
	"slices"
	"strings"

	ucli "github.com/urfave/cli/v2"

	"github.com/descent-ml/descent/data"
	"github.com/descent-ml/descent/metrics"
	"github.com/descent-ml/descent/model"
	"github.com/descent-ml/descent/predict"
	"github.com/descent-ml/descent/train"
)

func evaluateCommand(env Env) *ucli.Command {
	return &ucli.Command{
		Name:  "evaluate",
		Usage: "evaluate a saved model on a test set: loss and the task's metrics, classification report, confusion matrix",
		Description: "Loads a model written by descent train --save (or descent sweep/compare --save-models) and\n" +
			"runs it over the built-in data set's test images, or over every row of --data FILE (or --test-data FILE;\n" +
			"a .npz's test arrays when it has them), applying the preprocessing the model file records.",
		Flags: append([]ucli.Flag{
			&ucli.StringFlag{Name: "model", Required: true, Usage: "model file written by descent train --save"},
		}, pickFlags("dataset", "data", "test-data", "label", "backend", "threads", "batch-size")...),
		Action: func(c *ucli.Context) error {
			if c.Args().Present() {
				return usagef("unexpected argument %q", c.Args().First())
			}
			if c.Int("batch-size") < 1 {
				return usagef("--batch-size: must be ≥ 1, got %d", c.Int("batch-size"))
			}
			threads, err := parseThreads(c.String("threads"))
			if err != nil {
				return err
			}
			o, err := readDataOptions(c, 0)
			if err != nil {
				return err
			}
			m, err := model.Load(c.String("model"))
			if err != nil {
				return err
			}
			if err := checkModelBatch("--batch-size", m, uint64(c.Int("batch-size"))); err != nil {
				return err
			}
			sets, err := loadForModel(c.Context, o, m, c.String("model"))
			if err != nil {
				return err
			}
			if m.Output() != sets.tst.Targets() {
				return fmt.Errorf("%s outputs %d values, but %s has %d targets per sample", c.String("model"), m.Output(), sets.info.name, sets.tst.Targets())
			}
			cfg := NetConfig{Backend: c.String("backend"), Threads: threads}
			eng, err := openEngine(env, &cfg)
			if err != nil {
				return err
			}
			p, err := predict.New(m, eng, predict.Options{MaxBatch: c.Int("batch-size"), Workers: 1})
			if err != nil {
				return err
			}
			defer p.Close()
			ev, err := train.Evaluate(c.Context, p, sets.tst, taskLoss(sets.task), true)
			if err != nil {
				return err
			}
			if ev.NonFinite > 0 {
				// The arg-max of a NaN row is no prediction: no report.
				return fmt.Errorf("%s: the model's outputs are not finite for %d of %d test samples: no metrics computed from them", c.String("model"), ev.NonFinite, ev.Samples)
			}
			f := &fitted{test: ev, testLoss: ev.Loss, testAccuracy: ev.Accuracy, pred: ev.Classes}
			measureAUC(sets.task, f, sets.testLabels)
			what := "test samples"
			if o.userFile() || o.testPath != "" {
				what = "samples"
			}
			fmt.Fprintf(env.Stdout, "%s on %s: %d %s\n%s\n\n", c.String("model"), sets.info.name, sets.tst.Len(), what, testLine(sets.task, f))
			if sets.task == data.TaskRegression {
				fmt.Fprint(env.Stdout, regressionReport(f))
				return nil
			}
			cm, err := metrics.ConfusionMatrix(sets.testLabels, ev.Classes, sets.tst.Classes())
			if err != nil {
				return err
			}
			fmt.Fprintf(env.Stdout, "%s\n", sets.classificationReport(sets.testLabels, ev.Classes))
			fmt.Fprintln(env.Stdout, "confusion matrix (rows: true class, columns: predicted)")
			writeConfusion(env.Stdout, cm, sets.classNames(len(cm)))
			return nil
		},
	}
}

// pickFlags returns the named train flags, in train's order.
func pickFlags(names ...string) []ucli.Flag {
	var out []ucli.Flag
	for _, f := range trainFlags() {
		if slices.Contains(names, f.Names()[0]) {
			out = append(out, f)
		}
	}
	return out
}

// writeConfusion prints a confusion matrix with class headers, columns
// right-aligned to the widest entry.
func writeConfusion(w io.Writer, cm [][]int, names []string) {
	width := 1
	for _, row := range cm {
		for _, v := range row {
			width = max(width, len(fmt.Sprint(v)))
		}
	}
	rows := make([]string, len(cm))
	label := 0
	for i := range rows {
		rows[i] = fmt.Sprint(i)
		if i < len(names) && names[i] != rows[i] {
			rows[i] += " " + names[i]
		}
		label = max(label, len(rows[i]))
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "%*s", label, "")
	for j := range cm {
		fmt.Fprintf(&sb, " %*d", width, j)
	}
	sb.WriteByte('\n')
	for i, row := range cm {
		fmt.Fprintf(&sb, "%-*s", label, rows[i])
		for _, v := range row {
			fmt.Fprintf(&sb, " %*d", width, v)
		}
		sb.WriteByte('\n')
	}
	io.WriteString(w, sb.String())
}
