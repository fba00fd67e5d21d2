package data

import (
	"bytes"
	"context"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/descent-ml/descent/internal/inputfile"
)

// npyBackings are the two ways an NPYMatrix reads its file.
var npyBackings = []struct {
	name string
	back func(*os.File, int64) (npyBacking, error)
}{
	{"mmap", mapFile},
	{"ReadAt", readAtFile},
}

// TestNPYMatrixFixtures reads the numpy-written fixtures of every dtype and
// byte order row by row, in a shuffled order with repeats, and compares
// with the values the fixture script wrote (10·i + j, or its parity for
// bool).
func TestNPYMatrixFixtures(t *testing.T) {
	var files []string
	for _, dt := range []string{"f2", "f4", "f8", "i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8"} {
		files = append(files, "x_"+dt+"_le.npy", "x_"+dt+"_be.npy")
	}
	files = append(files, "x_b1.npy")
	idx := []int{2, 0, 2, 1, 1}
	for _, b := range npyBackings {
		for _, file := range files {
			t.Run(b.name+"/"+file, func(t *testing.T) {
				m, err := openNPYMatrix(npyPath(file), b.back)
				require.NoError(t, err)
				defer m.Close()
				assert.Equal(t, npyPath(file), m.Name())
				require.Equal(t, 3, m.Rows())
				require.Equal(t, 4, m.Cols())
				dst := make([]float32, len(idx)*4)
				require.NoError(t, m.ReadRows(context.Background(), idx, dst))
				var want []float32
				for _, r := range idx {
					for j := range 4 {
						v := fixtureX[r*4+j]
						if file == "x_b1.npy" {
							v = float32(int(v) % 2)
						}
						want = append(want, v)
					}
				}
				assert.Equal(t, want, dst)
			})
		}
	}
}

func TestNPYMatrixShapes(t *testing.T) {
	for _, tc := range []struct {
		file       string
		rows, cols int
		want       []float32 // all rows
	}{
		{"x3_c.npy", 3, 6, []float32{0, 1, 2, 10, 11, 12, 100, 101, 102, 110, 111, 112, 200, 201, 202, 210, 211, 212}},
		{"y_col.npy", 3, 1, []float32{0, 1, 2}},
		{"y_col_fortran.npy", 3, 1, []float32{0, 1, 2}}, // (3, 1): Fortran and C order agree
	} {
		t.Run(tc.file, func(t *testing.T) {
			m, err := OpenNPYMatrix(npyPath(tc.file))
			require.NoError(t, err)
			defer m.Close()
			require.Equal(t, tc.rows, m.Rows())
			require.Equal(t, tc.cols, m.Cols())
			dst := make([]float32, tc.rows*tc.cols)
			require.NoError(t, m.ReadRows(context.Background(), []int{0, 1, 2}, dst))
			assert.Equal(t, tc.want, dst)
		})
	}
}

