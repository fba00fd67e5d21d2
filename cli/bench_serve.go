package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"runtime"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/descent-ml/descent/bench"
	"github.com/descent-ml/descent/model"
	"github.com/descent-ml/descent/predict"
	"github.com/descent-ml/descent/serve"
)

// benchServeCommand is `descent bench serve`: a bounded loopback load test
// of the model server, in process, with the real Predictor behind it.
// maxBenchRequests is the most requests descent bench serve sends: it keeps
// a result per request.
const maxBenchRequests = 10_000_000

func benchServeCommand(env Env) *ucli.Command {
	return &ucli.Command{
		Name:  "serve",
		Usage: "load-test descent serve on loopback: requests/s and p50/p99 latency, every answer checked",
		Description: "Starts the server of descent serve on 127.0.0.1 (a free port) with the tutorial network\n" +
			"(random weights from --seed, or --model FILE) and sends --requests requests, --concurrency at a time,\n" +
			"each of --rows raw 0–255 images, with --malformed of them malformed in every way the server must\n" +
			"refuse. Every valid answer is compared with the Predictor's own (to 2e-6); prints a Markdown row.\n" +
			"Fails (exit 1) on any wrong answer, 5xx, or malformed request not answered with its 4xx.",
		OnUsageError: func(c *ucli.Context, err error, isSubcommand bool) error { return usageError{err.Error()} },
		Flags: append([]ucli.Flag{
			&ucli.StringFlag{Name: "model", Usage: "model file (default: the tutorial network with random weights)"},
			&ucli.IntFlag{Name: "requests", Value: 2000, Usage: "requests in all"},
			&ucli.IntFlag{Name: "concurrency", Value: 32, Usage: "requests in flight at once"},
			&ucli.IntFlag{Name: "rows", Value: 1, Usage: "instances per valid request"},
			&ucli.Float64Flag{Name: "malformed", Value: 0.1, Usage: "fraction of malformed requests"},
			&ucli.DurationFlag{Name: "batch-window", Value: serve.DefaultBatchWindow, Usage: "the server's batch window"},
			&ucli.Uint64Flag{Name: "seed", Value: 1, Usage: "seed of the weights and images"},
		}, pickFlags("backend", "threads")...),
		Action: func(c *ucli.Context) error {
			if c.Int("requests") < 1 || c.Int("concurrency") < 1 || c.Int("rows") < 1 {
				return usagef("--requests, --concurrency and --rows must be ≥ 1")
			}
			if c.Int("requests") > maxBenchRequests {
				return usagef("--requests: %d is more than %d (the load test keeps a result per request)", c.Int("requests"), maxBenchRequests)
			}
			if f := c.Float64("malformed"); !(f >= 0 && f <= 1) {
				return usagef("--malformed: %v is not a fraction in [0, 1]", f)
			}
			threads, err := parseThreads(c.String("threads"))
			if err != nil {
				return err
			}
			var m *model.Sequential
			if path := c.String("model"); path != "" {
				m, err = model.Load(path)
			} else {
				m, err = bench.TutorialModel(c.Uint64("seed"))
			}
			if err != nil {
				return err
			}
			if err := checkModelBatch("--rows × --concurrency", m, mulSat(uint64(c.Int("rows")), uint64(c.Int("concurrency")))); err != nil {
				return err
			}
			cfg := NetConfig{Backend: c.String("backend"), Threads: threads}
			eng, err := openEngine(env, &cfg)
			if err != nil {
				return err
			}
			p, err := predict.New(m, eng, predict.Options{})
			if err != nil {
				return err
			}
			defer p.Close()

			// The expected answers: the Predictor's own, one row at a time.
			// The server batches rows from several requests into one
			// forward pass, and a native kernel may round a row a few ulps
			// differently at another batch size, so answers are compared
			// to 2e-6 (about 16 float32 ulps of a probability near 1).
			const distinct = 64
			pixels := bench.Pixels(distinct, m.Input(), c.Uint64("seed"))
			instances := make([][]float32, distinct)
			want := make([][]float32, distinct)
			for i := range instances {
				instances[i] = pixels[i*m.Input() : (i+1)*m.Input()]
				if want[i], _, err = p.Predict(c.Context, instances[i], 1); err != nil {
					return err
				}
			}

			srv, err := serve.New(p, serve.Options{Name: "bench", BatchWindow: c.Duration("batch-window"),
				Version: p.Version, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
			if err != nil {
				return err
			}
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				return err
			}
			ctx, stop := context.WithCancel(c.Context)
			defer stop()
			served := make(chan error, 1)
			go func() { served <- srv.Serve(ctx, ln, serve.Hooks{Signals: make(chan os.Signal)}) }()
			rep, err := serve.LoadTest(ctx, "http://"+ln.Addr().String(), "bench", serve.LoadOptions{
				Requests: c.Int("requests"), Concurrency: c.Int("concurrency"), RowsPerRequest: c.Int("rows"),
				Instances: instances, WantProbs: want, Tolerance: 2e-6, MalformedFraction: c.Float64("malformed"), Seed: c.Uint64("seed"),
			})
			stop()
			if serr := <-served; err == nil {
				err = serr
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(env.Stdout, "# descent bench serve, %s, %s, %d CPUs, GOMAXPROCS %d, %s; backend %s (%d thread(s)), batch window %v\n",
				time.Now().UTC().Format("2006-01-02"), bench.CPUModel(), runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.Version(),
				eng.Name(), cfg.Threads, c.Duration("batch-window"))
			fmt.Fprintf(env.Stdout, "# %s\n", rep)
			fmt.Fprintln(env.Stdout, "| backend | requests | concurrency | rows/request | malformed | requests/s | valid p50 ms | valid p99 ms | wrong | 5xx | malformed not 4xx |")
			fmt.Fprintln(env.Stdout, "|---|---|---|---|---|---|---|---|---|---|---|")
			fmt.Fprintf(env.Stdout, "| %s | %d | %d | %d | %d | %.0f | %.3f | %.3f | %d | %d | %d |\n",
				eng.Name(), rep.Requests, c.Int("concurrency"), c.Int("rows"), rep.Malformed, rep.RPS,
				ms(rep.P50), ms(rep.P99), rep.Wrong, rep.Server5xx, rep.MalformedNot4xx)
			if !rep.OK() {
				return fmt.Errorf("load test failed: %s; first problems: %v", rep, rep.Problems)
			}
			return nil
		},
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
