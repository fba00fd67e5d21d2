package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/descent-ml/descent/backend"
	"github.com/descent-ml/descent/model"
	"github.com/descent-ml/descent/predict"
)

// PredictConfig says how to load a Predictor for one throughput measurement.
type PredictConfig struct {
	// Goroutines is the number of goroutines calling PredictInto at once
	// (G); each has its own input and output buffers.
	Goroutines int
	// Batch is the rows of every request (B).
	Batch int
	// Duration is how long the timed phase lasts. Every goroutine starts a
	// new request until it passes, so the phase ends with the last request
	// that started before it.
	Duration time.Duration
	// Requests, when > 0, ends the timed phase after this many requests in
	// all instead of after Duration.
	Requests int
	// Warmup is an untimed phase of the same load before the timed one
	// (default Duration/5, at most 100 ms): it fills caches, wakes native
	// thread pools and grows the goroutines' latency slices. Negative: none.
	Warmup time.Duration
	// Seed draws the inputs: raw pixels, integers 0–255 as float32.
	Seed uint64
}

// PredictResult is one throughput measurement.
type PredictResult struct {
	Goroutines, Batch int
	// Requests is the number of timed requests, Seconds the wall time from
	// the start of the timed phase until the last of them ended.
	Requests int
	Seconds  float64
	// SamplesPerSec is Requests·Batch/Seconds.
	SamplesPerSec float64
	// P50 and P99 are percentiles of the per-request latency (from the call
	// of PredictInto to its return, including any wait for a free workspace).
	P50, P99 time.Duration
}

// Pixels returns rows raw images of features pixels each (784 for MNIST),
// drawn from seed: integers 0–255 as float32, the units a model with
// model.ScaleBy(255) preprocessing takes.
func Pixels(rows, features int, seed uint64) []float32 {
	rng := rand.New(rand.NewPCG(seed, 3))
	x := make([]float32, rows*features)
	for i := range x {
		x[i] = float32(rng.IntN(256))
	}
	return x
}

// TutorialModel is the tutorial network, 784→128 sigmoid→128 sigmoid→10
// softmax, with Glorot-uniform weights drawn from seed and the /255 input
// scaling a model trained on raw MNIST pixels records.
func TutorialModel(seed uint64) (*model.Sequential, error) {
	m, err := model.NewSequential(784, model.Dense(128, model.Sigmoid), model.Dense(128, model.Sigmoid), model.Dense(10, model.Softmax))
	if err != nil {
		return nil, fmt.Errorf("bench: tutorial model: %w", err)
	}
	m.Init(rand.New(rand.NewPCG(seed, 0)))
	m.Preprocessing = model.ScaleBy(255)
	return m, nil
}

// PredictThroughput runs cfg.Goroutines goroutines, each calling
// p.PredictInto on its own cfg.Batch-row input, first for the warm-up and
// then for the timed phase, and returns the samples per second over the
// timed phase and the latency percentiles of its requests. The inputs have
// p.Input() features per row (784 for the tutorial network).
func PredictThroughput(ctx context.Context, p *predict.Predictor, cfg PredictConfig) (PredictResult, error) {
	if cfg.Goroutines < 1 || cfg.Batch < 1 {
		return PredictResult{}, fmt.Errorf("bench: goroutines and batch must be ≥ 1, got %d and %d", cfg.Goroutines, cfg.Batch)
	}
	if cfg.Duration <= 0 && cfg.Requests <= 0 {
		return PredictResult{}, errors.New("bench: need a duration or a request count")
	}
	if cfg.Warmup == 0 {
		cfg.Warmup = min(cfg.Duration/5, 100*time.Millisecond)
	}
	in, out := p.Input(), p.Output()
	xs, ys := make([][]float32, cfg.Goroutines), make([][]float32, cfg.Goroutines)
	lat := make([][]time.Duration, cfg.Goroutines)
	for g := range xs {
		xs[g] = Pixels(cfg.Batch, in, cfg.Seed+uint64(g))
		ys[g] = make([]float32, cfg.Batch*out)
		lat[g] = make([]time.Duration, 0, 1024)
	}
	if cfg.Warmup > 0 {
		if _, err := runLoad(ctx, p, xs, ys, lat, cfg.Batch, cfg.Warmup, 0); err != nil {
			return PredictResult{}, err
		}
		for g := range lat {
			lat[g] = lat[g][:0]
		}
	}
	wall, err := runLoad(ctx, p, xs, ys, lat, cfg.Batch, cfg.Duration, cfg.Requests)
	if err != nil {
		return PredictResult{}, err
	}
	all := slices.Concat(lat...)
	slices.Sort(all)
	r := PredictResult{Goroutines: cfg.Goroutines, Batch: cfg.Batch, Requests: len(all), Seconds: wall.Seconds(),
		P50: percentile(all, 0.50), P99: percentile(all, 0.99)}
	if wall > 0 {
		r.SamplesPerSec = float64(r.Requests*cfg.Batch) / wall.Seconds()
	}
	return r, nil
}

