package cli

import (
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/descent-ml/descent/backend/registry"
	"github.com/descent-ml/descent/bench"
)

// benchPredictCommand is `descent bench predict`: prediction throughput of
// the tutorial network on a Predictor per backend, from several goroutines,
// against PyTorch in a co-process, interleaved in one run.
//
// Workers. Each backend's Predictor gets --workers workspaces, by default
// GOMAXPROCS (the Predictor's own default), not max(--goroutines): a
// workspace is where one forward pass runs, so more of them than cores
// cannot run more passes at once; they only add memory and native plans,
// and on dnnl and openblas, whose calls leave the Go scheduler, they would
// let 16 native passes fight over 2 cores instead of queueing. Goroutines
// beyond the workers wait for a free workspace, as in a server; their wait
// is part of the latency reported.
func benchPredictCommand(env Env) *ucli.Command {
	return &ucli.Command{
		Name:  "predict",
		Usage: "time predictions per second of the tutorial network per backend and goroutine count, and PyTorch's",
		Description: "Runs G goroutines, each asking a Predictor for B-row predictions of raw 0–255 pixels\n" +
			"(scaled /255 in every request), for every backend, G and B, and PyTorch (scripts/peers/torch_predict.py,\n" +
			"one requester) at one thread and at its default threads for every B, interleaved in rounds;\n" +
			"prints the medians as Markdown rows for bench/RESULTS.md.\n\n" +
			"--threads: auto, a number, or per backend (dnnl=1,openblas=2; unlisted backends auto), applied with\n" +
			"the same rule as descent train (auto: 1 native thread per call on dnnl and openblas, NumCPU on gonum).",
		OnUsageError: func(c *ucli.Context, err error, isSubcommand bool) error { return usageError{err.Error()} },
		Flags: []ucli.Flag{
			&ucli.StringFlag{Name: "backends", Value: "dnnl,openblas,gonum", Usage: "backends to measure, comma-separated"},
			&ucli.StringFlag{Name: "goroutines", Value: "1,2,4,16", Usage: "goroutines predicting at once, comma-separated"},
			&ucli.StringFlag{Name: "batch", Value: "1,256", Usage: "rows per request, comma-separated"},
			&ucli.IntFlag{Name: "rounds", Value: 3, Usage: "interleaved rounds (the table shows medians)"},
			&ucli.Float64Flag{Name: "seconds", Value: 0.5, Usage: "timed seconds per measurement"},
			&ucli.BoolFlag{Name: "torch", Value: true, Usage: "measure PyTorch too (--torch=false to skip)"},
			&ucli.StringFlag{Name: "torch-threads", Value: "1,default", Usage: "PyTorch thread settings (torch and OpenBLAS), comma-separated"},
			&ucli.StringFlag{Name: "python", Usage: "interpreter for the PyTorch peer (default: python3, then /usr/bin/python3)"},
			&ucli.StringFlag{Name: "threads", Value: "auto", Usage: "threads per backend: auto, a number up to 4×CPUs, or name=value,…"},
			&ucli.IntFlag{Name: "workers", Usage: "workspaces per Predictor (default GOMAXPROCS)"},
			&ucli.Uint64Flag{Name: "seed", Value: 1, Usage: "seed of the weights and inputs"},
		},
		Action: func(c *ucli.Context) error {
			goroutines, err := parseInts("--goroutines", c.String("goroutines"))
			if err != nil {
				return err
			}
			batches, err := parseInts("--batch", c.String("batch"))
			if err != nil {
				return err
			}
			if len(goroutines) == 0 || len(batches) == 0 || c.Int("rounds") < 1 || c.Float64("seconds") <= 0 || c.Int("workers") < 0 {
				return usagef("--goroutines and --batch need values, --rounds ≥ 1, --seconds > 0, --workers ≥ 0")
			}
			// Every workspace and every goroutine's request holds a batch.
			holders := addSat(uint64(max(c.Int("workers"), runtime.NumCPU())), uint64(slices.Max(goroutines)))
			if err := checkNetworkSize("--batch × (--workers + --goroutines)", 784, []int{128, 128, 10},
				mulSat(uint64(slices.Max(batches)), holders)); err != nil {
				return err
			}
			var names []string
			for _, n := range strings.Split(c.String("backends"), ",") {
				if n = strings.TrimSpace(n); n != "" {
					names = append(names, n)
				}
			}
			threads, err := parseBackendThreads(c.String("threads"), names)
			if err != nil {
				return err
			}
			peerThreads, err := parseTorchThreads(c.String("torch-threads"))
			if err != nil {
				return err
			}
			cfg := bench.PredictSweepConfig{
				Apply: registry.SetThreads, Goroutines: goroutines, Batches: batches, Workers: c.Int("workers"),
				Rounds: c.Int("rounds"), Duration: time.Duration(c.Float64("seconds") * float64(time.Second)),
				PeerThreads: peerThreads, Seed: c.Uint64("seed"),
			}
			for _, name := range names {
				e, _, err := registry.Open(name)
				if err != nil {
					return usagef("--backends: %v", err)
				}
				if c, ok := e.(interface{ Close() error }); ok {
					defer c.Close()
				}
				cfg.Engines = append(cfg.Engines, bench.PredictEngine{Engine: e, Threads: threads[name]})
			}
			peerNote := ""
			if c.Bool("torch") {
				cfg.Peer, peerNote = startTorchPeer(c)
				if cfg.Peer != nil {
					defer cfg.Peer.Close()
				} else {
					fmt.Fprintf(env.Stderr, "descent: %s\n", peerNote)
				}
			}
			n := cfg.Rounds * (len(cfg.Engines)*len(goroutines)*len(batches) + peerRows(cfg.Peer, batches, peerThreads))
			fmt.Fprintf(env.Stderr, "descent: %d measurements of %.2g s (+ warm-up), about %.0f s\n", n, cfg.Duration.Seconds(),
				float64(n)*(cfg.Duration.Seconds()+min(cfg.Duration.Seconds()/5, 0.1)))
			rep, err := bench.PredictSweep(c.Context, cfg)
			if err != nil {
				return err
			}
			return printBenchPredict(env, c, cfg, rep, peerNote)
		},
	}
}

