package cli

import (
	"fmt"
	"log/slog"
	"net"
	"runtime"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/descent-ml/descent/model"
	"github.com/descent-ml/descent/predict"
	"github.com/descent-ml/descent/serve"
)

func serveCommand(env Env) *ucli.Command {
	return &ucli.Command{
		Name:  "serve",
		Usage: "serve a saved model over TensorFlow Serving's REST predict API",
		Description: "Answers POST /v1/models/NAME:predict with {\"instances\": [[features...], ...]} in the model's raw\n" +
			"input units (0-255 pixels for MNIST): {\"predictions\": [[probabilities...], ...]}. GET /v1/models/NAME\n" +
			"is the model's status, /metrics the Prometheus metrics. SIGTERM or Ctrl-C drains the requests in\n" +
			"flight and exits 0; SIGHUP reloads the model file (same input and output sizes) atomically.",
		Flags: append([]ucli.Flag{
			&ucli.StringFlag{Name: "model", Required: true, Usage: "model file written by descent train --save"},
			&ucli.StringFlag{Name: "addr", Value: "127.0.0.1:8501", Usage: "HOST:PORT to listen on (8501 is TensorFlow Serving's REST port; port 0 picks a free one)"},
			&ucli.StringFlag{Name: "name", Value: serve.DefaultName, Usage: "model name in the URL"},
			&ucli.Int64Flag{Name: "max-body", Value: serve.DefaultMaxBodyBytes, Usage: "largest request body in bytes (larger: 413)"},
			&ucli.DurationFlag{Name: "batch-window", Value: serve.DefaultBatchWindow, Usage: "how long concurrent requests are gathered into one forward pass (0: no batching)"},
			&ucli.IntFlag{Name: "max-batch", Value: serve.DefaultMaxBatch, Usage: "most rows in one forward pass"},
			&ucli.IntFlag{Name: "workers", Value: 0, Usage: "forward passes at once (0: GOMAXPROCS)"},
		}, pickFlags("backend", "threads")...),
		Action: func(c *ucli.Context) error {
			if c.Args().Present() {
				return usagef("unexpected argument %q", c.Args().First())
			}
			if c.Int64("max-body") < 1 || c.Int("max-batch") < 1 || c.Int("workers") < 0 || c.Duration("batch-window") < 0 {
				return usagef("--max-body and --max-batch must be ≥ 1, --workers and --batch-window ≥ 0")
			}
			if _, _, err := net.SplitHostPort(c.String("addr")); err != nil {
				return usagef("--addr: %v", err)
			}
			threads, err := parseThreads(c.String("threads"))
			if err != nil {
				return err
			}
			path := c.String("model")
			m, err := model.Load(path)
			if err != nil {
				return err
			}
			workers := c.Int("workers")
			if workers == 0 {
				workers = max(threads, runtime.NumCPU()) // GOMAXPROCS once the backend is open
			}
			if err := checkModelBatch("--max-batch × --workers", m, mulSat(uint64(c.Int("max-batch")), uint64(workers))); err != nil {
				return err
			}
			cfg := NetConfig{Backend: c.String("backend"), Threads: threads}
			eng, err := openEngine(env, &cfg)
			if err != nil {
				return err
			}
			p, err := predict.New(m, eng, predict.Options{MaxBatch: c.Int("max-batch"), Workers: c.Int("workers")})
			if err != nil {
				return err
			}
			defer p.Close()
			log := slog.New(slog.NewTextHandler(env.Stderr, nil))
			srv, err := serve.New(p, serve.Options{
				Name: c.String("name"), MaxBodyBytes: c.Int64("max-body"), BatchWindow: c.Duration("batch-window"),
				MaxBatch: c.Int("max-batch"), Version: p.Version, Logger: log,
			})
			if err != nil {
				return err
			}
			reload := func() error {
				next, err := model.Load(path)
				if err != nil {
					return err
				}
				if next.Input() != p.Input() || next.Output() != p.Output() {
					return fmt.Errorf("%s now takes %d inputs and gives %d outputs, the served model %d and %d: not reloaded",
						path, next.Input(), next.Output(), p.Input(), p.Output())
				}
				_, err = p.Swap(next)
				return err
			}
			return srv.ListenAndServe(c.Context, c.String("addr"), serve.Hooks{
				Reload: reload,
				Ready: func(a net.Addr) {
					fmt.Fprintf(env.Stdout, "descent serve: %s (%d inputs → %d outputs, backend %s) at http://%s/v1/models/%s:predict\n",
						path, m.Input(), m.Output(), eng.Name(), a, c.String("name"))
				},
				DrainTimeout: 10 * time.Second,
			})
		},
	}
}
