package data

import (
	"math"
	"testing"

	"golang.org/x/sys/cpu"
)

// TestScaleKernels runs each vector kernel the CPU has directly (scaleRow
// uses only the widest), on every pixel value at every lane position and
// over every tail length, against float32(p)/255 bit for bit.
func TestScaleKernels(t *testing.T) {
	kernels := []struct {
		name string
		ok   bool
		f    func(dst []float32, src []uint8)
	}{
		{"avx512", cpu.X86.HasAVX512F, scaleAVX512},
		{"avx2", cpu.X86.HasAVX2, scaleAVX2},
	}
	src := make([]uint8, 256*3)
	for i := range src {
		src[i] = uint8(i*37 + i/256)
	}
	ran := 0
	for _, k := range kernels {
		if !k.ok {
			t.Logf("%s: not on this CPU", k.name)
			continue
		}
		ran++
		for n := 0; n <= len(src); n += 1 + n/64 {
			dst := make([]float32, n+16)
			for i := range dst {
				dst[i] = -1
			}
			k.f(dst, src[:n])
			for i := range dst {
				want := float32(-1)
				if i < n&^15 {
					want = float32(src[i]) / 255
				}
				if math.Float32bits(dst[i]) != math.Float32bits(want) {
					t.Fatalf("%s n %d: dst[%d] = %v, want %v (pixel %d)", k.name, n, i, dst[i], want, src[min(i, n-1)])
				}
			}
		}
	}
	if ran == 0 {
		t.Skip("no vector kernel on this CPU")
	}
}
