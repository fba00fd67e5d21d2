package bench_test

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/descent-ml/descent/backend"
	"github.com/descent-ml/descent/backend/dnnl"
	"github.com/descent-ml/descent/backend/gonum"
	"github.com/descent-ml/descent/backend/openblas"
	"github.com/descent-ml/descent/data"
	"github.com/descent-ml/descent/model"
	"github.com/descent-ml/descent/train"
)

// Run with: go test ./bench -run '^$' -bench . -benchtime 200x
// Compare backends only within one run (noisy 2-core machines).

func engines(b *testing.B) []backend.Engine {
	ob, err := openblas.New()
	if err != nil {
		b.Fatal(err)
	}
	// New leaves OpenBLAS's pool as it is (all cores by default); the
	// benchmarks measure the one thread --threads auto gives it.
	if err := ob.SetThreads(1); err != nil {
		b.Fatal(err)
	}
	dn, err := dnnl.New()
	if err != nil {
		b.Fatal(err)
	}
	return []backend.Engine{dn, ob, gonum.New()}
}

// syntheticMNIST is an MNIST-shaped data set of random pixels: the step's
// cost does not depend on the values.
func syntheticMNIST(n int) *data.Dataset {
	rng := rand.New(rand.NewPCG(1, 1))
	d := &data.Dataset{Name: "synthetic", N: n, NumFeatures: 784, NumClasses: 10,
		Images: make([]uint8, n*784), Labels: make([]uint8, n)}
	for i := range d.Images {
		d.Images[i] = uint8(rng.IntN(256))
	}
	for i := range d.Labels {
		d.Labels[i] = uint8(rng.IntN(10))
	}
	return d
}

// BenchmarkTrainStep times one training step of the tutorial network (batch
// 128, Adam) on each backend. Multiply ns/op by 422 for an epoch's steps.
func BenchmarkTrainStep(b *testing.B) {
	for _, e := range engines(b) {
		b.Run(e.Name(), func(b *testing.B) { benchTrainStep(b, e) })
	}
}

// BenchmarkForwardBackward times the model's forward and backward passes of
// one step (batch 128) on each backend: what the engine runs (for dnnl the
// whole fused layers, for the others GEMMs plus Go activation loops),
// without batch loading, loss and optimizer. TrainStep minus this is the
// Go-side rest of a step.
func BenchmarkForwardBackward(b *testing.B) {
	src := syntheticMNIST(128)
	idx := make([]int, 128)
	for i := range idx {
		idx[i] = i
	}
	x, y, labels := make([]float32, 128*784), make([]float32, 128*10), make([]int, 128)
	src.Batch(context.Background(), idx, x, y, labels)
	for _, e := range engines(b) {
		b.Run(e.Name(), func(b *testing.B) {
			m, _ := model.NewSequential(784, model.Dense(128, model.Sigmoid), model.Dense(128, model.Sigmoid), model.Dense(10, model.Softmax))
			m.Init(rand.New(rand.NewPCG(1, 0)))
			ws, err := m.NewWorkspace(e, 128)
			if err != nil {
				b.Fatal(err)
			}
			defer ws.Close()
			b.ReportAllocs()
			for b.Loop() {
				p, err := m.Forward(ws, x, 128)
				if err != nil {
					b.Fatal(err)
				}
				if err := m.Backward(ws, p, model.GradLogits); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// gemmShape is one of the eight GEMMs of a training step.
type gemmShape struct {
	name    string
	tA, tB  bool
	m, n, k int
}

var stepShapes = []gemmShape{
	{"fwd1", false, false, 128, 128, 784}, {"fwd2", false, false, 128, 128, 128}, {"fwd3", false, false, 128, 10, 128},
	{"dW1", true, false, 784, 128, 128}, {"dW2", true, false, 128, 128, 128}, {"dW3", true, false, 128, 10, 128},
	{"dX2", false, true, 128, 128, 128}, {"dX3", false, true, 128, 128, 10},
}

// BenchmarkStepGEMMs times the eight GEMMs of one step on each backend and
// reports GFLOP/s: the GEMM-only floor of a step.
func BenchmarkStepGEMMs(b *testing.B) {
	for _, e := range engines(b) {
		b.Run(e.Name(), func(b *testing.B) {
			// Random operands: gonum skips zero elements of A, so zeros
			// would flatter it.
			rng := rand.New(rand.NewPCG(2, 2))
			randMat := func(n int) []float32 {
				x := make([]float32, n)
				for i := range x {
					x[i] = rng.Float32() - 0.5
				}
				return x
			}
			bufs := make([][3][]float32, len(stepShapes))
			flops := 0.0
			for i, s := range stepShapes {
				bufs[i] = [3][]float32{randMat(s.m * s.k), randMat(s.k * s.n), make([]float32, s.m*s.n)}
				flops += 2 * float64(s.m*s.n*s.k)
			}
			for b.Loop() {
				for i, s := range stepShapes {
					lda, ldb := s.k, s.n
					if s.tA {
						lda = s.m
					}
					if s.tB {
						ldb = s.k
					}
					e.Sgemm(s.tA, s.tB, s.m, s.n, s.k, 1, bufs[i][0], lda, bufs[i][1], ldb, 0, bufs[i][2], s.n)
				}
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

// BenchmarkNonGEMM times what a step does besides GEMMs on the tutorial
// network: batch conversion, activations, loss, Adam.
func BenchmarkNonGEMM(b *testing.B) {
	src := syntheticMNIST(128)
	idx := make([]int, 128)
	for i := range idx {
		idx[i] = i
	}
	x, y, labels := make([]float32, 128*784), make([]float32, 128*10), make([]int, 128)
	b.Run("batch-uint8-to-float32", func(b *testing.B) {
		for b.Loop() {
			src.Batch(context.Background(), idx, x, y, labels)
		}
	})
	z := make([]float32, 128*128)
	for i := range z {
		z[i] = float32(i%17) - 8
	}
	b.Run("sigmoid-forward-2-layers", func(b *testing.B) {
		for b.Loop() {
			model.ActivationForward(model.Sigmoid, z, 128, 128)
			model.ActivationForward(model.Sigmoid, z, 128, 128)
		}
	})
	const nParams = 118282
	p, g := make([]float32, nParams), make([]float32, nParams)
	for i := range g {
		g[i] = float32(i%7) * 1e-3
	}
	adam := train.NewAdam(0.001, 0.9, 0.999, 1e-7, false)
	adam.Build(nParams)
	b.Run("adam-118282-params", func(b *testing.B) {
		for b.Loop() {
			adam.Step(p, g)
		}
	})
}
