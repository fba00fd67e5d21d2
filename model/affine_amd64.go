package model

import "golang.org/x/sys/cpu"

// hasAVX is read once at start-up and never written.
var hasAVX = cpu.X86.HasAVX

// affineAVX computes dst[i] = (src[i] − shift)/divisor for the first
// len(src)&^7 elements, eight at a time, bit-identical to the scalar loop
// (affine_amd64.s).
//
//go:noescape
func affineAVX(dst, src []float32, shift, divisor float32)

// affine computes dst[i] = (src[i] − shift)/divisor for every element of
// src (len(dst) ≥ len(src)).
func affine(dst, src []float32, shift, divisor float32) {
	from := 0
	if hasAVX && len(src) >= 8 {
		affineAVX(dst[:len(src)], src, shift, divisor)
		from = len(src) &^ 7
	}
	affineScalar(dst[from:], src[from:], shift, divisor)
}
