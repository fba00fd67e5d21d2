package data

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"errors"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestNPYHeaderMatchesNumpy compares npyHeader with the headers numpy
// wrote into testdata/npy/headers.txt (scripts/golden/npy_header_fixtures.py).
func TestNPYHeaderMatchesNumpy(t *testing.T) {
	f, err := os.Open(npyPath("headers.txt"))
	require.NoError(t, err)
	defer f.Close()
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		require.Len(t, fields, 3)
		var shape []int
		if fields[1] != "-" {
			for _, s := range strings.Split(fields[1], ",") {
				d, err := strconv.Atoi(s)
				require.NoError(t, err)
				shape = append(shape, d)
			}
		}
		want, err := hex.DecodeString(fields[2])
		require.NoError(t, err)
		got, err := npyHeader(fields[0], shape)
		require.NoError(t, err)
		assert.Equal(t, string(want), string(got), "%s %v", fields[0], shape)
		assert.Zero(t, len(got)%64, "%s %v: data starts at %d", fields[0], shape, len(got))
		n++
	}
	require.NoError(t, sc.Err())
	require.Equal(t, 26, n, "headers in the fixture")
}

// TestNPYWriterMatchesNumpy writes the fixtures' arrays again and compares
// them with the files numpy wrote (scripts/golden/npy_fixtures.py).
func TestNPYWriterMatchesNumpy(t *testing.T) {
	x3 := make([]float32, 0, 18)
	for i := range 3 {
		for j := range 2 {
			for k := range 3 {
				x3 = append(x3, float32(100*i+10*j+k))
			}
		}
	}
	for _, tc := range []struct {
		file  string
		dtype string
		shape []int
		f32   []float32
		f64   []float64
		chunk int
	}{
		{"x_f4_le.npy", "<f4", []int{3, 4}, fixtureX, nil, 4},
		{"x_f4_le.npy", "<f4", []int{3, 4}, fixtureX, nil, 5}, // chunks across rows
		{"x_f8_le.npy", "<f8", []int{3, 4}, fixtureX, nil, 4}, // float32 widened
		{"y_f8_le.npy", "<f8", []int{3}, nil, fixtureY, 1},
		{"y_half.npy", "<f8", []int{3}, nil, []float64{0.5, -1.5, 2.25}, 3},
		{"y_col.npy", "<f8", []int{3, 1}, nil, fixtureY, 2},
		{"x3_c.npy", "<f4", []int{3, 2, 3}, x3, nil, 6},
		{"x_1d.npy", "<f4", []int{3}, []float32{0, 1, 2}, nil, 3},
	} {
		t.Run(tc.file+"/"+strconv.Itoa(tc.chunk), func(t *testing.T) {
			want, err := os.ReadFile(npyPath(tc.file))
			require.NoError(t, err)
			var b bytes.Buffer
			w, err := NewNPYWriter(&b, tc.dtype, tc.shape...)
			require.NoError(t, err)
			for i := 0; i < len(tc.f32); i += tc.chunk {
				require.NoError(t, w.WriteFloat32(tc.f32[i:min(i+tc.chunk, len(tc.f32))]))
			}
			for i := 0; i < len(tc.f64); i += tc.chunk {
				require.NoError(t, w.WriteFloat64(tc.f64[i:min(i+tc.chunk, len(tc.f64))]))
			}
			require.NoError(t, w.Close())
			assert.Equal(t, want, b.Bytes())
		})
	}
}

