//go:build cgo && !nodnnl

package dnnl

import "testing"

// BenchmarkCallOverhead times the fixed cost of calls through the binding:
// the smallest dense forward (1×1×1, linear: mutex, cgo, binding the
// buffers, oneDNN's execute and stream wait), and Threads, a call that does
// nothing in C, made directly (one thread) and through the locked owner
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
	}{{"empty-call-direct", 1}, {"empty-call-owner-thread", 2}} {
		b.Run(tc.name, func(b *testing.B) {
			if err := SetThreads(tc.threads); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if Threads() != tc.threads {
					b.Fatal("threads")
				}
			}
		})
	}
}
