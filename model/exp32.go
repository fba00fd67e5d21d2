package model

import "math"

// exp32 is e^x for float32 x ≤ 0, accurate to a few float32 ulps (tested
// against math.Exp in exp32_test.go) and faster than math.Exp. The sigmoid
// only ever needs e^x for x ≤ 0 (see sigmoid32), over 30k of them per
// training step of the tutorial network.
//
// Method (Cody & Waite range reduction, as in Cephes's expf): write
// x = k·ln2 + r with k = round(x/ln2) and |r| ≤ ln2/2, take e^r from its
// degree-6 Taylor polynomial (truncation error r⁷/7! < 1.3e-7 relative), and
// scale by 2^k through the exponent bits. Every product is rounded to
// float32 explicitly (no FMA), so the AVX2 kernel in sigmoid_amd64.s,
// which performs the same operations in the same order, gives the same bits.
func exp32(x float32) float32 {
	if x < expUnderflow { // e^x is below the smallest normal float32
		return 0
	}
	ki := int32(float32(x*log2e) - 0.5) // round(x/ln2) for x ≤ 0 (conversion truncates toward 0)
	k := float32(ki)
	r := x - float32(k*ln2Hi) - float32(k*ln2Lo)
	p := float32(r*expC[6]) + expC[5]
	p = float32(p*r) + expC[4]
	p = float32(p*r) + expC[3]
	p = float32(p*r) + expC[2]
	p = float32(p*r) + expC[1]
	p = float32(p*r) + expC[0]
	return p * math.Float32frombits(uint32(ki+127)<<23)
}

const (
	log2e        float32 = 1.44269504088896341
	ln2Hi        float32 = 0.693359375 // ln 2 split so that k·ln2Hi is exact
	ln2Lo        float32 = -2.12194440e-4
	expUnderflow float32 = -87.3
)

// expC are the Taylor coefficients 1/i! of e^r, i = 0…6.
var expC = [7]float32{1, 1, 1.0 / 2, 1.0 / 6, 1.0 / 24, 1.0 / 120, 1.0 / 720}

// sigmoid32 is 1/(1+e^−z) at float32, evaluated as s = 1/(1+e) with
// e = e^−|z| ≤ 1, so nothing overflows, and e^z/(1+e^z) = e·s for z < 0.
func sigmoid32(z float32) float32 {
	e := exp32(-float32(math.Abs(float64(z))))
	s := 1 / (1 + e)
	if z < 0 {
		s = e * s
	}
	return s
}

// sigmoidSlice32 applies sigmoid32 to every element of z in place.
func sigmoidSlice32(z []float32) {
	for i, v := range z {
		z[i] = sigmoid32(v)
	}
}
