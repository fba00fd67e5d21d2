package data

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// writeNPY32 writes rows×cols float32 values to path as a .npy file.
func writeNPY32(t *testing.T, path string, x []float32, rows, cols int) {
	t.Helper()
	f, err := os.Create(path)
	require.NoError(t, err)
	w, err := NewNPYWriter(f, "<f4", rows, cols)
	require.NoError(t, err)
	require.NoError(t, w.WriteFloat32(x))
	require.NoError(t, w.Close())
	require.NoError(t, f.Close())
}

// A StreamSource serves the same batches as a TableSource of the same
// values, for every task, through subsets too.
func TestStreamSourceMatchesTableSource(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		task Task
		y    []float64
	}{
		{TaskClassification, []float64{7, 5, 6, 7}},
		{TaskBinary, []float64{-1, 1, -1, 1}},
		{TaskRegression, []float64{0.5, -2, 3, 1e3}},
	} {
		t.Run(tt.task.String(), func(t *testing.T) {
			tab := tinyTable(tt.y...)
			path := filepath.Join(t.TempDir(), "x.npy")
			writeNPY32(t, path, tab.X, tab.N, tab.F)
			m, err := OpenNPYMatrix(path)
			require.NoError(t, err)
			defer m.Close()
			enc, err := NewEncoding(tt.task, tt.y)
			require.NoError(t, err)
			mem, err := NewTableSource(tab, enc)
			require.NoError(t, err)
			disk, err := NewStreamSource(m, tt.y, enc)
			require.NoError(t, err)
			memSub, err := mem.Subset([]int{3, 0, 2})
			require.NoError(t, err)
			diskSub, err := disk.Subset([]int{3, 0, 2})
			require.NoError(t, err)
			for _, pair := range [][2]Source{{mem, disk}, {memSub, diskSub}} {
				a, b := pair[0], pair[1]
				require.Equal(t, a.Len(), b.Len())
				require.Equal(t, a.Targets(), b.Targets())
				require.Equal(t, a.Classes(), b.Classes())
				idx := []int{2, 0, 1}
				xa, ya, la := make([]float32, 6), make([]float32, 3*a.Targets()), make([]int, 3)
				xb, yb, lb := make([]float32, 6), make([]float32, 3*a.Targets()), make([]int, 3)
				require.NoError(t, a.Batch(ctx, idx, xa, ya, la))
				require.NoError(t, b.Batch(ctx, idx, xb, yb, lb))
				assert.Equal(t, xa, xb)
				assert.Equal(t, ya, yb)
				assert.Equal(t, la, lb)
				assert.Zero(t, testing.AllocsPerRun(20, func() { _ = b.Batch(ctx, idx, xb, yb, lb) }))
			}
			cancelled, cancel := context.WithCancel(ctx)
			cancel()
			err = disk.Batch(cancelled, []int{0}, make([]float32, 2), make([]float32, 3), make([]int, 1))
			assert.ErrorIs(t, err, context.Canceled)
		})
	}
}

func TestStreamSourceRefuses(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.npy")
	writeNPY32(t, path, []float32{1, 2, 3, 4}, 2, 2)
	m, err := OpenNPYMatrix(path)
	require.NoError(t, err)
	defer m.Close()
	_, err = NewStreamSource(m, []float64{1}, Encoding{Task: TaskRegression})
	assert.ErrorContains(t, err, "2 samples of features but 1 targets")
	_, err = NewStreamSource(m, []float64{0, 9}, Encoding{Task: TaskBinary, Values: []float64{0, 1}})
	assert.ErrorContains(t, err, "the target of sample 1 is 9, which is not one of the classes (0, 1)")
	s, err := NewStreamSource(m, []float64{0, 1}, Encoding{Task: TaskRegression})
	require.NoError(t, err)
	assert.ErrorContains(t, s.Batch(context.Background(), []int{2}, make([]float32, 2), make([]float32, 1), nil), "batch index 2 out of range [0, 2)")
	require.NoError(t, m.Close())
	assert.Error(t, s.Batch(context.Background(), []int{0}, make([]float32, 2), make([]float32, 1), nil), "reading after Close fails, not crashes")
}
