package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/descent-ml/descent/backend"
	"github.com/descent-ml/descent/report"
	"github.com/descent-ml/descent/train"
)

// lrAuto is the value of --lr that asks for the range test's suggestion.
const lrAuto = "auto"

// lrUsage is the usage of --lr in train and compare.
const lrUsage = "learning rate, or auto: train with the suggestion of the learning-rate range test (descent lrfind) run first on a throwaway copy of the network"

// parseLR reads a --lr value: a number (checked by checkLR) or auto.
func parseLR(flag, s string) (lr float64, auto bool, err error) {
	if strings.TrimSpace(s) == lrAuto {
		return 0, true, nil
	}
	lr, err = strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil {
		return 0, false, usagef("%s: %q is not a number or auto", flag, s)
	}
	return lr, false, checkLR(flag, lr)
}

// rangeTestFlags are the settings of the range test, in descent lrfind.
func rangeTestFlags() []ucli.Flag {
	return []ucli.Flag{
		&ucli.Float64Flag{Name: "start-lr", Value: train.DefaultLRFindMinLR, Usage: "the first (smallest) learning rate of the test (fastai's start_lr)"},
		&ucli.Float64Flag{Name: "end-lr", Value: train.DefaultLRFindMaxLR, Usage: "the last (largest) learning rate of the test (fastai's end_lr)"},
		&ucli.IntFlag{Name: "steps", Value: train.DefaultLRFindSteps, Usage: "training steps (batches) of the test; the rate grows exponentially from --start-lr to --end-lr over them"},
		&ucli.StringFlag{Name: "rule", Value: string(train.DefaultLRRule), Usage: "how the rate is picked from the smoothed loss: " + strings.Join(lrRuleNames(), ", ") + " (see docs/lrfind.md)"},
	}
}

// lrRuleNames are the range test's rules (train.LRRules) as --rule spells
// them.
func lrRuleNames() []string {
	var rules []string
	for _, r := range train.LRRules() {
		rules = append(rules, string(r))
	}
	return rules
}

// readRangeTestConfig reads the range test's flags where the command has
// them (descent lrfind), else the defaults; rangeTest sets the seed.
func readRangeTestConfig(c *ucli.Context) (train.LRFindConfig, error) {
	var cfg train.LRFindConfig
	if !slices.ContainsFunc(c.Command.Flags, func(f ucli.Flag) bool { return f.Names()[0] == "steps" }) {
		return cfg, nil // train and compare: the defaults
	}
	cfg.MinLR, cfg.MaxLR, cfg.Steps, cfg.Rule = c.Float64("start-lr"), c.Float64("end-lr"), c.Int("steps"), train.LRRule(c.String("rule"))
	if err := checkLR("--start-lr", cfg.MinLR); err != nil {
		return cfg, err
	}
	if err := checkLR("--end-lr", cfg.MaxLR); err != nil {
		return cfg, err
	}
	switch {
	case !(cfg.MaxLR > cfg.MinLR):
		return cfg, usagef("--end-lr: %v is not above --start-lr %v", cfg.MaxLR, cfg.MinLR)
	case cfg.Steps < 10 || cfg.Steps > 100000:
		return cfg, usagef("--steps: must be in 10..100000, got %d", cfg.Steps)
	case !slices.Contains(train.LRRules(), cfg.Rule):
		return cfg, usagef("--rule: %q: want one of %s", cfg.Rule, strings.Join(lrRuleNames(), ", "))
	}
	return cfg, nil
}

