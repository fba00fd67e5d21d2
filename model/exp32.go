package model

import "math"

// exp32 is e^x for float32 x ≤ 0, accurate to a few float32 ulps (tested
// against math.Exp in exp32_test.go), about 5× faster than math.Exp. The
// sigmoid only ever needs e^x for x ≤ 0 (see sigmoid), and over 30k of them
// per training step, so this is where the pure-Go element-wise time goes.
//
// Method (Cody & Waite range reduction, as in Cephes's expf): write
// x = k·ln2 + r with k = round(x/ln2) and |r| ≤ ln2/2, take e^r from its
// degree-6 Taylor polynomial (truncation error r⁷/7! < 1.3e-7 relative), and
// scale by 2^k through the exponent bits.
func exp32(x float32) float32 {
	const (
		log2e = 1.44269504088896341
		ln2Hi = 0.693359375 // ln 2 split so that k·ln2Hi is exact
		ln2Lo = -2.12194440e-4
	)
	if x < -87.3 { // e^x is below the smallest normal float32
		return 0
	}
	ki := int32(x*log2e - 0.5) // round(x/ln2) for x ≤ 0 (conversion truncates toward 0)
	k := float32(ki)
	r := x - k*ln2Hi - k*ln2Lo
	p := 1 + r*(1+r*(1.0/2+r*(1.0/6+r*(1.0/24+r*(1.0/120+r*(1.0/720))))))
	return p * math.Float32frombits(uint32(ki+127)<<23)
}