func TestOpenNPYMatrixRefuses(t *testing.T) {
	good, err := os.ReadFile(npyPath("x_f8_le.npy"))
	require.NoError(t, err)
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.npy")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	for _, tc := range []struct {
		name string
		path string
		want string
	}{
		{"Fortran order", npyPath("x_fortran.npy"), "Fortran (column-major) order"},
		{"Fortran order 3-D", npyPath("x3_fortran.npy"), "numpy.ascontiguousarray"},
		{"1-D", npyPath("x_1d.npy"), "features of shape [3]; expected (N, F)"},
		{"complex", npyPath("x_c8.npy"), "dtype '<c8' is not supported (complex)"},
		{"strings", npyPath("x_str.npy"), "is not supported (strings)"},
		{"structured", npyPath("x_struct.npy"), "structured"},
		{"truncated", writeTestFile(t, dir, "short.npy", good[:len(good)-1]), "needs 96 data bytes, the file has 95"},
		{"extra byte", writeTestFile(t, dir, "long.npy", append(bytes.Clone(good), 0)), "needs 96 data bytes, the file has 97"},
		{"lying shape", writeTestFile(t, dir, "lie.npy", npyBytes("<f4", false, "(10000000000000, 1000000)", nil)), "holds more than"},
		{"lying shape that fits int64", writeTestFile(t, dir, "lie2.npy", npyBytes("<f4", false, "(100000000, 1000)", nil)), "needs 400000000000 data bytes, the file has 0"},
		{"no samples", writeTestFile(t, dir, "empty.npy", npyBytes("<f4", false, "(0, 4)", nil)), "no data"},
		{"not npy", writeTestFile(t, dir, "text.npy", []byte("hello, world\n")), "not a .npy file"},
		{"tiny", writeTestFile(t, dir, "tiny.npy", []byte("\x93NUMPY")), "too short"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := OpenNPYMatrix(tc.path)
			require.Error(t, err)
			assert.Nil(t, m)
			assert.ErrorIs(t, err, ErrBadTable)
			assert.ErrorContains(t, err, tc.path)
			assert.ErrorContains(t, err, tc.want)
		})
	}
	_, err = OpenNPYMatrix(fifo)
	assert.ErrorIs(t, err, inputfile.ErrNotRegular)
	_, err = OpenNPYMatrix(filepath.Join(dir, "absent.npy"))
	assert.ErrorIs(t, err, os.ErrNotExist)
}

func TestNPYMatrixBadValues(t *testing.T) {
	dir := t.TempDir()
	inf32 := f32Bytes(0, 1, 2, 3, 4, 5, float32(math.Inf(-1)), 7)
	for _, tc := range []struct {
		name, path string
		row        int
		want       string
	}{
		{"NaN float64", npyPath("x_nan.npy"), 1, "sample 1, feature 2 is NaN, not a finite float32"},
		{"float32 overflow", npyPath("x_overflow.npy"), 2, "sample 2, feature 3 is 1e+300, not a finite float32"},
		{"infinity float32 fast path", writeTestFile(t, dir, "inf.npy", npyBytes("<f4", false, "(2, 4)", inf32)), 1, "sample 1, feature 2 is -Inf"},
		{"infinity float32 big-endian", writeTestFile(t, dir, "inf_be.npy", npyBytes(">f4", false, "(2, 4)", swap32(inf32))), 1, "sample 1, feature 2 is -Inf"},
		{"bad bool", writeTestFile(t, dir, "bool.npy", npyBytes("|b1", false, "(2, 2)", []byte{0, 1, 1, 7})), 1, "sample 1, feature 1: bool value 7"},
	} {
		for _, b := range npyBackings {
			t.Run(tc.name+"/"+b.name, func(t *testing.T) {
				m, err := openNPYMatrix(tc.path, b.back)
				require.NoError(t, err, "a bad value is found when read, not at open")
				defer m.Close()
				dst := make([]float32, m.Cols())
				require.NoError(t, m.ReadRows(context.Background(), []int{0}, dst), "the other rows read")
				err = m.ReadRows(context.Background(), []int{tc.row}, dst)
				assert.ErrorIs(t, err, ErrBadTable)
				assert.ErrorContains(t, err, tc.path+": bad data file: "+tc.want)
			})
		}
	}
}

// swap32 reverses the bytes of each 4-byte word of b.
func swap32(b []byte) []byte {
	out := bytes.Clone(b)
	for i := 0; i+4 <= len(out); i += 4 {
		out[i], out[i+1], out[i+2], out[i+3] = out[i+3], out[i+2], out[i+1], out[i]
	}
	return out
}