// runLoad runs one goroutine per input until d has passed (or, with
// requests > 0, until that many requests in all have started), appending
// each request's latency to lat[g], and returns the wall time until the
// last request ended.
func runLoad(ctx context.Context, p *predict.Predictor, xs, ys [][]float32, lat [][]time.Duration, batch int, d time.Duration, requests int) (time.Duration, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
		left     = make(chan struct{}, max(requests, 0))
	)
	for range requests {
		left <- struct{}{}
	}
	start := time.Now()
	end := start.Add(d)
	for g := range xs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				if requests > 0 {
					select {
					case <-left:
					default:
						return
					}
				} else if !time.Now().Before(end) {
					return
				}
				t0 := time.Now()
				if err := p.PredictInto(ctx, xs[g], batch, ys[g]); err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					cancel()
					return
				}
				lat[g] = append(lat[g], time.Since(t0))
			}
		}()
	}
	wg.Wait()
	wall := time.Since(start)
	if firstErr != nil {
		return 0, fmt.Errorf("bench: predict: %w", firstErr)
	}
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("bench: predict: %w", err)
	}
	return wall, nil
}

// percentile returns the q-quantile of the sorted durations (nearest rank).
func percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(q*float64(len(sorted))))]
}

// PredictEngine is one descent backend of a PredictSweep.
type PredictEngine struct {
	Engine backend.Engine
	// Threads is the --threads setting applied with PredictSweepConfig.Apply
	// before every measurement on this engine: 0 for auto, n ≥ 1 otherwise.
	Threads int
}

// PredictSweepConfig says what a PredictSweep measures.
type PredictSweepConfig struct {
	Engines []PredictEngine
	// Apply applies an engine's thread setting to every thread pool of the
	// process (registry.SetThreads) and returns the engine's thread count;
	// nil leaves the settings alone. Settings are process-wide, so it runs
	// before each measurement, not once per engine.
	Apply func(e backend.Engine, n int) (int, error)
	// Goroutines and Batches are the G and B values; every engine is
	// measured at every (G, B).
	Goroutines, Batches []int
	// Workers is the Predictor's workspace count (predict.Options.Workers);
	// 0 is the Predictor's default, GOMAXPROCS after Apply. More workers
	// than cores only adds memory and plans: goroutines beyond Workers wait
	// for a workspace, as they would in a server.
	Workers int
	// Rounds is the number of interleaved rounds (default 3); Duration the
	// timed phase of each measurement (default 0.5 s).
	Rounds   int
	Duration time.Duration
	// Peer, if set, is measured once per round for each (batch, threads)
	// of Batches × PeerThreads, after the engines, with one requester.
	Peer        *TorchPeer
	PeerThreads []int // 0: the peer's default threads
	// NewModel builds the network (default TutorialModel(Seed)).
	NewModel func() (*model.Sequential, error)
	Seed     uint64
}

