package model_test

import (
	"context"
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
	ds.Batch(context.Background(), []int{0}, want, make([]float32, 1), make([]int, 1))
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

// The vector kernel of the constant case gives the scalar loop's bits, for
// every length around the 8-lane blocks and for awkward values.
func TestPreprocessingKernelIsBitIdentical(t *testing.T) {
	vals := []float32{0, 1, 254, 255, 3.5, -7, 1e-30, 3e38, float32(math.NaN()), float32(math.Inf(-1)), 0.1, 97}
	for _, p := range []model.Preprocessing{model.ScaleBy(255), {Kind: "minmax", Shift: []float32{0.3}, Divisor: []float32{7}}} {
		for n := 0; n <= 33; n++ {
			raw := make([]float32, n)
			for i := range raw {
				raw[i] = vals[i%len(vals)] * float32(1+i%3)
			}
			got := make([]float32, n)
			p.Apply(got, raw, 1, n)
			for i, x := range raw {
				want := (x - p.Shift[0]) / p.Divisor[0]
				if math.Float32bits(got[i]) != math.Float32bits(want) && !(want != want && got[i] != got[i]) {
					t.Fatalf("%s n=%d: [%d] = %v, scalar %v", p.Kind, n, i, got[i], want)
				}
			}
		}
	}
}

func BenchmarkPreprocessingScale(b *testing.B) {
	raw := make([]float32, 256*784)
	for i := range raw {
		raw[i] = float32(i % 256)
	}
	dst := make([]float32, len(raw))
	p := model.ScaleBy(255)
	b.SetBytes(int64(4 * len(raw)))
	for b.Loop() {
		p.Apply(dst, raw, 256, 784)
	}
}
