package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	ucli "github.com/urfave/cli/v2"

	"github.com/descent-ml/descent/data"
	"github.com/descent-ml/descent/internal/atomicfile"
	"github.com/descent-ml/descent/model"
	"github.com/descent-ml/descent/predict"
)

// defaultPredictBatch is descent predict's --batch-size.
const defaultPredictBatch = 1024

func predictCommand(env Env) *ucli.Command {
	return &ucli.Command{
		Name:      "predict",
		Usage:     "write a saved model's prediction for every row of a CSV or NumPy file, in input order",
		UsageText: "descent predict --model FILE --data PATH --out FILE [--label COLUMN] [--batch-size N] [--backend NAME] [--threads N]",
		Description: "Reads the rows of --data (raw features: the model's preprocessing is applied, as in descent serve),\n" +
			"runs them through the model a batch at a time and writes one output row per input row, in order:\n" +
			"  classifier (softmax)     class,p_<label0>,p_<label1>,…   (.npy: class index, probabilities)\n" +
			"  binary (one sigmoid)     class,p_<positive label>        (.npy: class index, probability)\n" +
			"  regression               one column per output, named by the model's labels (or value)\n" +
			"The class is the most probable one (as descent evaluate counts it), for a binary model the positive\n" +
			"one when its probability is above 0.5. A .npy output is float32, (rows, columns). --out is written\n" +
			"atomically: on an error or Ctrl-C it is left as it was.",
		Flags: append([]ucli.Flag{
			&ucli.StringFlag{Name: "model", Required: true, Usage: "model file written by descent train --save"},
			&ucli.StringFlag{Name: "data", Required: true, Usage: "input rows: a .csv with a header (its --label column, if any, is left out), a .npy of features (N, F…), or a .npz (its x_test, else x)"},
			&ucli.StringFlag{Name: "out", Required: true, Usage: "write the predictions to this .csv (with a header) or .npy (float32) file"},
			&ucli.StringFlag{Name: "label", Value: data.DefaultCSVLabel, Usage: "the CSV's target column, left out of the features when present"},
			&ucli.IntFlag{Name: "batch-size", Value: defaultPredictBatch, Usage: "rows per forward pass"},
		}, pickFlags("backend", "threads")...),
		Action: func(c *ucli.Context) error { return runPredict(c, env) },
	}
}

// predictArgs are descent predict's checked flags.
type predictArgs struct {
	model, data, out string
	inKind, outKind  string
	label            string
	batch, threads   int
	backend          string
}

// predictFlags checks every flag before anything is read: a mistake is a
// usage error and costs no loading.
func predictFlags(c *ucli.Context) (predictArgs, error) {
	a := predictArgs{model: c.String("model"), data: c.String("data"), out: c.String("out"),
		label: c.String("label"), batch: c.Int("batch-size"), backend: c.String("backend")}
	if c.Args().Present() {
		return a, usagef("unexpected argument %q", c.Args().First())
	}
	if a.batch < 1 {
		return a, usagef("--batch-size: must be ≥ 1, got %d", a.batch)
	}
	if a.label == "" {
		return a, usagef("--label: must name a column")
	}
	var err error
	if a.threads, err = parseThreads(c.String("threads")); err != nil {
		return a, err
	}
	if a.inKind, err = inputKind(a.data); err != nil {
		return a, err
	}
	if a.outKind, err = outputKind(a.out); err != nil {
		return a, err
	}
	for _, in := range []struct{ flag, path string }{{"--data", a.data}, {"--model", a.model}} {
		if sameFile(a.out, in.path) {
			return a, usagef("--out %s is the same file as %s %s: it would replace its own input", a.out, in.flag, in.path)
		}
	}
	if err := atomicfile.Check(a.out); err != nil {
		return a, usagef("--out: %v", err)
	}
	return a, nil
}

// sameFile reports whether paths a and b name the same file: the same
// absolute path, or (both existing) the same file through a link.
func sameFile(a, b string) bool {
	absA, errA := filepath.Abs(a)
	absB, errB := filepath.Abs(b)
	if errA == nil && errB == nil && absA == absB {
		return true
	}
	sa, errA := os.Stat(a)
	sb, errB := os.Stat(b)
	return errA == nil && errB == nil && os.SameFile(sa, sb)
}

func runPredict(c *ucli.Context, env Env) error {
	a, err := predictFlags(c)
	if err != nil {
		return err
	}
	m, err := model.Load(a.model)
	if err != nil {
		return err
	}
	if err := checkModelBatch("--batch-size", m, uint64(a.batch)); err != nil {
		return err
	}
	src, features, err := openRows(a.data, a.inKind, a.label, env.Stderr)
	if err != nil {
		return err
	}
	defer src.Close()
	if src.Features() != m.Input() {
		return usagef("%s has %d features per row (%s), but the model %s takes %d inputs", a.data, src.Features(), features, a.model, m.Input())
	}
	cfg := NetConfig{Backend: a.backend, Threads: a.threads}
	eng, err := openEngine(env, &cfg)
	if err != nil {
		return err
	}
	batch := min(a.batch, src.Len()) // no workspace larger than the input
	p, err := predict.New(m, eng, predict.Options{MaxBatch: batch, Workers: 1})
	if err != nil {
		return err
	}
	defer p.Close()
	layout := layoutOf(m)
	nonFinite := 0
	err = atomicfile.Write(a.out, func(w io.Writer) error {
		pw, err := newPredictionWriter(a.outKind, w, layout, src.Len(), batch)
		if err != nil {
			return err
		}
		if nonFinite, err = predictRows(c.Context, p, src, batch, pw); err != nil {
			return err
		}
		return pw.close()
	})
	if err != nil {
		return fmt.Errorf("%w (--out %s left as it was)", err, a.out)
	}
	if nonFinite > 0 {
		fmt.Fprintf(env.Stderr, "descent predict: warning: the model's outputs are not finite for %d of %d rows (written as NaN or ±Inf; their class means nothing)\n", nonFinite, src.Len())
	}
	fmt.Fprintf(env.Stdout, "%s: %d predictions of %s written to %s\n", a.model, src.Len(), a.data, a.out)
	return nil
}

// predictRows runs every row of src through p, batch rows at a time, in
// order, and hands each batch's outputs to w as it comes: what is held is
// one batch of inputs and one of outputs. It returns how many rows had a
// non-finite output.
func predictRows(ctx context.Context, p *predict.Predictor, src rowsSource, batch int, w predictionWriter) (nonFinite int, err error) {
	n, f, k := src.Len(), src.Features(), p.Output()
	x := make([]float32, batch*f)
	y := make([]float32, batch*k)
	for start := 0; start < n; start += batch {
		if err := ctx.Err(); err != nil {
			return 0, fmt.Errorf("interrupted at row %d of %d: %w", start, n, err)
		}
		r := min(batch, n-start)
		if err := src.Read(ctx, start, r, x[:r*f]); err != nil {
			return 0, fmt.Errorf("reading rows %d to %d: %w", start, start+r-1, err)
		}
		if err := p.PredictInto(ctx, x[:r*f], r, y[:r*k]); err != nil {
			if ctxErr := ctx.Err(); ctxErr != nil && errors.Is(err, ctxErr) {
				return 0, fmt.Errorf("interrupted at row %d of %d: %w", start, n, err)
			}
			return 0, fmt.Errorf("rows %d to %d: %w", start, start+r-1, err)
		}
		nonFinite += countNonFinite(y, r, k)
		if err := w.writeRows(y[:r*k], r); err != nil {
			return 0, err
		}
	}
	return nonFinite, nil
}
