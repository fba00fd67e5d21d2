// Command embed is a small Go service with descent inside it: it answers
// predictions over TensorFlow Serving's REST API (package serve) while a
// background goroutine keeps training the model on data that arrives in
// rounds and swaps each new version into the live Predictor, and it stops
// cleanly — in-flight requests answered, training interrupted between two
// steps — when its context is cancelled (Ctrl-C or SIGTERM).
//
//	go run ./examples/embed -addr 127.0.0.1:8501 -rounds 5
//	curl -s -d '{"instances": [[250,240,230,10,20,30,5,5]]}' \
//	    http://127.0.0.1:8501/v1/models/embed:predict
//
// The data is synthetic so that the program needs nothing but itself: eight
// raw features in 0–255, and the class is the group of features (0–2, 3–5,
// 6–7) with the largest mean. Training sees them through package data
// (scaled by 1/255); clients send raw values, and the Predictor applies the
// model's recorded preprocessing, so both see the same numbers.
//
// What it shows: one Trainer on one goroutine, one Predictor shared by the
// HTTP handlers, Predictor.Swap as the only point where the two meet, and
// one context that ends it all.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/descent-ml/descent/backend/registry"
	"github.com/descent-ml/descent/data"
	"github.com/descent-ml/descent/model"
	"github.com/descent-ml/descent/predict"
	"github.com/descent-ml/descent/serve"
	"github.com/descent-ml/descent/train"
)

func main() {
	var cfg config
	flag.StringVar(&cfg.Addr, "addr", "127.0.0.1:8501", "address to serve on")
	flag.IntVar(&cfg.Rounds, "rounds", 0, "rounds of new data to train on, then stop (0: until interrupted)")
	flag.IntVar(&cfg.Clients, "clients", 2, "goroutines that send predictions to the server meanwhile")
	flag.StringVar(&cfg.Backend, "backend", "auto", "descent backend: auto, dnnl, openblas or gonum")
	flag.DurationVar(&cfg.Pause, "pause", time.Second, "wait between rounds (new data arriving)")
	flag.Parse()
	cfg.Log = os.Stdout

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if _, err := run(ctx, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "embed:", err)
		os.Exit(1)
	}
}

// config is what run needs.
type config struct {
	Addr    string
	Rounds  int // 0: train until ctx is cancelled
	Clients int
	Backend string
	Pause   time.Duration // between rounds
	Log     io.Writer
	// Ready, if set, is called with the server's base URL once it listens.
	Ready func(url string)
}

// summary is what happened.
type summary struct {
	Versions  int64     // model versions served (1 + rounds trained)
	Requests  int64     // prediction requests the clients made
	Failed    int64     // of which did not get a 200
	Accuracy  []float64 // held-out accuracy of version 1 (untrained), then after each round
	Cancelled bool      // ctx ended the run
}

const (
	features  = 8
	modelName = "embed"
)

var labels = []string{"left", "middle", "right"}

// newData draws n samples of the synthetic task.
func newData(rng *rand.Rand, n int) *data.Dataset {
	d := &data.Dataset{Name: "rounds", N: n, NumFeatures: features, NumClasses: 3,
		Images: make([]uint8, n*features), Labels: make([]uint8, n)}
	groups := [][2]int{{0, 3}, {3, 6}, {6, 8}}
	for i := range n {
		x := d.Images[i*features : (i+1)*features]
		best, bestMean := 0, -1.0
		for g, r := range groups {
			var sum float64
			for j := r[0]; j < r[1]; j++ {
				x[j] = uint8(rng.IntN(256))
				sum += float64(x[j])
			}
			if mean := sum / float64(r[1]-r[0]); mean > bestMean {
				best, bestMean = g, mean
			}
		}
		d.Labels[i] = uint8(best)
	}
	return d
}

