package cli

import (
	"fmt"
	"slices"
	"strings"

	ucli "github.com/urfave/cli/v2"

	"github.com/descent-ml/descent/report"
	"github.com/descent-ml/descent/train"
)

func compareCommand(env Env) *ucli.Command {
	flags := experimentFlags([]string{"optimizer", "history", "save"}, map[string]any{"epochs": 10})
	for _, f := range flags {
		switch f := f.(type) {
		case *ucli.StringFlag:
			if f.Name == "lr" {
				f.Value, f.Usage, f.DefaultText = "0.001", "learning rate of every optimizer, as in the tutorial; auto: each optimizer's own range-test suggestion (descent lrfind)", ""
			}
		case *ucli.Float64Flag:
			if f.Name == "momentum" {
				f.Usage = "momentum of the momentum and nesterov runs; the others use none"
			}
		}
	}
	flags = append([]ucli.Flag{
		&ucli.StringFlag{Name: "optimizers", Value: "sgd,momentum,rmsprop,adam", Usage: "optimizers, comma-separated (" + strings.Join(train.OptimizerNames(), ", ") + "): one fresh network each"},
	}, flags...)
	return &ucli.Command{
		Name:  "compare",
		Usage: "train one fresh network per optimizer and compare them on the test set (the tutorial's second experiment)",
		Description: "Defaults are the tutorial's: SGD, SGD with momentum 0.9, RMSprop and Adam, all at learning\n" +
			"rate 0.001, 10 epochs, batch 128, the 784→128→128→10 sigmoid network, 10% validation split as\n" +
			"scikit-learn's. Every run starts from the same weights (--seed). Writes the --out folder as\n" +
			"descent sweep does.",
		Flags: flags,
		Action: func(c *ucli.Context) error {
			names := strings.Split(c.String("optimizers"), ",")
			lr, auto, err := parseLR("--lr", c.String("lr"))
			if err != nil {
				return err
			}
			var runs []plannedRun
			var base NetConfig
			seen := map[string]bool{}
			var opts []string
			var moms []float64
			for i, name := range names {
				name = strings.TrimSpace(name)
				if !slices.Contains(train.OptimizerNames(), name) {
					return usagef("--optimizers: unknown optimizer %q (want some of: %s)", name, strings.Join(train.OptimizerNames(), ", "))
				}
				cfg, err := readNetConfigFor(c, name)
				if err != nil {
					return err
				}
				if seen[name] {
					return usagef("--optimizers: %s is listed twice", name)
				}
				seen[name] = true
				cfg.LR, cfg.LRAuto = lr, auto
				if auto {
					cfg.LR = train.DefaultLearningRate(name) // until the range test has run
				}
				if name != "momentum" && name != "nesterov" {
					cfg.Momentum = 0
				}
				if i == 0 {
					base = cfg
				}
				opts, moms = append(opts, name), append(moms, cfg.Momentum)
				runs = append(runs, plannedRun{name: optimizerTitle(name), dir: name, cfg: cfg})
			}
			title := fmt.Sprintf("Optimizer comparison at lr %g on %s", lr, datasetTitle(base.Dataset))
			var shownLR any = lr
			if auto {
				title = fmt.Sprintf("Optimizer comparison at each one's range-test rate on %s", datasetTitle(base.Dataset))
				shownLR = lrAuto // each run's config holds its rate
			}
			exp := &report.Experiment{Kind: "compare", Title: title}
			return runExperiment(c, env, exp, base, func(b NetConfig) any {
				return struct {
					NetConfig
					LR        any       `json:"lr"`
					Optimizer []string  `json:"optimizer"`
					Momentum  []float64 `json:"momentum"`
				}{b, shownLR, opts, moms}
			}, runs)
		},
	}
}