// PredictRow is the medians over rounds of one configuration.
type PredictRow struct {
	// System is the backend name, or "pytorch" for the peer.
	System string
	// Threads is the engine's (or PyTorch's) thread count, Workers the
	// Predictor's workspaces (0 for the peer).
	Threads, Workers  int
	Goroutines, Batch int
	// PeerThreads is the requested peer setting (0: its default), for
	// PyTorch rows.
	PeerThreads int
	// BLASThreads is OpenBLAS's pool in the PyTorch process (peer rows).
	BLASThreads int
	// SamplesPerSec, P50 and P99 are medians over rounds.
	SamplesPerSec float64
	P50, P99      time.Duration
	// Rounds holds each round's samples per second, in order.
	Rounds []float64
}

// PredictReport is a PredictSweep's result.
type PredictReport struct {
	Rows []PredictRow
	// Peer describes the PyTorch process (empty without a peer).
	Peer TorchInfo
}

// PredictSweep measures prediction throughput on every engine at every
// (goroutines, batch) and the peer at every (batch, threads), in rounds:
// each round measures every configuration once, in the same order, so slow
// and fast spells of a shared machine spread over all of them. It reports
// the medians over rounds.
func PredictSweep(ctx context.Context, cfg PredictSweepConfig) (*PredictReport, error) {
	if cfg.Rounds == 0 {
		cfg.Rounds = 3
	}
	if cfg.Duration == 0 {
		cfg.Duration = 500 * time.Millisecond
	}
	if cfg.NewModel == nil {
		cfg.NewModel = func() (*model.Sequential, error) { return TutorialModel(cfg.Seed) }
	}
	if len(cfg.Goroutines) == 0 || len(cfg.Batches) == 0 || cfg.Rounds < 1 {
		return nil, errors.New("bench: need goroutines, batches and rounds ≥ 1")
	}
	if len(cfg.Engines) == 0 && cfg.Peer == nil {
		return nil, errors.New("bench: nothing to measure")
	}
	m, err := cfg.NewModel()
	if err != nil {
		return nil, err
	}
	apply := func(pe PredictEngine) (int, error) {
		if cfg.Apply == nil {
			return pe.Engine.Threads(), nil
		}
		n, err := cfg.Apply(pe.Engine, pe.Threads)
		if err != nil {
			return 0, fmt.Errorf("bench: %s: threads: %w", pe.Engine.Name(), err)
		}
		return n, nil
	}
	maxBatch := slices.Max(cfg.Batches)
	preds := make([]*predict.Predictor, len(cfg.Engines))
	defer func() {
		for _, p := range preds {
			if p != nil {
				p.Close()
			}
		}
	}()
	rep := &PredictReport{}
	for i, pe := range cfg.Engines {
		n, err := apply(pe)
		if err != nil {
			return nil, err
		}
		workers := cfg.Workers
		if workers == 0 {
			workers = runtime.GOMAXPROCS(0)
		}
		if preds[i], err = predict.New(m, pe.Engine, predict.Options{MaxBatch: max(maxBatch, predict.DefaultMaxBatch), Workers: workers}); err != nil {
			return nil, fmt.Errorf("bench: %s: %w", pe.Engine.Name(), err)
		}
		for _, g := range cfg.Goroutines {
			for _, b := range cfg.Batches {
				rep.Rows = append(rep.Rows, PredictRow{System: pe.Engine.Name(), Threads: n, Workers: workers, Goroutines: g, Batch: b})
			}
		}
	}
	if cfg.Peer != nil {
		rep.Peer = cfg.Peer.Info()
		for _, b := range cfg.Batches {
			for _, t := range cfg.PeerThreads {
				rep.Rows = append(rep.Rows, PredictRow{System: "pytorch", Goroutines: 1, Batch: b, PeerThreads: t})
			}
		}
	}
	res := make([][]PredictResult, len(rep.Rows))
	for round := range cfg.Rounds {
		k := 0
		for i, pe := range cfg.Engines {
			if _, err := apply(pe); err != nil {
				return nil, err
			}
			for range len(cfg.Goroutines) * len(cfg.Batches) {
				row := &rep.Rows[k]
				r, err := PredictThroughput(ctx, preds[i], PredictConfig{Goroutines: row.Goroutines, Batch: row.Batch,
					Duration: cfg.Duration, Seed: cfg.Seed + uint64(1000*round)})
				if err != nil {
					return nil, fmt.Errorf("bench: %s G=%d B=%d: %w", row.System, row.Goroutines, row.Batch, err)
				}
				res[k] = append(res[k], r)
				k++
			}
		}
		for ; k < len(rep.Rows); k++ {
			row := &rep.Rows[k]
			r, err := cfg.Peer.Measure(ctx, row.Batch, row.PeerThreads, cfg.Duration)
			if err != nil {
				return nil, err
			}
			row.Threads, row.BLASThreads = r.Threads, r.BLASThreads
			res[k] = append(res[k], PredictResult{Goroutines: 1, Batch: row.Batch, Requests: r.Requests,
				SamplesPerSec: r.SamplesPerSec, P50: msDuration(r.P50ms), P99: msDuration(r.P99ms)})
		}
	}
	for k := range rep.Rows {
		row := &rep.Rows[k]
		var p50, p99 []float64
		for _, r := range res[k] {
			row.Rounds = append(row.Rounds, r.SamplesPerSec)
			p50, p99 = append(p50, float64(r.P50)), append(p99, float64(r.P99))
		}
		row.SamplesPerSec = Median(row.Rounds)
		row.P50, row.P99 = time.Duration(Median(p50)), time.Duration(Median(p99))
	}
	return rep, nil
}

