package model_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/descent-ml/descent/data"
	"github.com/descent-ml/descent/model"
)

// ScaleBy(255) must give the model exactly what data.Dataset gives the
// trainer (float32(pixel)/255), or a served model would see other inputs
// than the one evaluated.
func TestScaleBy255MatchesTheDataset(t *testing.T) {
	pixels := make([]uint8, 256)
	raw := make([]float32, 256)
	for p := range pixels {
		pixels[p] = uint8(p)
		raw[p] = float32(p)
	}
	ds := &data.Dataset{Name: "all pixels", Images: pixels, Labels: []uint8{0}, N: 1, NumFeatures: 256, NumClasses: 1}
	want := make([]float32, 256)
	ds.Batch([]int{0}, want, make([]float32, 1), make([]int, 1))
	got := make([]float32, 256)
	model.ScaleBy(255).Apply(got, raw, 1, 256)
	assert.Equal(t, want, got) // bitwise
}

func TestPreprocessingApply(t *testing.T) {
	raw := []float32{1, 2, 3, 4, 5, 6} // 2 rows × 3 features
	for _, tc := range []struct {
		name string
		p    model.Preprocessing
		want []float32
	}{
		{"none", model.NoPreprocessing(), []float32{1, 2, 3, 4, 5, 6}},
		{"scale", model.ScaleBy(2), []float32{0.5, 1, 1.5, 2, 2.5, 3}},
		{"per feature", model.Preprocessing{Kind: "standardize", Shift: []float32{1, 2, 3}, Divisor: []float32{1, 2, 4}},
			[]float32{0, 0, 0, 3, 1.5, 0.75}},
		{"shift only", model.Preprocessing{Kind: "minmax", Shift: []float32{1}}, []float32{0, 1, 2, 3, 4, 5}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.NoError(t, tc.p.Validate(3))
			got := make([]float32, 6)
			tc.p.Apply(got, raw, 2, 3)
			assert.Equal(t, tc.want, got)
			inPlace := append([]float32(nil), raw...)
			tc.p.Apply(inPlace, inPlace, 2, 3)
			assert.Equal(t, tc.want, inPlace, "in place")
		})
	}
	assert.ErrorContains(t, model.Preprocessing{Divisor: []float32{1, 2}}.Validate(3), "2 values, want 1 or 3")
	assert.ErrorContains(t, model.Preprocessing{Divisor: []float32{0}}.Validate(3), "divisor[0] is 0")
	assert.ErrorContains(t, model.Preprocessing{Shift: []float32{float32(math.Inf(1))}}.Validate(3), "shift[0] is +Inf")
}
