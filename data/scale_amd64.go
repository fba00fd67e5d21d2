package data

import "golang.org/x/sys/cpu"

// scaleKernel is read once at start-up and never written: which vector
// kernel scaleRow uses (0: none).
var scaleKernel = func() int {
	switch {
	case cpu.X86.HasAVX512F:
		return 512
	case cpu.X86.HasAVX2:
		return 2
	}
	return 0
}()

// scaleAVX512 and scaleAVX2 write float32(src[k])/255 into dst[k] for
// k < len(src)&^15 (scale_amd64.s); len(dst) ≥ len(src). Both round
// correctly, so their values are bit-identical to scaleRowGeneric's.
//
//go:noescape
func scaleAVX512(dst []float32, src []uint8)

//go:noescape
func scaleAVX2(dst []float32, src []uint8)

// prefetchRow asks the CPU to bring every cache line of src into cache
// (PREFETCHT0; scale_amd64.s): a hint, with no effect on any value.
//
//go:noescape
func prefetchRow(src []uint8)

// scaleRow writes pixels scaled to [0, 1], float32(p)/255, into dst: a
// vector kernel where the CPU has one, the table loop for the tail.
func scaleRow(dst []float32, pixels []uint8) {
	dst = dst[:len(pixels)]
	from := 0
	if len(pixels) >= 16 {
		switch scaleKernel {
		case 512:
			scaleAVX512(dst, pixels)
			from = len(pixels) &^ 15
		case 2:
			scaleAVX2(dst, pixels)
			from = len(pixels) &^ 15
		}
	}
	scaleRowGeneric(dst[from:], pixels[from:])
}
