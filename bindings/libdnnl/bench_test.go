//go:build cgo && !nodnnl

package libdnnl

import (
	"fmt"
	"testing"
)

// BenchmarkCallOverhead times the fixed cost of calls through the binding:
// the smallest dense forward (1×1×1, linear: the plan's mutex, cgo, binding
// and unbinding the buffers, oneDNN's execute and stream wait), and the
// smallest sgemm made directly (one thread) and through the locked owner
// thread (two threads: the hop every call that may start an OpenMP team
// takes).
func BenchmarkCallOverhead(b *testing.B) {
	ctx, err := NewContext()
	if err != nil {
		b.Fatal(err)
	}
	defer ctx.Close()
	defer SetThreads(1)
	b.Run("forward-1x1x1-direct", func(b *testing.B) {
		if err := SetThreads(1); err != nil {
			b.Fatal(err)
		}
		d, err := ctx.NewDense(1, 1, 1, Linear)
		if err != nil {
			b.Fatal(err)
		}
		defer d.Close()
		x, w, bias, y := []float32{1}, []float32{2}, []float32{3}, []float32{0}
		b.ReportAllocs()
		for b.Loop() {
			if err := d.Forward(x, w, bias, y); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, tc := range []struct {
		name    string
		threads int
	}{{"sgemm-1x1x1-direct", 1}, {"sgemm-1x1x1-owner-thread", 2}} {
		b.Run(tc.name, func(b *testing.B) {
			if err := SetThreads(tc.threads); err != nil {
				b.Fatal(err)
			}
			a, x, c := []float32{1}, []float32{2}, []float32{0}
			b.ReportAllocs()
			for b.Loop() {
				if err := Sgemm(false, false, 1, 1, 1, 1, a, 1, x, 1, 0, c, 1); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkParallelPlans runs a 128×128×128 sigmoid step on one plan per
// goroutine (b.RunParallel, one thread each): with the package lock gone it
// scales with the cores instead of running on one.
func BenchmarkParallelPlans(b *testing.B) {
	ctx := newContext(b)
	if err := SetThreads(1); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		d, err := ctx.NewDense(128, 128, 128, Sigmoid)
		if err != nil {
			b.Error(err)
			return
		}
		defer d.Close()
		s := newStepBuffers(1, 128, 128, 128)
		for pb.Next() {
			if err := s.step(d); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkPrecision: one training step's plan calls (forward, activation
// backward, backward with dx) of each tutorial layer at batch 128, f32 and
// bf16, on one thread.
func BenchmarkPrecision(b *testing.B) {
	ctx := newContext(b)
	if err := SetThreads(1); err != nil {
		b.Fatal(err)
	}
	for _, shape := range [][3]int{{128, 784, 128}, {128, 128, 128}, {128, 128, 10}} {
		for _, p := range []Precision{F32, BF16} {
			if p == BF16 && !BF16Supported() {
				continue
			}
			b.Run(fmt.Sprintf("%dx%dx%d-%v", shape[0], shape[1], shape[2], p), func(b *testing.B) {
				d, err := ctx.NewDensePrecision(shape[0], shape[1], shape[2], Sigmoid, false, p)
				if err != nil {
					b.Fatal(err)
				}
				defer d.Close()
				s := newStepBuffers(1, shape[0], shape[1], shape[2])
				for b.Loop() {
					if err := s.step(d); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
