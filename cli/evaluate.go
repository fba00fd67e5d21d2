package cli

import (
	"fmt"
	"io"
	"reflect"
	"slices"
	"strings"

	ucli "github.com/urfave/cli/v2"

	"github.com/descent-ml/descent/metrics"
	"github.com/descent-ml/descent/model"
	"github.com/descent-ml/descent/predict"
	"github.com/descent-ml/descent/train"
)

func evaluateCommand(env Env) *ucli.Command {
	return &ucli.Command{
		Name:  "evaluate",
		Usage: "evaluate a saved model on the test set: loss, accuracy, classification report, confusion matrix",
		Description: "Loads a model written by descent train --save (or descent sweep/compare --save-models) and\n" +
			"runs it over the data set's test images.",
		Flags: append([]ucli.Flag{
			&ucli.StringFlag{Name: "model", Required: true, Usage: "model file written by descent train --save"},
		}, pickFlags("dataset", "data", "backend", "threads", "batch-size")...),
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
			info, err := lookupDataset(c.String("dataset"))
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
			sets, err := loadDataSets(info.name, c.String("data"), 0)
			if err != nil {
				return err
			}
			if m.Input() != sets.tst.Features() || m.Output() != sets.tst.Classes() {
				return fmt.Errorf("%s takes %d inputs and outputs %d classes, but %s has %d features and %d classes",
					c.String("model"), m.Input(), m.Output(), info.name, sets.tst.Features(), sets.tst.Classes())
			}
			cfg := NetConfig{Backend: c.String("backend"), Threads: threads}
			eng, err := openEngine(env, &cfg)
			if err != nil {
				return err
			}
			// The data set's images arrive scaled by 1/255 (package data):
			// the model must have been trained on that.
			if want := model.ScaleBy(255); !reflect.DeepEqual(m.Preprocessing, want) {
				return fmt.Errorf("%s expects inputs preprocessed as %+v, but %s's images are scaled by 1/255", c.String("model"), m.Preprocessing, info.name)
			}
			p, err := predict.New(m, eng, predict.Options{MaxBatch: c.Int("batch-size"), Workers: 1})
			if err != nil {
				return err
			}
			defer p.Close()
			ev, err := train.Evaluate(c.Context, p, sets.tst, train.CategoricalCrossentropyLoss{}, true)
			if err != nil {
				return err
			}
			loss, acc, pred := ev.Loss, ev.Accuracy, ev.Classes
			if ev.NonFinite > 0 {
				// The arg-max of a NaN row is no prediction: no report.
				return fmt.Errorf("%s: the model's outputs are not finite for %d of %d test samples: no metrics computed from them", c.String("model"), ev.NonFinite, ev.Samples)
			}
			labels := labelsOf(sets.tst)
			cm, err := metrics.ConfusionMatrix(labels, pred, sets.tst.Classes())
			if err != nil {
				return err
			}
			fmt.Fprintf(env.Stdout, "%s on %s: %d test samples\ntest: loss %.4f - accuracy %.4f\n\n%s\n",
				c.String("model"), info.name, sets.tst.Len(), loss, acc, info.classificationReport(labels, pred))
			fmt.Fprintln(env.Stdout, "confusion matrix (rows: true class, columns: predicted)")
			writeConfusion(env.Stdout, cm, info.classNames(len(cm)))
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