// run serves and trains until cfg.Rounds rounds are done or ctx ends.
func run(ctx context.Context, cfg config) (summary, error) {
	var sum summary
	eng, notice, err := registry.Open(cfg.Backend)
	if err != nil {
		return sum, err
	}
	if notice != "" {
		fmt.Fprintln(cfg.Log, notice)
	}
	if c, ok := eng.(io.Closer); ok {
		defer c.Close() // after the Predictor and the Trainer (deferred later, run earlier)
	}

	m, err := model.NewSequential(features, model.Dense(32, model.Tanh), model.Dense(3, model.Softmax))
	if err != nil {
		return sum, err
	}
	m.Init(rand.New(rand.NewPCG(1, 2)))
	m.Preprocessing = model.ScaleBy(255) // what package data does to the uint8 features
	m.Labels = labels

	tr, err := train.NewTrainer(m, eng, train.NewAdam(0.01, 0.9, 0.999, 1e-7, false), train.CategoricalCrossentropyLoss{}, 32)
	if err != nil {
		return sum, err
	}
	defer tr.Close()
	p, err := predict.New(m, eng, predict.Options{MaxBatch: 64})
	if err != nil {
		return sum, err
	}
	defer p.Close()

	srv, err := serve.New(p, serve.Options{Name: modelName, Version: p.Version,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		return sum, err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return sum, err
	}
	url := "http://" + ln.Addr().String()
	fmt.Fprintf(cfg.Log, "serving %s/v1/models/%s:predict (backend %s)\n", url, modelName, eng.Name())
	if cfg.Ready != nil {
		cfg.Ready(url)
	}

	// One context for everything: the caller's, or done after the last
	// round.
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	parent := ctx
	served := make(chan error, 1)
	go func() {
		served <- srv.Serve(ctx, ln, serve.Hooks{Signals: make(chan os.Signal)}) // signals: ctx carries them
	}()

	var requests, failed atomic.Int64
	var clients sync.WaitGroup
	for c := range cfg.Clients {
		clients.Add(1)
		go func() {
			defer clients.Done()
			client(ctx, url, uint64(c), &requests, &failed)
		}()
	}

	// The training loop: new data, a few epochs, a held-out check, swap.
	rng := rand.New(rand.NewPCG(3, 4))
	holdout := newData(rng, 1000)
	var trainErr error
	if ev, err := train.Evaluate(ctx, p, holdout, train.CategoricalCrossentropyLoss{}, false); err == nil {
		sum.Accuracy = append(sum.Accuracy, ev.Accuracy)
		fmt.Fprintf(cfg.Log, "version 1 (untrained): held-out accuracy %.3f\n", ev.Accuracy)
	}
	for round := 1; cfg.Rounds == 0 || round <= cfg.Rounds; round++ {
		select { // new data arrives
		case <-time.After(cfg.Pause):
		case <-ctx.Done():
		}
		if _, err := tr.Fit(ctx, newData(rng, 2000), train.FitConfig{Epochs: 3, Seed: uint64(round)}); err != nil {
			if !errors.Is(err, context.Canceled) {
				trainErr = err
			}
			break
		}
		version, err := p.Swap(m) // training goes on with m; the server has a snapshot
		if err != nil {
			trainErr = err
			break
		}
		ev, err := train.Evaluate(ctx, p, holdout, train.CategoricalCrossentropyLoss{}, false)
		if err != nil {
			if !errors.Is(err, context.Canceled) {
				trainErr = err
			}
			break
		}
		sum.Accuracy = append(sum.Accuracy, ev.Accuracy)
		fmt.Fprintf(cfg.Log, "round %d: serving version %d, held-out accuracy %.3f, %d requests answered so far\n",
			round, version, ev.Accuracy, requests.Load()-failed.Load())
	}
	sum.Cancelled = parent.Err() != nil && trainErr == nil
	stop()
	clients.Wait()
	serveErr := <-served
	sum.Versions, sum.Requests, sum.Failed = p.Version(), requests.Load(), failed.Load()
	fmt.Fprintf(cfg.Log, "stopped: %d model versions, %d requests, %d failed\n", sum.Versions, sum.Requests, sum.Failed)
	return sum, errors.Join(trainErr, serveErr)
}

// client sends one random sample at a time until ctx ends, counting the
// requests that did not get a 200 with one prediction.
func client(ctx context.Context, url string, seed uint64, requests, failed *atomic.Int64) {
	rng := rand.New(rand.NewPCG(seed, 99))
	hc := &http.Client{Timeout: 5 * time.Second}
	for ctx.Err() == nil {
		inst := make([]int, features)
		for j := range inst {
			inst[j] = rng.IntN(256)
		}
		body, _ := json.Marshal(map[string]any{"instances": [][]int{inst}})
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url+"/v1/models/"+modelName+":predict", bytes.NewReader(body))
		resp, err := hc.Do(req)
		if ctx.Err() != nil {
			return // shutting down: a request cut off here is not a failure of the server
		}
		requests.Add(1)
		if err != nil {
			failed.Add(1)
			continue
		}
		var out struct {
			Predictions [][]float32 `json:"predictions"`
		}
		err = json.NewDecoder(resp.Body).Decode(&out)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK || len(out.Predictions) != 1 || len(out.Predictions[0]) != len(labels) {
			failed.Add(1)
		}
		time.Sleep(2 * time.Millisecond)
	}
}