// TestNPYWriterRoundTrip writes a data set larger than the writer's buffer
// and reads it back with ReadNPY.
func TestNPYWriterRoundTrip(t *testing.T) {
	const n, f = 1000, 37
	x := make([]float32, n*f)
	y := make([]float64, n)
	for i := range x {
		x[i] = float32(i)*0.25 - 3000
	}
	for i := range y {
		y[i] = float64(i%7) + 0.125
	}
	dir := t.TempDir()
	write := func(name string, dtype string, shape []int, put func(w *NPYWriter) error) string {
		var b bytes.Buffer
		w, err := NewNPYWriter(&b, dtype, shape...)
		require.NoError(t, err)
		require.NoError(t, put(w))
		require.NoError(t, w.Close())
		return writeTestFile(t, dir, name, b.Bytes())
	}
	xp := write("x.npy", "<f4", []int{n, f}, func(w *NPYWriter) error {
		for i := range n {
			if err := w.WriteFloat32(x[i*f : (i+1)*f]); err != nil {
				return err
			}
		}
		return nil
	})
	yp := write("y.npy", "<f8", []int{n}, func(w *NPYWriter) error { return w.WriteFloat64(y) })
	tb, err := ReadNPY(xp, yp)
	require.NoError(t, err)
	assert.Equal(t, n, tb.N)
	assert.Equal(t, f, tb.F)
	assert.Equal(t, x, tb.X)
	assert.Equal(t, y, tb.Y)
}

func TestNPYWriterErrors(t *testing.T) {
	_, err := NewNPYWriter(&bytes.Buffer{}, "<i4", 3)
	assert.ErrorContains(t, err, `dtype "<i4" is not supported`)
	_, err = NewNPYWriter(&bytes.Buffer{}, "<f4", 3, -1)
	assert.ErrorContains(t, err, "negative dimension")
	_, err = NewNPYWriter(&bytes.Buffer{}, "<f8", math.MaxInt, math.MaxInt, 2)
	assert.ErrorContains(t, err, "too many values")

	w, err := NewNPYWriter(&bytes.Buffer{}, "<f4", 2, 2)
	require.NoError(t, err)
	require.NoError(t, w.WriteFloat32([]float32{1, 2, 3}))
	assert.ErrorContains(t, w.Close(), "3 values written, the shape holds 4")

	w, err = NewNPYWriter(&bytes.Buffer{}, "<f4", 2, 2)
	require.NoError(t, err)
	assert.ErrorContains(t, w.WriteFloat32([]float32{1, 2, 3, 4, 5}), "exceed the 4")
	assert.ErrorContains(t, w.WriteFloat32([]float32{1}), "exceed the 4", "errors stick")

	w, err = NewNPYWriter(&bytes.Buffer{}, "<f4", 1)
	require.NoError(t, err)
	assert.ErrorContains(t, w.WriteFloat64([]float64{1}), "would round")
	require.NoError(t, w.WriteFloat32([]float32{1}))
	require.NoError(t, w.Close())
	assert.ErrorContains(t, w.WriteFloat32([]float32{1}), "after Close")

	broken := errors.New("disk full")
	_, err = NewNPYWriter(failWriter{broken}, "<f4", 1)
	assert.ErrorIs(t, err, broken)
}

// failWriter fails every write with err.
type failWriter struct{ err error }

func (w failWriter) Write([]byte) (int, error) { return 0, w.err }

func TestNPYWriterAllocatesNothingPerWrite(t *testing.T) {
	w, err := NewNPYWriter(discard{}, "<f4", 1<<30, 8)
	require.NoError(t, err)
	row := make([]float32, 8)
	allocs := testing.AllocsPerRun(1000, func() { _ = w.WriteFloat32(row) })
	assert.Zero(t, allocs)
}

// discard is io.Discard without its ReaderFrom, as a plain writer.
type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// After a failed write, Close reports that failure and writes nothing more.
func TestNPYWriterCloseAfterFailure(t *testing.T) {
	var b bytes.Buffer
	w, err := NewNPYWriter(&b, "<f4", 2)
	require.NoError(t, err)
	require.Error(t, w.WriteFloat32([]float32{1, 2, 3}))
	n := b.Len()
	assert.ErrorContains(t, w.Close(), "exceed the 2")
	assert.ErrorContains(t, w.Close(), "exceed the 2")
	assert.Equal(t, n, b.Len())
}