func TestNPYMatrixReadRowsErrors(t *testing.T) {
	for _, b := range npyBackings {
		t.Run(b.name, func(t *testing.T) {
			m, err := openNPYMatrix(npyPath("x_f4_le.npy"), b.back)
			require.NoError(t, err)
			dst := make([]float32, 8)
			ctx := context.Background()
			assert.ErrorContains(t, m.ReadRows(ctx, []int{0, 3}, dst), "sample 3 out of range: the file has 3")
			assert.ErrorContains(t, m.ReadRows(ctx, []int{-1, 0}, dst), "sample -1 out of range")
			assert.ErrorContains(t, m.ReadRows(ctx, []int{0}, dst), "dst holds 8 values, 1 rows of 4 need 4")
			canceled, cancel := context.WithCancel(ctx)
			cancel()
			assert.Equal(t, context.Canceled, m.ReadRows(canceled, []int{0, 1}, dst))
			require.NoError(t, m.ReadRows(ctx, []int{0, 1}, dst))
			require.NoError(t, m.Close())
			require.NoError(t, m.Close(), "Close is idempotent")
			err = m.ReadRows(ctx, []int{0, 1}, dst)
			assert.ErrorIs(t, err, os.ErrClosed)
			assert.ErrorContains(t, err, "x_f4_le.npy")
		})
	}
}

// TestNPYMatrixRelease reads with a tiny budget, so the mapping's pages are
// handed back between reads, and checks the values survive.
func TestNPYMatrixRelease(t *testing.T) {
	for _, file := range []string{"x_f4_le.npy", "x_u2_be.npy"} {
		m, err := OpenNPYMatrix(npyPath(file))
		require.NoError(t, err)
		m.budget.max = 1
		dst := make([]float32, 4)
		for r := range 3 {
			for range 3 {
				require.NoError(t, m.ReadRows(context.Background(), []int{r}, dst))
				assert.Equal(t, fixtureX[r*4:(r+1)*4], dst, file)
			}
		}
		require.NoError(t, m.Close())
	}
}

func TestNPYMatrixAllocatesNothing(t *testing.T) {
	for _, file := range []string{"x_f4_le.npy", "x_f8_be.npy", "x_u1_le.npy"} {
		for _, b := range npyBackings {
			m, err := openNPYMatrix(npyPath(file), b.back)
			require.NoError(t, err)
			idx := []int{2, 0, 1, 1}
			dst := make([]float32, len(idx)*m.Cols())
			ctx, cancel := context.WithCancel(context.Background())
			allocs := testing.AllocsPerRun(100, func() {
				if err := m.ReadRows(ctx, idx, dst); err != nil {
					t.Fatal(err)
				}
			})
			cancel()
			assert.Zero(t, allocs, "%s via %s", file, b.name)
			require.NoError(t, m.Close())
		}
	}
}

func TestReadNPYTargets(t *testing.T) {
	for _, file := range []string{"y_f8_le.npy", "y_u2_be.npy", "y_i8_le.npy", "y_b1.npy", "y_col.npy", "y_col_fortran.npy", "y_half.npy"} {
		y, err := ReadNPYTargets(npyPath(file))
		require.NoError(t, err, file)
		switch file {
		case "y_b1.npy":
			assert.Equal(t, []float64{0, 1, 0}, y)
		case "y_half.npy":
			assert.Equal(t, []float64{0.5, -1.5, 2.25}, y)
		default:
			assert.Equal(t, fixtureY, y, file)
		}
	}
	dir := t.TempDir()
	for _, tc := range []struct{ path, want string }{
		{npyPath("x_f8_le.npy"), "targets of shape [3 4]; expected (N) or (N, 1)"},
		{npyPath("y_i8_big.npy"), "target of sample 1 is 9007199254740993, an integer beyond 2⁵³"},
		{writeTestFile(t, dir, "nan.npy", npyBytes("<f8", false, "(2,)", f64Bytes(1, math.NaN()))), "target of sample 1 is NaN"},
		{writeTestFile(t, dir, "empty.npy", npyBytes("<f8", false, "(0,)", nil)), "no data"},
	} {
		_, err := ReadNPYTargets(tc.path)
		assert.ErrorIs(t, err, ErrBadTable, tc.path)
		assert.ErrorContains(t, err, tc.want)
	}
}

