package model

import (
	"math"

	"golang.org/x/sys/cpu"
)

// hasAVX2 is read once at start-up and never written.
var hasAVX2 = cpu.X86.HasAVX2

// sigmoidConsts is the constant table of sigmoidAVX2, in the order its
// assembly reads it (never written after initialisation).
var sigmoidConsts = [13]float32{
	log2e, 0.5, ln2Hi, ln2Lo,
	math.Float32frombits(127), expUnderflow, math.Float32frombits(0x80000000), 1,
	expC[6], expC[5], expC[4], expC[3], expC[2],
}

// sigmoidAVX2 applies sigmoid32 to the first len(z)&^7 elements of z, eight
// at a time, with the same operations in the same order (sigmoid_amd64.s):
// the results are bit-identical.
//
//go:noescape
func sigmoidAVX2(z []float32, c *[13]float32)

// sigmoidKernel applies sigmoid32 to every element of z in place.
func sigmoidKernel(z []float32) {
	from := 0
	if hasAVX2 && len(z) >= 8 {
		sigmoidAVX2(z, &sigmoidConsts)
		from = len(z) &^ 7
	}
	sigmoidSlice32(z[from:])
}
