package checkpoint_test

import (
	"context"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/descent-ml/descent/backend/registry"
	"github.com/descent-ml/descent/checkpoint"
	"github.com/descent-ml/descent/data"
	"github.com/descent-ml/descent/model"
	"github.com/descent-ml/descent/train"
)

// BenchmarkCheckpointVsEpoch measures what one checkpoint of the tutorial
// network (784→128→128→10 sigmoid, Adam: 118,282 parameters, two slots)
// costs beside one epoch of it on MNIST's 54,000 training images (backend
// auto, batch 128): the median of 5 epochs and of 20 checkpoints written
// into a fresh folder each time (fsyncs included). It reports
// ckpt-ms, epoch-ms and ckpt-%-of-epoch. The checkpoints go under
// $DESCENT_CKPT_BENCH_DIR when set (e.g. /dev/shm: the cost without the
// disk's fsync latency), else under the test's temporary folder.
//
//	go test ./checkpoint -run XXX -bench CheckpointVsEpoch -benchtime 1x
func BenchmarkCheckpointVsEpoch(b *testing.B) {
	dir, err := data.LocateMNIST()
	require.NoError(b, err)
	full, _, err := data.LoadMNIST(dir)
	require.NoError(b, err)
	trIdx, _, err := data.TrainTestSplit(full.Len(), 0.1, 42)
	require.NoError(b, err)
	src := full.Subset(trIdx)
	eng, _, err := registry.Open("auto")
	require.NoError(b, err)
	m, err := model.NewSequential(784, model.Dense(128, model.Sigmoid), model.Dense(128, model.Sigmoid), model.Dense(10, model.Softmax))
	require.NoError(b, err)
	m.Init(randFor(1))
	m.Preprocessing = model.ScaleBy(255)
	tr, err := train.NewTrainer(m, eng, train.NewAdam(0.001, 0.9, 0.999, 1e-7, false), train.CategoricalCrossentropyLoss{}, 128)
	require.NoError(b, err)
	defer tr.Close()
	id := checkpoint.Identity{Data: checkpoint.DataHash(src), Backend: eng.Name(), Threads: eng.Threads(), Optimizer: "adam", Seed: 1, BatchSize: 128}
	for range b.N {
		var epochs, ckpts []float64
		var last train.FitState
		for e := range 5 {
			start := time.Now()
			h, err := tr.Fit(context.Background(), src, train.FitConfig{Epochs: 1, Seed: uint64(e), OnState: func(s train.FitState) error { last = s; return nil }})
			require.NoError(b, err)
			epochs = append(epochs, time.Since(start).Seconds())
			last.History = h
		}
		for range 20 {
			dir := b.TempDir()
			if base := os.Getenv("DESCENT_CKPT_BENCH_DIR"); base != "" {
				dir, err = os.MkdirTemp(base, "descent-ckpt-bench-")
				require.NoError(b, err)
				defer os.RemoveAll(dir)
			}
			s, err := checkpoint.NewSaver(dir, 0, tr, id, nil)
			require.NoError(b, err)
			start := time.Now()
			require.NoError(b, s.Save(last))
			ckpts = append(ckpts, time.Since(start).Seconds())
		}
		slices.Sort(epochs)
		slices.Sort(ckpts)
		e, c := epochs[len(epochs)/2], ckpts[len(ckpts)/2]
		b.ReportMetric(1000*c, "ckpt-ms")
		b.ReportMetric(1000*e, "epoch-ms")
		b.ReportMetric(100*c/e, "ckpt-%-of-epoch")
	}
}
