package data

import (
	"context"
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// smallDataset returns a valid Dataset of 4 samples of 3 pixels, 5 classes.
func smallDataset(t testing.TB) *Dataset {
	t.Helper()
	images := &IDX{Name: "img", Dims: []int{4, 3}, Data: []byte{0, 255, 51, 1, 2, 3, 10, 20, 30, 100, 200, 250}}
	labels := &IDX{Name: "lab", Dims: []int{4}, Data: []byte{4, 0, 2, 4}}
	d, err := NewDataset("small", images, labels, 5)
	require.NoError(t, err)
	return d
}

func TestNewDataset(t *testing.T) {
	img3 := &IDX{Name: "img3", Dims: []int{2, 2, 3}, Data: seqBytes(12, 0)}
	img2 := &IDX{Name: "img2", Dims: []int{2, 6}, Data: seqBytes(12, 0)}
	lab := &IDX{Name: "lab", Dims: []int{2}, Data: []byte{1, 9}}
	tests := []struct {
		name         string
		images       *IDX
		labels       *IDX
		classes      int
		wantFeatures int
		wantErr      error
		wantMsg      []string
	}{
		{name: "N rows cols", images: img3, labels: lab, classes: 10, wantFeatures: 6},
		{name: "N features", images: img2, labels: lab, classes: 10, wantFeatures: 6},
		{name: "empty", images: &IDX{Dims: []int{0, 4}}, labels: &IDX{Dims: []int{0}}, classes: 10, wantFeatures: 4},
		{name: "nil images", labels: lab, classes: 10, wantErr: ErrShape},
		{name: "nil labels", images: img3, classes: 10, wantErr: ErrShape},
		{name: "1-d images", images: &IDX{Name: "flat", Dims: []int{12}, Data: seqBytes(12, 0)}, labels: lab, classes: 10,
			wantErr: ErrShape, wantMsg: []string{"flat", "[12]"}},
		{name: "4-d images", images: &IDX{Name: "rgb", Dims: []int{2, 1, 2, 3}, Data: seqBytes(12, 0)}, labels: lab, classes: 10,
			wantErr: ErrShape, wantMsg: []string{"rgb"}},
		{name: "zero features", images: &IDX{Name: "z", Dims: []int{2, 0, 5}}, labels: lab, classes: 10, wantErr: ErrShape},
		{name: "2-d labels", images: img3, labels: &IDX{Name: "lab2", Dims: []int{2, 1}, Data: []byte{1, 2}}, classes: 10,
			wantErr: ErrShape, wantMsg: []string{"lab2"}},
		{name: "count mismatch", images: img3, labels: &IDX{Name: "lab3", Dims: []int{3}, Data: []byte{1, 2, 3}}, classes: 10,
			wantErr: ErrCountMismatch, wantMsg: []string{"2 images in img3", "3 labels in lab3"}},
		{name: "label out of range", images: img3, labels: lab, classes: 9,
			wantErr: ErrLabelRange, wantMsg: []string{"label 9 at index 1", "below 9"}},
		{name: "data shorter than dims", images: &IDX{Name: "short", Dims: []int{2, 6}, Data: seqBytes(11, 0)}, labels: lab, classes: 10,
			wantErr: ErrShape},
		{name: "zero classes", images: img3, labels: lab, classes: 0, wantErr: ErrShape},
		{name: "too many classes", images: img3, labels: lab, classes: 257, wantErr: ErrShape},
		{name: "negative count", images: &IDX{Dims: []int{-1, 3}}, labels: &IDX{Dims: []int{-1}}, classes: 10, wantErr: ErrShape},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := NewDataset("ds", tt.images, tt.labels, tt.classes)
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				assert.Contains(t, err.Error(), "ds")
				for _, m := range tt.wantMsg {
					assert.Contains(t, err.Error(), m)
				}
				return
			}
			require.NoError(t, err)
			assert.Equal(t, "ds", d.Name)
			assert.Equal(t, tt.images.Dims[0], d.Len())
			assert.Equal(t, tt.wantFeatures, d.Features())
			assert.Equal(t, tt.classes, d.Classes())
		})
	}
}

