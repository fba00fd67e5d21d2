//go:build !amd64

package model

// affine computes dst[i] = (src[i] − shift)/divisor for every element of
// src (len(dst) ≥ len(src)).
func affine(dst, src []float32, shift, divisor float32) { affineScalar(dst, src, shift, divisor) }