func msDuration(ms float64) time.Duration { return time.Duration(ms * float64(time.Millisecond)) }

// PredictTableHeader is the header row of WriteTable's Markdown table.
const PredictTableHeader = "| system | goroutines | batch | samples/s | × one goroutine | × PyTorch (1 thread, same batch) | p50 ms | p99 ms |"

// WriteTable writes the report as a Markdown table for bench/RESULTS.md.
// "× one goroutine" is a row's samples/s over the same system's at one
// goroutine and the same batch; "× PyTorch" is over PyTorch's at one thread
// (torch and OpenBLAS both pinned to one) and the same batch, "-" without
// the peer. A descent system reads "dnnl (1 thread, 2 workers)"; a PyTorch
// row "pytorch (1 thread, OpenBLAS 1)", with "default" when it ran at the
// peer's start-up thread settings.
func (r *PredictReport) WriteTable(w io.Writer) error {
	type key struct {
		system string
		batch  int
	}
	one := map[key]float64{}    // samples/s at G = 1
	torch1 := map[int]float64{} // batch → PyTorch at one thread
	for _, row := range r.Rows {
		if row.System == "pytorch" {
			if row.PeerThreads == 1 {
				torch1[row.Batch] = row.SamplesPerSec
			}
			continue
		}
		if row.Goroutines == 1 {
			one[key{row.System, row.Batch}] = row.SamplesPerSec
		}
	}
	ratio := func(a, b float64) string {
		if b <= 0 {
			return "-"
		}
		return fmt.Sprintf("%.2f", a/b)
	}
	var err error
	printf := func(format string, args ...any) {
		if err == nil {
			_, err = fmt.Fprintf(w, format, args...)
		}
	}
	printf("%s\n|---|---|---|---|---|---|---|---|\n", PredictTableHeader)
	for _, row := range r.Rows {
		name, vsOne := "", "-"
		if row.System == "pytorch" {
			def := ""
			if row.PeerThreads == 0 {
				def = "default: "
			}
			name = fmt.Sprintf("pytorch (%s%s, OpenBLAS %d)", def, plural(row.Threads, "thread"), row.BLASThreads)
		} else {
			name = fmt.Sprintf("%s (%s, %s)", row.System, plural(row.Threads, "thread"), plural(row.Workers, "worker"))
			vsOne = ratio(row.SamplesPerSec, one[key{row.System, row.Batch}])
		}
		printf("| %s | %d | %d | %.0f | %s | %s | %.3f | %.3f |\n", name, row.Goroutines, row.Batch, row.SamplesPerSec,
			vsOne, ratio(row.SamplesPerSec, torch1[row.Batch]), ms(row.P50), ms(row.P99))
	}
	return err
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
