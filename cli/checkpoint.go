package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	ucli "github.com/urfave/cli/v2"

	"github.com/descent-ml/descent/checkpoint"
	"github.com/descent-ml/descent/train"
)

// checkpointFlags are descent train's checkpoint and resume flags.
func checkpointFlags() []ucli.Flag {
	return []ucli.Flag{
		&ucli.StringFlag{Name: "checkpoint", Usage: "write a checkpoint into this folder at the end of every epoch, every --checkpoint-every steps and on SIGINT/SIGTERM (see README: Checkpoints and resume)"},
		&ucli.IntFlag{Name: "checkpoint-every", Usage: "also checkpoint every N steps (0: only at epoch ends)"},
		&ucli.StringFlag{Name: "resume", Usage: "continue from the latest complete checkpoint in this folder (same flags; it keeps checkpointing there unless --checkpoint says otherwise)"},
		// Test-only: train on the first N training samples (after the split).
		&ucli.IntFlag{Name: "train-limit", Hidden: true},
	}
}

// ckptRun is what --checkpoint and --resume ask of one training run.
type ckptRun struct {
	dir    string // where to write checkpoints ("" for none)
	every  int
	resume *checkpoint.Checkpoint // loaded by --resume
	from   string                 // the folder it came from
	id     checkpoint.Identity
	config json.RawMessage
	saver  *checkpoint.Saver
}

// readCheckpointFlags checks the flags and loads --resume's checkpoint
// (refusing a damaged or newer one now, before training).
func readCheckpointFlags(c *ucli.Context) (*ckptRun, error) {
	k := &ckptRun{dir: c.String("checkpoint"), every: c.Int("checkpoint-every")}
	if k.every < 0 {
		return nil, usagef("--checkpoint-every: must be ≥ 0, got %d", k.every)
	}
	if c.Int("train-limit") < 0 {
		return nil, usagef("--train-limit: must be ≥ 0")
	}
	if dir := c.String("resume"); dir != "" {
		ck, folder, err := checkpoint.Load(dir)
		if err != nil {
			return nil, fmt.Errorf("--resume: %w", err)
		}
		k.resume, k.from = ck, folder
		if k.dir == "" {
			k.dir = dir
		}
	}
	if k.every > 0 && k.dir == "" {
		return nil, usagef("--checkpoint-every needs --checkpoint DIR")
	}
	if k.dir == "" && k.resume == nil {
		return nil, nil
	}
	return k, nil
}

// identity fills in what the run's checkpoints must match.
func (k *ckptRun) identify(ctx context.Context, cfg NetConfig, sets dataSets, limit int) error {
	g := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	hash, err := checkpoint.SourceHash(ctx, sets.train)
	if err != nil {
		return err
	}
	k.id = checkpoint.Identity{
		Data:    hash,
		Split:   fmt.Sprintf("%s val_split=%s train_test_split(random_state=42) train_limit=%d", cfg.Dataset, g(cfg.ValSplit), limit),
		Backend: cfg.Backend, Threads: cfg.Threads, Optimizer: cfg.Optimizer,
		OptimizerConfig: map[string]string{"lr": g(cfg.LR), "momentum": g(cfg.Momentum)},
		Seed:            cfg.Seed, BatchSize: cfg.BatchSize,
	}
	// The regularisation changes every step after a resume too; set only
	// when on, so checkpoints written without it still match.
	r := cfg.Regularization
	for name, v := range map[string]float64{"weight_decay": r.WeightDecay, "clipnorm": r.ClipNorm,
		"clipvalue": r.ClipValue, "global_clipnorm": r.GlobalClipNorm, "label_smoothing": r.LabelSmoothing} {
		if v != 0 {
			k.id.OptimizerConfig[name] = g(v)
		}
	}
	k.config, _ = json.Marshal(cfg)
	return nil
}

// setup restores the checkpoint into tr and, if write, installs the Saver
// in fit (in a data-parallel run every rank restores --resume's
// checkpoint, rank 0 alone writes).
func (k *ckptRun) setup(tr *train.Trainer, fit *train.FitConfig, write bool) error {
	if k == nil {
		return nil
	}
	if k.resume != nil {
		if err := k.resume.Check(k.id, tr.Model()); err != nil {
			return fmt.Errorf("--resume %s: %w", k.from, err)
		}
		st, err := k.resume.Restore(tr)
		if err != nil {
			return fmt.Errorf("--resume %s: %w", k.from, err)
		}
		fit.Resume = st
	}
	if k.dir != "" && write {
		s, err := checkpoint.NewSaver(k.dir, k.every, tr, k.id, k.config)
		if err != nil {
			return err
		}
		k.saver, fit.OnState = s, s.OnState
	}
	return nil
}

// resumeCommand is the command that continues an interrupted run.
func (k *ckptRun) resumeCommand(c *ucli.Context) string {
	cmd, r := commandLine(c), c.String("resume")
	if r == "" {
		return cmd + " --resume " + shellQuote(k.dir)
	}
	return strings.Replace(cmd, "--resume "+shellQuote(r), "--resume "+shellQuote(k.dir), 1)
}

// interrupted tells what an interrupted run kept, and how to resume it.
func (k *ckptRun) interrupted(c *ucli.Context, env Env) {
	if k == nil || k.saver == nil || k.saver.Last == "" {
		return
	}
	fmt.Fprintf(env.Stderr, "descent: checkpoint %s written; resume with:\n  %s\n", k.saver.Last, k.resumeCommand(c))
}

// saveInterrupted writes --save for a run that stopped early, with the
// weights it has (a signal must not lose them).
func saveInterrupted(c *ucli.Context, env Env, f *fitted) {
	path := c.String("save")
	if path == "" || f == nil || f.model == nil || f.history == nil {
		return
	}
	if err := f.model.Save(path); err != nil {
		fmt.Fprintf(env.Stderr, "descent: --save: %v\n", err)
		return
	}
	fmt.Fprintf(env.Stderr, "descent: the model as trained so far is in %s\n", path)
}

func seqInts(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}
