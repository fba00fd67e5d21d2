package backend_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/descent-ml/descent/backend"
)

// The reference itself is checked against products worked out by hand.
func TestGemmByHand(t *testing.T) {
	// A = [1 2 3; 4 5 6] (2×3), B = [7 8; 9 10; 11 12] (3×2)
	// A·B = [58 64; 139 154].
	a := []float64{1, 2, 3, 4, 5, 6}
	b := []float64{7, 8, 9, 10, 11, 12}
	at := []float64{1, 4, 2, 5, 3, 6}    // Aᵀ stored (3×2)
	bt := []float64{7, 9, 11, 8, 10, 12} // Bᵀ stored (2×3)
	for _, tc := range []struct {
		name   string
		ta, tb bool
		a, b   []float64
		lda    int
		ldb    int
	}{
		{"NN", false, false, a, b, 3, 2},
		{"TN", true, false, at, b, 2, 2},
		{"NT", false, true, a, bt, 3, 3},
		{"TT", true, true, at, bt, 2, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := []float64{1, 1, 1, 1}
			// C = 2·A·B + 0.5·C
			backend.Gemm(tc.ta, tc.tb, 2, 2, 3, 2, tc.a, tc.lda, tc.b, tc.ldb, 0.5, c, 2)
			assert.Equal(t, []float64{116.5, 128.5, 278.5, 308.5}, c)
		})
	}
}