// startTorchPeer starts the PyTorch peer, or returns nil and the one-line
// reason it is skipped.
func startTorchPeer(c *ucli.Context) (*bench.TorchPeer, string) {
	script, err := bench.FindTorchScript()
	if err != nil {
		return nil, fmt.Sprintf("PyTorch peer skipped: %v (run from the repository)", err)
	}
	var pythons []string
	if py := c.String("python"); py != "" {
		pythons = []string{py}
	}
	p, err := bench.StartTorchPeer(c.Context, script, pythons)
	if err != nil {
		return nil, fmt.Sprintf("PyTorch peer skipped: %v", err)
	}
	return p, ""
}

func peerRows(p *bench.TorchPeer, batches, threads []int) int {
	if p == nil {
		return 0
	}
	return len(batches) * len(threads)
}

// parseBackendThreads parses --threads: "auto", a number for every backend,
// or name=value pairs (unlisted backends auto). 0 is auto.
func parseBackendThreads(s string, names []string) (map[string]int, error) {
	out := map[string]int{}
	if !strings.Contains(s, "=") {
		n, err := parseThreads(strings.TrimSpace(s))
		if err != nil {
			return nil, err
		}
		for _, name := range names {
			out[name] = n
		}
		return out, nil
	}
	for _, f := range strings.Split(s, ",") {
		name, v, ok := strings.Cut(strings.TrimSpace(f), "=")
		if !ok {
			return nil, usagef("--threads: %q is not name=value", f)
		}
		n, err := parseThreads(strings.TrimSpace(v))
		if err != nil {
			return nil, err
		}
		out[strings.TrimSpace(name)] = n
	}
	return out, nil
}

// parseTorchThreads parses --torch-threads: numbers ≥ 1 and "default" (0).
func parseTorchThreads(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		switch f = strings.TrimSpace(f); f {
		case "":
		case "default":
			out = append(out, 0)
		default:
			n, err := strconv.Atoi(f)
			if err != nil || n < 1 {
				return nil, usagef("--torch-threads: %q is not a positive integer or default", f)
			}
			out = append(out, n)
		}
	}
	return out, nil
}

// printBenchPredict prints the header comments (machine, engines, peer)
// and the table.
func printBenchPredict(env Env, c *ucli.Context, cfg bench.PredictSweepConfig, rep *bench.PredictReport, peerNote string) error {
	w := env.Stdout
	fmt.Fprintf(w, "# descent bench predict, %s, %s, %d CPUs, GOMAXPROCS %d, %s\n", time.Now().UTC().Format("2006-01-02"),
		bench.CPUModel(), runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.Version())
	workers := "GOMAXPROCS"
	if cfg.Workers > 0 {
		workers = strconv.Itoa(cfg.Workers)
	}
	fmt.Fprintf(w, "# tutorial network 784-128-128-10 sigmoid, raw 0–255 pixels scaled /255 in every request; medians of %d interleaved rounds of %.2g s per configuration; Predictor workers = %s\n",
		cfg.Rounds, cfg.Duration.Seconds(), workers)
	for _, pe := range cfg.Engines {
		line := pe.Engine.Name()
		if cfgr, ok := pe.Engine.(interface{ Config() string }); ok {
			line += ": " + cfgr.Config()
		}
		th := "auto"
		if pe.Threads > 0 {
			th = strconv.Itoa(pe.Threads)
		}
		fmt.Fprintf(w, "# %s; --threads %s\n", line, th)
	}
	fmt.Fprintf(w, "# OPENBLAS_CORETYPE=%q OPENBLAS_L2_SIZE=%q\n", getenv(env, "OPENBLAS_CORETYPE"), getenv(env, "OPENBLAS_L2_SIZE"))
	if cfg.Peer != nil {
		p := rep.Peer
		fmt.Fprintf(w, "# pytorch %s (%s): %s; %s; default threads %d, OpenBLAS %d; one requester\n",
			p.Version, p.Python, p.Config, p.BLAS, p.DefaultThreads, p.DefaultBLASThreads)
	} else if peerNote != "" {
		fmt.Fprintf(w, "# %s\n", peerNote)
	} else if !c.Bool("torch") {
		fmt.Fprintln(w, "# PyTorch peer not run (--torch=false)")
	}
	if err := rep.WriteTable(w); err != nil {
		return fmt.Errorf("writing the table: %w", err)
	}
	return nil
}