func TestDatasetValidate(t *testing.T) {
	tests := []struct {
		name    string
		mutate  func(d *Dataset)
		wantErr error
	}{
		{name: "valid", mutate: func(*Dataset) {}},
		{name: "short images", mutate: func(d *Dataset) { d.Images = d.Images[1:] }, wantErr: ErrShape},
		{name: "short labels", mutate: func(d *Dataset) { d.Labels = d.Labels[1:] }, wantErr: ErrCountMismatch},
		{name: "bad label", mutate: func(d *Dataset) { d.Labels[3] = 5 }, wantErr: ErrLabelRange},
		{name: "zero features", mutate: func(d *Dataset) { d.NumFeatures = 0 }, wantErr: ErrShape},
		{name: "negative N", mutate: func(d *Dataset) { d.N = -1 }, wantErr: ErrShape},
		{name: "N×features overflows", mutate: func(d *Dataset) { d.N, d.NumFeatures = 1<<40, 1<<40 }, wantErr: ErrShape},
		{name: "no classes", mutate: func(d *Dataset) { d.NumClasses = 0 }, wantErr: ErrShape},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := smallDataset(t)
			tt.mutate(d)
			err := d.Validate()
			if tt.wantErr == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tt.wantErr)
			assert.Contains(t, err.Error(), "small")
		})
	}
}

func TestDatasetBatch(t *testing.T) {
	d := smallDataset(t)
	tests := []struct {
		name       string
		idx        []int
		wantX      []float32
		wantY      []float32
		wantLabels []int
	}{
		{
			name:       "two samples",
			idx:        []int{0, 2},
			wantX:      []float32{0, 1, 51.0 / 255, 10.0 / 255, 20.0 / 255, 30.0 / 255},
			wantY:      []float32{0, 0, 0, 0, 1, 0, 0, 1, 0, 0},
			wantLabels: []int{4, 2},
		},
		{
			name:       "repeat and reverse",
			idx:        []int{3, 1, 3},
			wantX:      []float32{100.0 / 255, 200.0 / 255, 250.0 / 255, 1.0 / 255, 2.0 / 255, 3.0 / 255, 100.0 / 255, 200.0 / 255, 250.0 / 255},
			wantY:      []float32{0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1},
			wantLabels: []int{4, 0, 4},
		},
		{name: "empty", idx: []int{}, wantX: []float32{}, wantY: []float32{}, wantLabels: []int{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := len(tt.idx)
			// Fill with stale values, and one spare row, to check that the
			// rows are fully overwritten and the spare is left alone.
			x := filled(make([]float32, (n+1)*d.Features()), -7)
			y := filled(make([]float32, (n+1)*d.Classes()), -7)
			labels := make([]int, n+1)
			labels[n] = -7
			d.Batch(context.Background(), tt.idx, x, y, labels)
			assert.Equal(t, tt.wantX, x[:n*d.Features()])
			assert.Equal(t, tt.wantY, y[:n*d.Classes()])
			assert.Equal(t, tt.wantLabels, labels[:n])
			assert.Equal(t, filled(make([]float32, d.Features()), -7), x[n*d.Features():])
			assert.Equal(t, filled(make([]float32, d.Classes()), -7), y[n*d.Classes():])
			assert.Equal(t, -7, labels[n])
		})
	}
}

// filled sets every element of s to v and returns s.
func filled(s []float32, v float32) []float32 {
	for i := range s {
		s[i] = v
	}
	return s
}

func TestDatasetBatchExactPixelValues(t *testing.T) {
	pix := make([]byte, 256)
	for i := range pix {
		pix[i] = byte(i)
	}
	d, err := NewDataset("all", &IDX{Dims: []int{1, 256}, Data: pix}, &IDX{Dims: []int{1}, Data: []byte{0}}, 1)
	require.NoError(t, err)
	x := make([]float32, 256)
	d.Batch(context.Background(), []int{0}, x, make([]float32, 1), make([]int, 1))
	for p := range 256 {
		require.Equal(t, float32(p)/255, x[p], "pixel %d", p)
	}
	assert.Equal(t, float32(0), x[0])
	assert.Equal(t, float32(1), x[255])
}

func TestDatasetBatchAllocatesNothing(t *testing.T) {
	d := smallDataset(t)
	idx := []int{3, 0, 2, 1}
	x := make([]float32, len(idx)*d.Features())
	y := make([]float32, len(idx)*d.Classes())
	labels := make([]int, len(idx))
	var src Source = d
	allocs := testing.AllocsPerRun(100, func() { src.Batch(context.Background(), idx, x, y, labels) })
	assert.Zero(t, allocs)
}