// rangeTest runs the learning-rate range test for cfg on sets.train: on a
// network built and initialised as fitNetwork builds the one it trains
// (same seed, same weights), which is then thrown away, with the batches
// of the first steps of that training.
func rangeTest(ctx context.Context, eng backend.Engine, cfg NetConfig, sets dataSets, lf train.LRFindConfig) (*report.RangeTest, error) {
	start := time.Now()
	plain := cfg
	plain.Dropout = 0 // the range test's network has no dropout
	m, err := newNetwork(plain, sets.task)
	if err != nil {
		return nil, err
	}
	m.Init(rand.New(rand.NewPCG(cfg.Seed, 0)))
	opt, err := newOptimizer(cfg.Optimizer, cfg.LR, cfg.Momentum)
	if err != nil {
		return nil, err
	}
	tr, err := train.NewTrainer(m, eng, opt, taskLoss(sets.task), cfg.BatchSize)
	if err != nil {
		return nil, err
	}
	defer tr.Close()
	lf.Seed = cfg.Seed
	res, err := tr.FindLR(ctx, sets.train, lf)
	if err != nil {
		return nil, fmt.Errorf("range test (%s): %w", cfg.Optimizer, err)
	}
	rt := &report.RangeTest{Name: optimizerTitle(cfg.Optimizer), Optimizer: cfg.Optimizer,
		Rates: res.LRs, Losses: res.Losses, Smoothed: res.Smoothed,
		SuggestedLR: res.SuggestedLR, Rule: string(res.Rule), Suggestions: map[string]float64{},
		StoppedEarly: res.StoppedEarly, MinLR: res.Config.MinLR, MaxLR: res.Config.MaxLR, Steps: res.Config.Steps,
		Smoothing: res.Config.Smoothing, DivergeFactor: res.Config.DivergeFactor, BatchSize: cfg.BatchSize, Seed: cfg.Seed,
		Seconds: time.Since(start).Seconds()}
	for r, v := range res.Suggestions {
		rt.Suggestions[string(r)] = v
	}
	if err := checkLR("the range test's suggestion", rt.SuggestedLR); err != nil {
		return nil, err
	}
	return rt, nil
}

// autoLR runs the range test for cfg when --lr is auto, sets cfg.LR to its
// suggestion and says so on stdout; otherwise it does nothing and returns
// nil.
func autoLR(c *ucli.Context, env Env, eng backend.Engine, cfg *NetConfig, sets dataSets) (*report.RangeTest, error) {
	if !cfg.LRAuto {
		return nil, nil
	}
	lf, err := readRangeTestConfig(c)
	if err != nil {
		return nil, err
	}
	rt, err := rangeTest(c.Context, eng, *cfg, sets, lf)
	if err != nil {
		return nil, err
	}
	cfg.LR = rt.SuggestedLR
	fmt.Fprintf(env.Stdout, "descent: --lr auto: range test suggests %.3g for %s (rule %s, %d steps from %g to %g%s, %.1f s)\n",
		rt.SuggestedLR, cfg.Optimizer, rt.Rule, len(rt.Rates), rt.MinLR, rt.MaxLR, stoppedNote(rt), rt.Seconds)
	return rt, nil
}

func stoppedNote(rt *report.RangeTest) string {
	if rt.StoppedEarly {
		return fmt.Sprintf(", diverged at %.3g", rt.Rates[len(rt.Rates)-1])
	}
	return ""
}

func lrfindCommand(env Env) *ucli.Command {
	var flags []ucli.Flag
	for _, f := range trainFlags() {
		switch f.Names()[0] {
		case "lr", "history", "save", "epochs", "on-nan":
			continue
		case "quiet":
			f.(*ucli.BoolFlag).Usage = "print only the suggested rate"
		}
		flags = append(flags, f)
	}
	flags = append(append(flags, rangeTestFlags()...),
		&ucli.StringFlag{Name: "out", Usage: "folder for lrfind.json, lrfind.png, lrfind.svg and report.html (default: a new runs/<date>-<time>)"},
		// readNetConfig checks these; the range test does not use them.
		&ucli.IntFlag{Name: "epochs", Value: 1, Hidden: true},
		&ucli.StringFlag{Name: "on-nan", Value: "stop", Hidden: true},
	)
	return &ucli.Command{
		Name:  "lrfind",
		Usage: "the learning-rate range test: which learning rate to train with",
		Description: "Trains a fresh network (the one descent train would train, with the same flags and seed) for\n" +
			"--steps batches while the learning rate grows exponentially from --start-lr to --end-lr, records the\n" +
			"smoothed loss, stops once it exceeds 4× its minimum, and suggests a rate: by default the rate at\n" +
			"the minimum divided by 10 (Smith 2017, \"Cyclical Learning Rates\"; fastai's lr_find). Writes\n" +
			"lrfind.json (rates, losses, smoothed losses, suggested_lr), lrfind.png and lrfind.svg (loss against\n" +
			"rate, the suggestion marked) and report.html to --out. descent train --lr auto runs it first and\n" +
			"trains with its suggestion.",
		Flags: flags,
		Action: func(c *ucli.Context) error {
			cfg, err := readNetConfig(c)
			if err != nil {
				return err
			}
			return runLRFind(c, env, cfg)
		},
	}
}

