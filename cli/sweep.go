package cli

import (
	"fmt"
	"strings"

	ucli "github.com/urfave/cli/v2"

	"github.com/descent-ml/descent/report"
)

func sweepCommand(env Env) *ucli.Command {
	flags := experimentFlags([]string{"lr", "history", "save"}, map[string]any{"optimizer": "sgd", "epochs": 5})
	flags = append([]ucli.Flag{
		&ucli.StringFlag{Name: "lrs", Value: "100,1,0.1,0.001", Usage: "learning rates, comma-separated: one fresh network each"},
	}, flags...)
	return &ucli.Command{
		Name:  "sweep",
		Usage: "train one fresh network per learning rate and compare them (the tutorial's first experiment)",
		Description: "Defaults are the tutorial's: SGD at learning rates 100, 1, 0.1 and 0.001, 5 epochs, batch 128,\n" +
			"the 784→128→128→10 sigmoid network, 10% validation split as scikit-learn's. Every run starts\n" +
			"from the same weights (--seed). Writes the --out folder: per-run history (JSON, CSV),\n" +
			"classification report and confusion matrix, summary.json, val_accuracy and val_loss figures\n" +
			"(PNG, SVG) and report.html.",
		Flags: flags,
		Action: func(c *ucli.Context) error {
			base, err := readNetConfig(c)
			if err != nil {
				return err
			}
			lrs, err := parseFloats("--lrs", c.String("lrs"))
			if err != nil {
				return err
			}
			var runs []plannedRun
			seen := map[string]bool{}
			for _, lr := range lrs {
				if err := checkLR("--lrs", lr); err != nil {
					return err
				}
				name := fmt.Sprintf("lr=%g", lr)
				if seen[name] {
					return usagef("--lrs: %g is listed twice", lr)
				}
				seen[name] = true
				cfg := base
				cfg.LR = lr
				runs = append(runs, plannedRun{name: name, dir: fmt.Sprintf("lr-%g", lr), cfg: cfg})
			}
			exp := &report.Experiment{Kind: "sweep",
				Title: fmt.Sprintf("Learning-rate sweep: %s on %s", optimizerTitle(base.Optimizer), datasetTitle(base.Dataset))}
			return runExperiment(c, env, exp, base, func(b NetConfig) any {
				return struct {
					NetConfig
					LR []float64 `json:"lr"`
				}{b, lrs}
			}, runs)
		},
	}
}

// optimizerTitle is an optimizer's name as the tutorial's legends write it.
func optimizerTitle(name string) string {
	switch name {
	case "sgd":
		return "SGD"
	case "rmsprop":
		return "RMSprop"
	}
	return strings.ToUpper(name[:1]) + name[1:]
}

func datasetTitle(name string) string {
	switch name {
	case "mnist":
		return "MNIST"
	case "fashion-mnist":
		return "Fashion-MNIST"
	}
	return name
}