func TestDatasetBatchPanicsOnMisuse(t *testing.T) {
	d := smallDataset(t)
	tests := []struct {
		name   string
		idx    []int
		x, y   int
		labels int
	}{
		{name: "index too big", idx: []int{4}, x: 3, y: 5, labels: 1},
		{name: "negative index", idx: []int{-1}, x: 3, y: 5, labels: 1},
		{name: "short x", idx: []int{0, 1}, x: 5, y: 10, labels: 2},
		{name: "short y", idx: []int{0, 1}, x: 6, y: 9, labels: 2},
		{name: "short labels", idx: []int{0, 1}, x: 6, y: 10, labels: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := d.Batch(context.Background(), tt.idx, make([]float32, tt.x), make([]float32, tt.y), make([]int, tt.labels))
			assert.ErrorContains(t, err, "small")
		})
	}
}

func TestDatasetSubset(t *testing.T) {
	d := smallDataset(t)
	tests := []struct {
		name       string
		idx        []int
		wantImages []byte
		wantLabels []byte
	}{
		{name: "reordered", idx: []int{2, 0}, wantImages: []byte{10, 20, 30, 0, 255, 51}, wantLabels: []byte{2, 4}},
		{name: "repeated", idx: []int{1, 1}, wantImages: []byte{1, 2, 3, 1, 2, 3}, wantLabels: []byte{0, 0}},
		{name: "empty", idx: nil, wantImages: []byte{}, wantLabels: []byte{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := d.Subset(tt.idx)
			require.NoError(t, s.Validate())
			assert.Equal(t, len(tt.idx), s.Len())
			assert.Equal(t, d.Features(), s.Features())
			assert.Equal(t, d.Classes(), s.Classes())
			assert.Equal(t, tt.wantImages, s.Images)
			assert.Equal(t, tt.wantLabels, s.Labels)
		})
	}
}

func TestDatasetSubsetCopies(t *testing.T) {
	d := smallDataset(t)
	s := d.Subset([]int{0})
	d.Images[0], d.Labels[0] = 99, 1
	assert.Equal(t, byte(0), s.Images[0])
	assert.Equal(t, byte(4), s.Labels[0])
}

func TestDatasetSubsetPanicsOnBadIndex(t *testing.T) {
	d := smallDataset(t)
	assert.Panics(t, func() { d.Subset([]int{0, 4}) })
	assert.Panics(t, func() { d.Subset([]int{-1}) })
}

// TestSplitInPlace checks that SplitInPlace gives what Subset gives, for
// TrainTestSplit's parts and for a hand-made order with long cycles, and
// that a bad split is refused with d left as it was.
func TestSplitInPlace(t *testing.T) {
	build := func(n int) *Dataset {
		d := &Dataset{Name: "t", N: n, NumFeatures: 3, NumClasses: 7, Images: make([]uint8, 3*n), Labels: make([]uint8, n)}
		for i := range n {
			d.Images[3*i], d.Images[3*i+1], d.Images[3*i+2] = uint8(i), uint8(i>>8), uint8(i*7)
			d.Labels[i] = uint8(i % 7)
		}
		return d
	}
	tr, te, err := TrainTestSplit(1000, 0.1, 42)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ a, b []int }{{tr, te}, {[]int{4, 0, 1}, []int{2, 3}}, {nil, []int{1, 0}}, {[]int{0, 1, 2}, nil}} {
		n := len(c.a) + len(c.b)
		ref := build(n)
		wantA, wantB := ref.Subset(c.a), ref.Subset(c.b)
		gotA, gotB, err := build(n).SplitInPlace(c.a, c.b)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(gotA, wantA) || !reflect.DeepEqual(gotB, wantB) {
			t.Fatalf("split of %d+%d differs from Subset", len(c.a), len(c.b))
		}
	}
	for _, c := range []struct{ a, b []int }{{[]int{0, 0}, []int{1}}, {[]int{0, 1}, []int{3}}, {[]int{0}, []int{1}}, {[]int{-1, 1}, []int{2}}} {
		d := build(3)
		if _, _, err := d.SplitInPlace(c.a, c.b); err == nil {
			t.Fatalf("split %v %v accepted", c.a, c.b)
		}
		if !reflect.DeepEqual(d, build(3)) {
			t.Fatalf("refused split %v %v changed the data set", c.a, c.b)
		}
	}
}