func runLRFind(c *ucli.Context, env Env, cfg NetConfig) error {
	lf, err := readRangeTestConfig(c)
	if err != nil {
		return err
	}
	if err := checkOut(c); err != nil {
		return err
	}
	if c.String("out") == "" {
		if err := checkOutDir("runs"); err != nil {
			return fmt.Errorf("the default --out folder: %w", err)
		}
	}
	sets, err := loadDataSets(c.Context, cfg.data)
	if err != nil {
		return err
	}
	if err := cfg.fit(sets); err != nil {
		return err
	}
	eng, err := openEngine(env, &cfg)
	if err != nil {
		return err
	}
	quiet := c.Bool("quiet")
	if !quiet {
		for _, n := range sets.notes {
			fmt.Fprintf(env.Stdout, "descent: %s\n", n)
		}
		fmt.Fprintf(env.Stdout, "descent lrfind: %s on %d training samples, batch %d; backend %s, %d thread(s); %d steps from lr %g to %g\n",
			cfg.Optimizer, sets.train.Len(), cfg.BatchSize, cfg.Backend, cfg.Threads, lf.Steps, lf.MinLR, lf.MaxLR)
	}
	rt, err := rangeTest(c.Context, eng, cfg, sets, lf)
	if err != nil {
		return err
	}
	now := time.Now()
	dir, err := outDir(c, now)
	if err != nil {
		return err
	}
	exp := &report.Experiment{Kind: "lrfind", Command: commandLine(c), Dataset: cfg.Dataset, Created: now.Format(time.RFC3339),
		Title:      fmt.Sprintf("Learning-rate range test: %s on %s", optimizerTitle(cfg.Optimizer), datasetTitle(cfg.Dataset)),
		RangeTests: []*report.RangeTest{rt}}
	shown := cfg
	shown.Epochs, shown.LR = 0, rt.SuggestedLR
	if exp.Config, err = json.Marshal(struct {
		NetConfig
		Epochs int `json:"epochs,omitempty"`
	}{shown, 0}); err != nil {
		return err
	}
	files, err := report.RangeTestFiles(exp.RangeTests, exp.Title)
	if err != nil {
		return err
	}
	page, err := report.Page(exp, map[string][]byte{report.RangeTestFigure: files[2].Data})
	if err != nil {
		return err
	}
	if err := writeFiles(dir, append(files, report.File{Path: report.PageFile, Data: page})); err != nil {
		return err
	}
	if quiet {
		fmt.Fprintf(env.Stdout, "%g\n", rt.SuggestedLR)
		return nil
	}
	k := argminOf(rt.Smoothed)
	fmt.Fprintf(env.Stdout, "smoothed loss from %.4g down to %.4g at lr %.3g%s, in %.1f s\n",
		rt.Smoothed[0], rt.Smoothed[k], rt.Rates[k], stoppedNote(rt), rt.Seconds)
	var others []string
	for _, r := range train.LRRules() {
		if string(r) != rt.Rule {
			others = append(others, fmt.Sprintf("%s %.3g", r, rt.Suggestions[string(r)]))
		}
	}
	fmt.Fprintf(env.Stdout, "suggested lr: %.3g (rule %s; %s)\n", rt.SuggestedLR, rt.Rule, strings.Join(others, ", "))
	if !rt.StoppedEarly {
		fmt.Fprintf(env.Stdout, "note: the loss did not diverge up to --end-lr %g, so the valley may lie beyond it: try a larger --end-lr\n", rt.MaxLR)
	}
	fmt.Fprintf(env.Stdout, "train with it: descent train --optimizer %s --lr %.3g  (or --lr auto)\n", cfg.Optimizer, rt.SuggestedLR)
	fmt.Fprintf(env.Stdout, "report: %s\n", filepath.Join(dir, report.PageFile))
	return nil
}

func argminOf(v []float64) int {
	k := 0
	for i, x := range v {
		if x < v[k] {
			k = i
		}
	}
	return k
}
