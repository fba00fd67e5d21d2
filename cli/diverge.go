package cli

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"

	ucli "github.com/urfave/cli/v2"

	"github.com/descent-ml/descent/data"
	"github.com/descent-ml/descent/report"
	"github.com/descent-ml/descent/train"
)

// divergedError is the error of a descent train run that stopped on a
// non-finite loss: one line saying where, the likely cause and what was
// written. It wraps train.ErrDiverged (exit status 3).
type divergedError struct {
	msg string
	err error
}

func (e divergedError) Error() string { return e.msg }
func (e divergedError) Unwrap() error { return e.err }

// divergenceOf is d in the report's form.
func divergenceOf(d *train.DivergedError) *report.Divergence {
	if d == nil {
		return nil
	}
	return &report.Divergence{Epoch: d.Epoch, Step: d.Step, Steps: d.Steps, Validation: d.Validation,
		Loss: fmt.Sprint(d.Loss)}
}

// divergedWhere says where and what: "at epoch 1, step 3 of 422 (loss NaN)".
func divergedWhere(d *train.DivergedError) string {
	if d.Validation {
		return fmt.Sprintf("after epoch %d (validation loss %v)", d.Epoch, d.Loss)
	}
	return fmt.Sprintf("at epoch %d, step %d of %d (loss %v)", d.Epoch, d.Step, d.Steps, d.Loss)
}

// likelyCause names the usual culprit of a divergence: the learning rate.
func likelyCause(cfg NetConfig) string {
	return fmt.Sprintf("the likely cause is the learning rate, %s lr %g: try a smaller --lr, or --on-nan continue to train on regardless",
		cfg.Optimizer, cfg.LR)
}

// noTestResult is what stands in for the classification report of a run
// whose outputs are not finite.
func noTestResult(why string) string {
	return "No classification report: " + why + "; metrics computed from non-finite outputs would not be predictions.\n"
}

// testReport is the classification report of f on the test set, or a
// refusal when the model's test outputs were not finite (a diverged run
// trained on with --on-nan continue: the arg-max of a NaN row is class 0,
// not a prediction).
func testReport(sets dataSets, f *fitted) string {
	if f.diverged != nil {
		return noTestResult("training diverged " + divergedWhere(f.diverged))
	}
	if f.interrupted {
		return noTestResult("the run was interrupted before its test pass")
	}
	if math.IsNaN(f.testLoss) {
		return noTestResult("the model's outputs on the test set are not finite (the training diverged)")
	}
	if sets.task == data.TaskRegression {
		return regressionReport(f)
	}
	return sets.classificationReport(sets.testLabels, f.pred)
}

// endProgressLine ends the live progress bar that a divergence left
// half-drawn, so that what follows starts on a line of its own.
func endProgressLine(env Env, quiet bool) {
	if env.IsTerminal && !quiet {
		fmt.Fprintln(env.Stdout)
	}
}

// keepDiverged writes what a diverged descent train run has: --history (the
// completed epochs, no test result) and --out (the run folder); --save is
// refused, since non-finite weights cannot be saved. It returns the one-line
// error that says where, why and what was written.
func keepDiverged(c *ucli.Context, env Env, cfg NetConfig, f *fitted, sets dataSets, runErr error) error {
	endProgressLine(env, c.Bool("quiet"))
	res := runResult{History: historyOf(f.history), EpochSeconds: report.Series(f.history.EpochSeconds), Config: cfg,
		Report: testReport(sets, f), Diverged: divergenceOf(f.diverged), Distributed: f.distributed}
	f.testLoss, f.testAccuracy = math.NaN(), math.NaN() // written as null: there is no test result
	res.Test = scoresOf(sets.task, f)
	written, notes := writePartialOutputs(c, env, cfg, f, sets, res)
	if path := c.String("save"); path != "" {
		notes = append(notes, fmt.Sprintf("--save %s not written: the weights are not finite and cannot be saved", path))
	}
	msg := fmt.Sprintf("training diverged %s: %s", divergedWhere(f.diverged), likelyCause(cfg))
	if len(written) > 0 {
		msg += fmt.Sprintf("; the %d completed epoch(s) are in %s", f.history.Epochs(), strings.Join(written, " and "))
	}
	if len(notes) > 0 {
		msg += "; " + strings.Join(notes, "; ")
	}
	return divergedError{msg: msg, err: runErr}
}

// writePartialOutputs writes --history (res) and --out for a run that
// ended before its test pass (diverged or interrupted) and returns what it
// wrote and a note for each output it could not write. --save is the
// caller's: its rule differs (a diverged model cannot be saved).
func writePartialOutputs(c *ucli.Context, env Env, cfg NetConfig, f *fitted, sets dataSets, res runResult) (written, notes []string) {
	if path := c.String("history"); path != "" {
		b, err := json.MarshalIndent(res, "", "  ")
		if err == nil {
			err = writeFileAtomic(path, append(b, '\n'))
		}
		if err != nil {
			notes = append(notes, fmt.Sprintf("--history could not be written: %v", err))
		} else {
			written = append(written, path)
		}
	}
	if c.String("out") != "" {
		if err := writeTrainFolder(c, env, cfg, f, sets); err != nil {
			notes = append(notes, fmt.Sprintf("--out could not be written: %v", err))
		} else {
			written = append(written, c.String("out"))
		}
	}
	return written, notes
}
