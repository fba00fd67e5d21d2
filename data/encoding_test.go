package data

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestInferTask(t *testing.T) {
	tests := []struct {
		name string
		y    []float64
		want Task
	}{
		{"0/1", []float64{0, 1, 1, 0}, TaskBinary},
		{"-1/1 is binary too", []float64{-1, 1, 1}, TaskBinary},
		{"classes 0..2", []float64{2, 0, 1, 1}, TaskClassification},
		{"classes 1..3 (wine's numbering)", []float64{1, 3, 2}, TaskClassification},
		{"integers with gaps", []float64{25, 151, 346, 75, 141}, TaskRegression},
		{"real values", []float64{0.5, 1, 2}, TaskRegression},
		{"one value", []float64{3, 3, 3}, TaskRegression},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, InferTask(tt.y))
		})
	}
	many := make([]float64, MaxClasses+1)
	for i := range many {
		many[i] = float64(i)
	}
	assert.Equal(t, TaskRegression, InferTask(many), "more than MaxClasses consecutive integers")
	assert.Equal(t, TaskClassification, InferTask(many[:MaxClasses]))
}

func TestNewEncoding(t *testing.T) {
	enc, err := NewEncoding(TaskAuto, []float64{3, 1, 2, 1})
	require.NoError(t, err)
	assert.Equal(t, Encoding{Task: TaskClassification, Values: []float64{1, 2, 3}}, enc)
	assert.Equal(t, []string{"1", "2", "3"}, enc.ClassNames())
	assert.Equal(t, 3, enc.Targets())

	tests := []struct {
		name string
		task Task
		y    []float64
		want string
	}{
		{"fraction as a class", TaskClassification, []float64{0, 0.5}, "sample 1 is 0.5, not a class number"},
		{"binary of three", TaskBinary, []float64{0, 1, 2}, "exactly two target values, the data has 3 (0, 1, 2)"},
		{"one class", TaskClassification, []float64{4, 4}, "every target is 4"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewEncoding(tt.task, tt.y)
			assert.ErrorIs(t, err, ErrBadTable)
			assert.ErrorContains(t, err, tt.want)
		})
	}
	r, err := NewEncoding(TaskRegression, []float64{0, 1})
	require.NoError(t, err)
	assert.Equal(t, 0, r.Classes())
	assert.Equal(t, 1, r.Targets())
}

// tinyTable has 4 samples of 2 features.
func tinyTable(y ...float64) *Table {
	return &Table{Name: "tiny.csv", X: []float32{1, 10, 2, 20, 3, 30, 4, 40}, Y: y, N: 4, F: 2}
}

func TestTableSourceBatch(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name       string
		task       Task
		y          []float64
		wantY      []float32
		wantLabels []int
	}{
		{"classification", TaskClassification, []float64{7, 5, 6, 7}, []float32{0, 0, 1, 1, 0, 0}, []int{2, 0}},
		{"binary", TaskBinary, []float64{-1, 1, -1, 1}, []float32{1, 1}, []int{1, 1}},
		{"regression", TaskRegression, []float64{0.5, -2, 3, 1e3}, []float32{1e3, -2}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			enc, err := NewEncoding(tt.task, tt.y)
			require.NoError(t, err)
			src, err := NewTableSource(tinyTable(tt.y...), enc)
			require.NoError(t, err)
			assert.Equal(t, tt.task, TaskOf(src))
			x := make([]float32, 4)
			y := make([]float32, 2*src.Targets())
			var labels []int
			if src.Classes() > 0 {
				labels = make([]int, 2)
			}
			require.NoError(t, src.Batch(ctx, []int{3, 1}, x, y, labels))
			assert.Equal(t, []float32{4, 40, 2, 20}, x)
			assert.Equal(t, tt.wantY, y)
			assert.Equal(t, tt.wantLabels, labels)
			assert.Zero(t, testing.AllocsPerRun(20, func() { _ = src.Batch(ctx, []int{3, 1}, x, y, labels) }))

			sub, err := src.Subset([]int{3, 3, 0})
			require.NoError(t, err)
			assert.Equal(t, 3, sub.Len())
			require.NoError(t, sub.Batch(ctx, []int{2, 0}, x, y, labels))
			assert.Equal(t, []float32{1, 10, 4, 40}, x)
			assert.ErrorContains(t, sub.Batch(ctx, []int{3}, x, y, labels), "batch index 3 out of range [0, 3)")
		})
	}
}

func TestTableSourceRefusesUnseenClass(t *testing.T) {
	enc, err := NewEncoding(TaskClassification, []float64{0, 1, 2})
	require.NoError(t, err)
	_, err = NewTableSource(tinyTable(0, 1, 5, 2), enc)
	assert.ErrorContains(t, err, "tiny.csv: bad data file: the target of sample 2 is 5, which is not one of the classes of the training data (0, 1, 2)")
}

func TestFitScaling(t *testing.T) {
	ctx := context.Background()
	enc := Encoding{Task: TaskRegression}
	// Feature 0: 1, 2, 3, 4 (mean 2.5, population std √1.25); feature 1
	// constant.
	tab := &Table{Name: "t", X: []float32{1, 7, 2, 7, 3, 7, 4, 7}, Y: []float64{0, 0, 0, 0}, N: 4, F: 2}
	src, err := NewTableSource(tab, enc)
	require.NoError(t, err)
	tests := []struct {
		kind           string
		shift, divisor []float32
	}{
		{NormalizeNone, []float32{0, 0}, []float32{1, 1}},
		{NormalizeScale, []float32{0, 0}, []float32{255, 255}},
		{NormalizeStandardize, []float32{2.5, 7}, []float32{1.118034, 1}},
		{NormalizeMinMax, []float32{1, 7}, []float32{3, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			s, err := FitScaling(ctx, tt.kind, src)
			require.NoError(t, err)
			assert.Equal(t, tt.shift, s.Shift)
			assert.InDeltaSlice(t, tt.divisor, s.Divisor, 1e-6)
			scaled, err := Scaled(src, s)
			require.NoError(t, err)
			x := make([]float32, 2)
			require.NoError(t, scaled.Batch(ctx, []int{3}, x, make([]float32, 1), nil))
			assert.InDelta(t, (4-float64(tt.shift[0]))/float64(tt.divisor[0]), x[0], 1e-6)
		})
	}
	_, err = FitScaling(ctx, "zscore", src)
	assert.ErrorContains(t, err, `unknown normalisation "zscore" (want none, scale, standardize, minmax)`)

	d := smallDataset(t)
	s, err := FitScaling(ctx, NormalizeScale, d)
	require.NoError(t, err)
	assert.True(t, s.IsIdentity(), "a Dataset already serves pixel/255")
}
