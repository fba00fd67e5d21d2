package bench_test

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/descent-ml/descent/backend"
	"github.com/descent-ml/descent/backend/dnnl"
	"github.com/descent-ml/descent/model"
	"github.com/descent-ml/descent/train"
)

// BenchmarkDNNLStep is BenchmarkTrainStep's dnnl step at each precision,
// with no other engine in the process (OpenBLAS's pool, which
// BenchmarkTrainStep starts, keeps a core busy after its own runs), so that
// the process's CPU time is the step's: compare builds with
//
//	perf stat -e task-clock bench.test -test.run '^$' -test.bench DNNLStep/f32 -test.benchtime 3000x
//
// bf16 is skipped on CPUs without bf16.
func BenchmarkDNNLStep(b *testing.B) {
	for _, prec := range []dnnl.Precision{dnnl.F32, dnnl.BF16} {
		b.Run(prec.String(), func(b *testing.B) {
			e, err := dnnl.New(dnnl.WithPrecision(prec))
			if err != nil {
				b.Skip(err)
			}
			defer e.Close()
			benchTrainStep(b, e)
		})
	}
}

// benchTrainStep times TrainBatch of the tutorial network (batch 128, Adam)
// on e, over 8 batches of synthetic data.
func benchTrainStep(b *testing.B, e backend.Engine) {
	src := syntheticMNIST(128 * 8)
	m, _ := model.NewSequential(784, model.Dense(128, model.Sigmoid), model.Dense(128, model.Sigmoid), model.Dense(10, model.Softmax))
	m.Init(rand.New(rand.NewPCG(1, 0)))
	tr, err := train.NewTrainer(m, e, train.NewAdam(0.001, 0.9, 0.999, 1e-7, false), train.CategoricalCrossentropyLoss{}, 128)
	if err != nil {
		b.Fatal(err)
	}
	defer tr.Close()
	idx := make([]int, 128)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		for j := range idx {
			idx[j] = (i%8)*128 + j
		}
		if _, _, err := tr.TrainBatch(src, idx); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGatherShuffled times Dataset.Batch as an epoch calls it: 128
// rows at a time from a shuffled permutation of an MNIST-sized training
// set (47 MB of pixels), so that the rows come from all over memory, as
// they do in training (BenchmarkNonGEMM's batch reads one 100 KB block that
// stays in cache).
func BenchmarkGatherShuffled(b *testing.B) {
	const n = 54000
	src := syntheticMNIST(n)
	perm := rand.New(rand.NewPCG(5, 5)).Perm(n)
	x, y, labels := make([]float32, 128*784), make([]float32, 128*10), make([]int, 128)
	ctx := context.Background()
	for i := 0; b.Loop(); i++ {
		s := (i * 128) % (n - 128)
		if err := src.Batch(ctx, perm[s:s+128], x, y, labels); err != nil {
			b.Fatal(err)
		}
	}
}