// writeBenchNPY writes an (n, f) '<f4' file of random values with
// NPYWriter and returns its path and the values.
func writeBenchNPY(tb testing.TB, n, f int) (string, []float32) {
	tb.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	x := make([]float32, n*f)
	for i := range x {
		x[i] = rng.Float32()
	}
	path := filepath.Join(tb.TempDir(), "x.npy")
	out, err := os.Create(path)
	require.NoError(tb, err)
	w, err := NewNPYWriter(out, "<f4", n, f)
	require.NoError(tb, err)
	require.NoError(tb, w.WriteFloat32(x))
	require.NoError(tb, w.Close())
	require.NoError(tb, out.Close())
	return path, x
}

// TestNPYMatrixLarge reads random batches from a file larger than one
// release budget and compares with the values written.
func TestNPYMatrixLarge(t *testing.T) {
	const n, f = 3000, 100
	path, x := writeBenchNPY(t, n, f)
	m, err := OpenNPYMatrix(path)
	require.NoError(t, err)
	defer m.Close()
	m.budget.max = 1 << 20
	rng := rand.New(rand.NewPCG(3, 4))
	idx := make([]int, 64)
	dst := make([]float32, len(idx)*f)
	for range 50 {
		for i := range idx {
			idx[i] = rng.IntN(n)
		}
		require.NoError(t, m.ReadRows(context.Background(), idx, dst))
		for k, r := range idx {
			if !assert.Equal(t, x[r*f:(r+1)*f], dst[k*f:(k+1)*f]) {
				return
			}
		}
	}
}

// BenchmarkNPYMatrixReadRows reads random batches of 128 rows of 784
// float32 from a mapped file, against copying the same rows from memory.
func BenchmarkNPYMatrixReadRows(b *testing.B) {
	const n, f, batch = 20000, 784, 128
	path, x := writeBenchNPY(b, n, f)
	rng := rand.New(rand.NewPCG(5, 6))
	idx := make([]int, batch)
	dst := make([]float32, batch*f)
	next := func() {
		for i := range idx {
			idx[i] = rng.IntN(n)
		}
	}
	b.Run("memory", func(b *testing.B) {
		b.SetBytes(batch * f * 4)
		for b.Loop() {
			next()
			for k, r := range idx {
				copy(dst[k*f:(k+1)*f], x[r*f:(r+1)*f])
			}
		}
	})
	// mmap hands its pages back every 64 MiB of estimated residence, so
	// most rows cost a page fault, as they would in a file far larger than
	// that; mmap-resident never does, and shows the copy and check alone.
	for _, bk := range []struct {
		name   string
		back   func(*os.File, int64) (npyBacking, error)
		budget int64
	}{
		{"mmap", mapFile, npyReleaseBytes},
		{"mmap-resident", mapFile, math.MaxInt64},
		{"readat", readAtFile, 0},
	} {
		b.Run(bk.name, func(b *testing.B) {
			m, err := openNPYMatrix(path, bk.back)
			require.NoError(b, err)
			defer m.Close()
			m.budget.max = bk.budget
			ctx := context.Background()
			b.SetBytes(batch * f * 4)
			for b.Loop() {
				next()
				if err := m.ReadRows(ctx, idx, dst); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkNPYMatrixReadRowsUint8 reads random batches of 128 rows of 784
// uint8 (MNIST's layout) from a mapped file, resident.
func BenchmarkNPYMatrixReadRowsUint8(b *testing.B) {
	const n, f, batch = 20000, 784, 128
	path := writeTestFile(b, b.TempDir(), "u1.npy", npyBytes("|u1", false, "(20000, 784)", seqBytes(n*f, 0)))
	m, err := OpenNPYMatrix(path)
	require.NoError(b, err)
	defer m.Close()
	m.budget.max = math.MaxInt64
	rng := rand.New(rand.NewPCG(5, 6))
	idx := make([]int, batch)
	dst := make([]float32, batch*f)
	ctx := context.Background()
	b.SetBytes(batch * f * 4)
	for b.Loop() {
		for i := range idx {
			idx[i] = rng.IntN(n)
		}
		if err := m.ReadRows(ctx, idx, dst); err != nil {
			b.Fatal(err)
		}
	}
}
