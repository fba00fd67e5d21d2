package train

import "golang.org/x/sys/cpu"

// hasAVX2 is read once at start-up and never written: which kernel Adam uses.
var hasAVX2 = cpu.X86.HasAVX2

// adamAVX2 runs adamUpdate on the first len(p)&^7 elements, eight at a time
// (adam_amd64.s). Vector square root and division are correctly rounded,
// like their scalar forms, so the results are bit-identical to adamUpdate.
//
//go:noescape
func adamAVX2(p, g, m, v []float32, alpha, b1, b2, eps float32)

// adamKernel updates all of p: the vector kernel where the CPU has AVX2,
// then the scalar loop for the tail.
func adamKernel(p, g, m, v []float32, alpha, b1, b2, eps float32) {
	from := 0
	if hasAVX2 && len(p) >= 8 {
		adamAVX2(p, g[:len(p)], m[:len(p)], v[:len(p)], alpha, b1, b2, eps)
		from = len(p) &^ 7
	}
	adamUpdate(p, g, m, v, from, alpha, b1, b2, eps)
}
