package data

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestScaleRowBitIdentical checks scaleRow (the vector kernel where the CPU
// has one) against float32(p)/255 computed here, bit for bit: every pixel
// value, at every length up to 100 and MNIST's 784, from every start offset
// of a 64-byte line (unaligned loads and stores, and every tail length).
func TestScaleRowBitIdentical(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	src := make([]uint8, 2048)
	for i := range src {
		src[i] = uint8(i) // every value, in every lane position
	}
	rng.Shuffle(len(src)-256, func(i, j int) { src[256+i], src[256+j] = src[256+j], src[256+i] })
	dst := make([]float32, len(src)+64)
	lengths := []int{784, 1024, 1500}
	for n := 0; n <= 100; n++ {
		lengths = append(lengths, n)
	}
	for _, n := range lengths {
		for off := 0; off < 64; off++ {
			if off+n > len(src) {
				continue
			}
			for i := range dst {
				dst[i] = -1
			}
			scaleRow(dst[off:], src[off:off+n])
			for k := 0; k < n; k++ {
				want := float32(src[off+k]) / 255
				if math.Float32bits(dst[off+k]) != math.Float32bits(want) {
					t.Fatalf("n %d off %d: dst[%d] = %v (%#x) for pixel %d, want %v (%#x)", n, off, k, dst[off+k], math.Float32bits(dst[off+k]), src[off+k], want, math.Float32bits(want))
				}
			}
			for i := range dst {
				if (i < off || i >= off+n) && dst[i] != -1 {
					t.Fatalf("n %d off %d: wrote dst[%d] outside the row", n, off, i)
				}
			}
		}
	}
}

// TestScaleRowGeneric checks the portable loop (the tail of the vector path
// and the whole of it on other architectures) over every pixel value.
func TestScaleRowGeneric(t *testing.T) {
	src := make([]uint8, 256)
	for i := range src {
		src[i] = uint8(i)
	}
	dst := make([]float32, 256)
	scaleRowGeneric(dst, src)
	for p, v := range dst {
		if want := float32(p) / 255; math.Float32bits(v) != math.Float32bits(want) {
			t.Fatalf("pixel %d: %v, want %v", p, v, want)
		}
	}
}

func BenchmarkScaleRow(b *testing.B) {
	src := make([]uint8, 128*784)
	for i := range src {
		src[i] = uint8(i * 7)
	}
	dst := make([]float32, len(src))
	b.Run("vector", func(b *testing.B) {
		b.SetBytes(int64(len(src)))
		for b.Loop() {
			for r := 0; r < 128; r++ {
				scaleRow(dst[r*784:(r+1)*784], src[r*784:(r+1)*784])
			}
		}
	})
	b.Run("generic", func(b *testing.B) {
		b.SetBytes(int64(len(src)))
		for b.Loop() {
			for r := 0; r < 128; r++ {
				scaleRowGeneric(dst[r*784:(r+1)*784], src[r*784:(r+1)*784])
			}
		}
	})
}
