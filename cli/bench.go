package cli

import (
	"fmt"
	"runtime"
	"strings"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/descent-ml/descent/backend"
	"github.com/descent-ml/descent/backend/registry"
	"github.com/descent-ml/descent/bench"
	"github.com/descent-ml/descent/data"
	"github.com/descent-ml/descent/model"
	"github.com/descent-ml/descent/train"
)

func benchCommand(env Env) *ucli.Command {
	return &ucli.Command{
		Name:  "bench",
		Usage: "time training epochs of the tutorial network on each backend, interleaved in one run",
		Description: "Prints the median epoch seconds per backend, the ratio to the baseline and the\n" +
			"per-epoch losses (which must agree between backends), as Markdown rows for bench/RESULTS.md.",
		Subcommands: []*ucli.Command{benchPredictCommand(env), benchServeCommand(env)},
		Flags: []ucli.Flag{
			&ucli.StringFlag{Name: "data", Usage: "MNIST folder (default: located automatically)"},
			&ucli.StringFlag{Name: "backends", Value: "dnnl,openblas,gonum", Usage: "backends to compare, comma-separated"},
			&ucli.StringFlag{Name: "baseline", Value: "gonum", Usage: "backend the ratios are relative to"},
			&ucli.IntFlag{Name: "epochs", Value: 5, Usage: "epochs per backend"},
			&ucli.StringFlag{Name: "optimizer", Value: "adam", Usage: "optimizer"},
			&ucli.StringFlag{Name: "threads", Value: "auto", Usage: "threads per backend: auto or a number up to 4×CPUs (" + fmt.Sprint(maxThreads()) + " here)"},
			&ucli.IntFlag{Name: "batch-size", Value: 128, Usage: "samples per step"},
			&ucli.Uint64Flag{Name: "seed", Value: 1, Usage: "seed of weights and shuffling"},
		},
		Action: func(c *ucli.Context) error {
			if c.Int("epochs") < 1 || c.Int("batch-size") < 1 {
				return usagef("--epochs and --batch-size must be ≥ 1")
			}
			threads, err := parseThreads(c.String("threads"))
			if err != nil {
				return err
			}
			if err := checkNetworkSize("--batch-size", 784, []int{128, 128, 10}, uint64(c.Int("batch-size"))); err != nil {
				return err
			}
			optName := c.String("optimizer")
			if _, err := newOptimizer(optName, train.DefaultLearningRate(optName), train.DefaultMomentum(optName)); err != nil {
				return err
			}
			trainSet, _, _, err := mnist(c.String("data"), 0.1)
			if err != nil {
				return err
			}
			if err := checkBatchFits(c.Int("batch-size"), trainSet.Len()); err != nil {
				return err
			}
			var engines []backend.Engine
			for _, name := range strings.Split(c.String("backends"), ",") {
				e, _, err := openBackend(strings.TrimSpace(name), "", threads, registry.Work{Widths: []int{784, 128, 128, 10}, Batch: c.Int("batch-size")}, runtime.NumCPU())
				if err != nil {
					return err
				}
				engines = append(engines, e)
			}
			res, err := bench.Epochs(c.Context, bench.EpochConfig{
				Engines: engines, Train: trainSet, Epochs: c.Int("epochs"),
				NewModel: func() (*model.Sequential, error) {
					return newModel(784, []int{128, 128}, model.Sigmoid, 10, data.TaskClassification)
				},
				NewOptimizer: func() train.Optimizer {
					o, _ := newOptimizer(optName, train.DefaultLearningRate(optName), train.DefaultMomentum(optName))
					return o
				},
				BatchSize: c.Int("batch-size"), Seed: c.Uint64("seed"),
			})
			if err != nil {
				return err
			}
			for _, e := range engines {
				if cfg, ok := e.(interface{ Config() string }); ok {
					fmt.Fprintf(env.Stdout, "# %s: %s\n", e.Name(), cfg.Config())
				}
			}
			printBench(env, c, res, trainSet.Len())
			return nil
		},
	}
}

func printBench(env Env, c *ucli.Context, res []bench.EngineResult, samples int) {
	base := 0.0
	for _, r := range res {
		if r.Engine == c.String("baseline") {
			base = r.Median()
		}
	}
	fmt.Fprintf(env.Stdout, "# descent bench, %s, %s, %d CPUs, GOMAXPROCS %d, %s\n", time.Now().UTC().Format("2006-01-02"),
		bench.CPUModel(), runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.Version())
	fmt.Fprintf(env.Stdout, "# tutorial network 784-128-128-10 sigmoid, %s, batch %d, %d training samples, %d epochs per backend, interleaved\n",
		c.String("optimizer"), c.Int("batch-size"), samples, c.Int("epochs"))
	fmt.Fprintln(env.Stdout, "| backend | threads | median s/epoch | samples/s | × vs "+c.String("baseline")+" | epoch seconds | epoch losses |")
	fmt.Fprintln(env.Stdout, "|---|---|---|---|---|---|---|")
	for _, r := range res {
		ratio := "-"
		if base > 0 {
			ratio = fmt.Sprintf("%.2f", base/r.Median())
		}
		fmt.Fprintf(env.Stdout, "| %s | %d | %.3f | %.0f | %s | %s | %s |\n", r.Engine, r.Threads, r.Median(),
			float64(samples)/r.Median(), ratio, join(r.Seconds, "%.3f"), join(r.Loss, "%.4f"))
	}
}

func join(xs []float64, format string) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = fmt.Sprintf(format, x)
	}
	return strings.Join(parts, " ")
}
