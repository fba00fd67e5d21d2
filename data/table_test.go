package data

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestTableValidate(t *testing.T) {
	ok := func() *Table {
		return &Table{Name: "t", X: []float32{1, 2, 3, 4}, Y: []float64{0, 1}, N: 2, F: 2}
	}
	assert.NoError(t, ok().Validate())
	for _, tc := range []struct {
		name string
		edit func(*Table)
		want string
	}{
		{"empty", func(t *Table) { t.N, t.X, t.Y = 0, nil, nil }, "0 samples of 2 features"},
		{"short X", func(t *Table) { t.X = t.X[:3] }, "3 feature values for 2×2"},
		{"short Y", func(t *Table) { t.Y = t.Y[:1] }, "1 targets for 2 samples"},
		{"names", func(t *Table) { t.FeatureNames = []string{"a"} }, "1 feature names for 2 features"},
		{"NaN feature", func(t *Table) { t.X[3] = float32(math.NaN()) }, "sample 1, feature 1 is NaN"},
		{"Inf target", func(t *Table) { t.Y[0] = math.Inf(1) }, "target of sample 0 is +Inf"},
	} {
		tb := ok()
		tc.edit(tb)
		err := tb.Validate()
		assert.ErrorIs(t, err, ErrBadTable, tc.name)
		assert.ErrorContains(t, err, tc.want, tc.name)
	}
}
