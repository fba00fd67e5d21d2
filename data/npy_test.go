package data

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/descent-ml/descent/internal/inputfile"
)

const npyDir = "testdata/npy"

func npyPath(name string) string { return filepath.Join(npyDir, name) }

// The fixtures' x (3×4, 10i+j) and y (0, 1, 2), see scripts/golden/npy_fixtures.py.
var (
	fixtureX = []float32{0, 1, 2, 3, 10, 11, 12, 13, 20, 21, 22, 23}
	fixtureY = []float64{0, 1, 2}
)

// npyBytes encodes a .npy v1.0 file with a header dict built from descr,
// fortran and shape (a Python tuple literal), followed by data, so tests
// can write headers that lie.
func npyBytes(descr string, fortran bool, shape string, data []byte) []byte {
	f := "False"
	if fortran {
		f = "True"
	}
	dict := fmt.Sprintf("{'descr': '%s', 'fortran_order': %s, 'shape': %s, }", descr, f, shape)
	return npyRaw(dict, data)
}

// npyRaw encodes a .npy v1.0 file with the given dict literal, padded as
// numpy pads it.
func npyRaw(dict string, data []byte) []byte {
	hlen := len(dict) + 1
	if pad := (10 + hlen) % 64; pad != 0 {
		dict += strings.Repeat(" ", 64-pad)
		hlen = len(dict) + 1
	}
	var b bytes.Buffer
	b.WriteString("\x93NUMPY\x01\x00")
	_ = binary.Write(&b, binary.LittleEndian, uint16(hlen))
	b.WriteString(dict)
	b.WriteByte('\n')
	b.Write(data)
	return b.Bytes()
}

// f64Bytes and f32Bytes encode values little-endian.
func f64Bytes(v ...float64) []byte {
	b := make([]byte, 8*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint64(b[8*i:], math.Float64bits(x))
	}
	return b
}

func f32Bytes(v ...float32) []byte {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return b
}

func writeFile(t testing.TB, dir, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(p, b, 0o644))
	return p
}

// Every accepted dtype, in both byte orders, reads as the same table.
func TestReadNPYDtypes(t *testing.T) {
	for _, dt := range []string{"f2", "f4", "f8", "i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8"} {
		for _, bo := range []string{"le", "be"} {
			name := dt + "_" + bo
			t.Run(name, func(t *testing.T) {
				tb, err := ReadNPY(npyPath("x_"+name+".npy"), npyPath("y_"+name+".npy"))
				require.NoError(t, err)
				assert.Equal(t, 3, tb.N)
				assert.Equal(t, 4, tb.F)
				assert.Equal(t, fixtureX, tb.X)
				assert.Equal(t, fixtureY, tb.Y)
				assert.Equal(t, npyPath("x_"+name+".npy"), tb.Name)
			})
		}
	}
	t.Run("bool", func(t *testing.T) {
		tb, err := ReadNPY(npyPath("x_b1.npy"), npyPath("y_b1.npy"))
		require.NoError(t, err)
		assert.Equal(t, []float32{0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1}, tb.X)
		assert.Equal(t, []float64{0, 1, 0}, tb.Y)
	})
}

// Fortran-ordered arrays are transposed into row-major; 3-D x is flattened
// in C order; y may be (N, 1).
func TestReadNPYLayouts(t *testing.T) {
	var x3 []float32
	for i := range 3 {
		for j := range 2 {
			for k := range 3 {
				x3 = append(x3, float32(100*i+10*j+k))
			}
		}
	}
	for _, tc := range []struct {
		x, y  string
		f     int
		wantX []float32
		wantY []float64
	}{
		{"x_fortran.npy", "y_f8_le.npy", 4, fixtureX, fixtureY},
		{"x_f8_le.npy", "y_col.npy", 4, fixtureX, fixtureY},
		{"x_f8_le.npy", "y_col_fortran.npy", 4, fixtureX, fixtureY},
		{"x3_c.npy", "y_i8_le.npy", 6, x3, fixtureY},
		{"x3_fortran.npy", "y_u1_be.npy", 6, x3, fixtureY},
		{"x_f4_be.npy", "y_half.npy", 4, fixtureX, []float64{0.5, -1.5, 2.25}},
	} {
		t.Run(tc.x+","+tc.y, func(t *testing.T) {
			tb, err := ReadNPY(npyPath(tc.x), npyPath(tc.y))
			require.NoError(t, err)
			assert.Equal(t, 3, tb.N)
			assert.Equal(t, tc.f, tb.F)
			assert.Equal(t, tc.wantX, tb.X)
			assert.Equal(t, tc.wantY, tb.Y)
		})
	}
}

// Fixtures numpy wrote that must be refused, each with a message that says
// why.
func TestReadNPYRefusedFixtures(t *testing.T) {
	for _, tc := range []struct{ x, y, want string }{
		{"x_c8.npy", "y_f8_le.npy", "dtype '<c8' is not supported (complex)"},
		{"x_str.npy", "y_f8_le.npy", "dtype '<U1' is not supported (strings)"},
		{"x_struct.npy", "y_f8_le.npy", "dtype [('a', '<i4'), ('b', '<f8')] is not supported"},
		{"x_1d.npy", "y_f8_le.npy", "features of shape [3]; expected (N, F)"},
		{"x_nan.npy", "y_f8_le.npy", "sample 1, feature 2 is NaN"},
		{"x_overflow.npy", "y_f8_le.npy", "sample 2, feature 3 is 1e+300, not a finite float32"},
		{"x_f8_le.npy", "y_i8_big.npy", "target of sample 1 is 9007199254740993, an integer beyond 2⁵³"},
		{"x_f8_le.npy", "y_2.npy", "3 samples of features in " + npyPath("x_f8_le.npy") + " but 2 targets"},
		{"x_f8_le.npy", "x_f8_le.npy", "targets of shape [3 4]; expected (N) or (N, 1)"},
	} {
		t.Run(tc.x+","+tc.y, func(t *testing.T) {
			_, err := ReadNPY(npyPath(tc.x), npyPath(tc.y))
			require.ErrorIs(t, err, ErrBadTable)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

// Hostile files built here: each is refused with ErrBadTable and a message,
// before anything the size of the declared shape is allocated.
func TestReadNPYHostile(t *testing.T) {
	dir := t.TempDir()
	good := npyBytes("<f8", false, "(3, 4)", f64Bytes(make([]float64, 12)...))
	v2 := append([]byte("\x93NUMPY\x02\x00\xff\xff\xff\xff"), good[10:]...)
	noNewline := bytes.Clone(good)
	noNewline[len(good)-12*8-1] = ' '
	for _, tc := range []struct {
		name string
		x    []byte
		want string
	}{
		{"empty", nil, "0 bytes, too short"},
		{"bad magic", append([]byte("\x93NUMPX"), good[6:]...), "bad magic"},
		{"version 3", append([]byte("\x93NUMPY\x03\x00"), good[8:]...), "version 3.0 is not supported"},
		{"header longer than file", append([]byte("\x93NUMPY\x01\x00\xff\xf0"), good[10:]...), "header of 61695 bytes"},
		{"v2 header of 4 GiB", v2, "header of 4294967295 bytes"},
		{"header without newline", noNewline, "does not end with a newline"},
		{"garbled dict", npyRaw("{'shape': (3, 4), 'descr': '<f8', 'fortran_order': False}", f64Bytes(make([]float64, 12)...)), "bad .npy header"},
		{"not a dict", npyRaw("hello", nil), "bad .npy header"},
		{"truncated data", good[:len(good)-1], "needs 96 data bytes, the file has 95"},
		{"extra data", append(bytes.Clone(good), 0), "needs 96 data bytes, the file has 97"},
		{"lying shape", npyBytes("<f8", false, "(30, 4)", f64Bytes(make([]float64, 12)...)), "needs 960 data bytes, the file has 96"},
		{"huge shape", npyBytes("<f8", false, "(1000000, 1000000, 1000000)", nil), "holds more than 1073741824 values"},
		{"overflowing shape", npyBytes("<f8", false, "(4611686018427387904, 4611686018427387904)", nil), "holds more than"},
		{"over MaxTableValues", npyBytes("<u1", false, "(1073741825, 1)", nil), "holds more than 1073741824 values"},
		{"negative shape", npyBytes("<f8", false, "(-3, 4)", nil), "negative dimension"},
		{"bad shape", npyBytes("<f8", false, "(3, four)", nil), "bad .npy header"},
		{"object", npyBytes("|O", false, "(3, 4)", nil), "dtype '|O' is not supported (Python objects)"},
		{"long double", npyBytes("<f16", false, "(3, 4)", nil), "dtype '<f16' is not supported"},
		{"datetime", npyBytes("<M8", false, "(3, 4)", nil), "dtype '<M8' is not supported (dates and times)"},
		{"bytes", npyBytes("|S4", false, "(3, 4)", nil), "dtype '|S4' is not supported (strings)"},
		{"no byte order", npyBytes("|f8", false, "(3, 4)", nil), "(no byte order)"},
		{"bad bool", npyBytes("|b1", false, "(1, 2)", []byte{1, 7}), "bool value 7"},
		{"inf", npyBytes("<f4", false, "(3, 1)", f32Bytes(1, float32(math.Inf(-1)), 2)), "sample 1, feature 0 is -Inf"},
		{"inf", npyBytes("<f4", false, "(3, 2)", f32Bytes(1, 2, 3, float32(math.Inf(-1)), 5, 6)), "sample 1, feature 1 is -Inf"},
		{"no samples", npyBytes("<f8", false, "(0, 4)", nil), "no data"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x := writeFile(t, dir, "x.npy", tc.x)
			y := writeFile(t, dir, "y.npy", npyBytes("<f8", false, "(3,)", f64Bytes(0, 1, 2)))
			_, err := ReadNPY(x, y)
			require.ErrorIs(t, err, ErrBadTable)
			assert.Contains(t, err.Error(), tc.want)
			assert.Contains(t, err.Error(), x)
		})
	}
}

// A FIFO, a device and a missing file are refused at once, without blocking.
func TestReadNPYNotRegular(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.npy")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	y := writeFile(t, dir, "y.npy", npyBytes("<f8", false, "(3,)", f64Bytes(0, 1, 2)))
	for _, p := range []string{fifo, "/dev/zero"} {
		done := make(chan error, 1)
		go func() { _, err := ReadNPY(p, y); done <- err }()
		go func() { _, _, err := ReadNPZ(p); done <- err }()
		for range 2 {
			select {
			case err := <-done:
				require.ErrorIs(t, err, inputfile.ErrNotRegular)
				assert.Contains(t, err.Error(), p)
			case <-time.After(10 * time.Second):
				t.Fatal("blocked on", p)
			}
		}
	}
	_, err := ReadNPY(filepath.Join(dir, "missing.npy"), y)
	require.ErrorIs(t, err, os.ErrNotExist)
}

func TestReadNPZLayouts(t *testing.T) {
	t.Run("mnist_like", func(t *testing.T) {
		want := map[string][]float64{}
		txt, err := os.ReadFile(npyPath("mnist_like.txt"))
		require.NoError(t, err)
		for line := range strings.SplitSeq(strings.TrimSpace(string(txt)), "\n") {
			f := strings.Fields(line)
			for _, s := range f[1:] {
				v, err := strconv.ParseFloat(s, 64)
				require.NoError(t, err)
				want[f[0]] = append(want[f[0]], v)
			}
		}
		p := npyPath("mnist_like.npz")
		train, test, err := ReadNPZ(p)
		require.NoError(t, err)
		require.NotNil(t, test)
		for _, c := range []struct {
			tb   *Table
			x, y string
			n    int
		}{{train, "x_train", "y_train", 5}, {test, "x_test", "y_test", 2}} {
			assert.Equal(t, c.n, c.tb.N)
			assert.Equal(t, 16, c.tb.F)
			assert.Equal(t, want[c.y], c.tb.Y)
			require.Len(t, c.tb.X, len(want[c.x]))
			for i, v := range want[c.x] {
				assert.Equal(t, float32(v), c.tb.X[i])
			}
		}
		assert.Equal(t, p+":train", train.Name)
		assert.Equal(t, p+":test", test.Name)
	})
	for _, name := range []string{"train_only.npz", "xy.npz"} {
		t.Run(name, func(t *testing.T) {
			train, test, err := ReadNPZ(npyPath(name))
			require.NoError(t, err)
			assert.Nil(t, test)
			assert.Equal(t, fixtureX, train.X)
			assert.Equal(t, fixtureY, train.Y)
			assert.Equal(t, 4, train.F)
		})
	}
}

// zipBytes builds a zip of stored (uncompressed) entries.
func zipBytes(t testing.TB, entries map[string][]byte) []byte {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, name := range slices.Sorted(maps.Keys(entries)) {
		data := entries[name]
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store})
		require.NoError(t, err)
		_, err = w.Write(data)
		require.NoError(t, err)
	}
	require.NoError(t, zw.Close())
	return b.Bytes()
}

func TestReadNPZRefused(t *testing.T) {
	dir := t.TempDir()
	x := npyBytes("<f8", false, "(3, 4)", f64Bytes(make([]float64, 12)...))
	y := npyBytes("<f8", false, "(3,)", f64Bytes(0, 1, 2))

	// A zip whose central directory declares a huge uncompressed size.
	bomb := zipBytes(t, map[string][]byte{"x.npy": x, "y.npy": y})
	cd := bytes.LastIndex(bomb, []byte("PK\x01\x02"+"")) // the last central-directory entry
	require.Positive(t, cd)
	binary.LittleEndian.PutUint32(bomb[cd+24:], 0xFFFFFFF0) // uncompressed size
	// A zip64 entry declaring 1 TiB.
	var hb bytes.Buffer
	zw := zip.NewWriter(&hb)
	w, err := zw.CreateRaw(&zip.FileHeader{Name: "x.npy", Method: zip.Store, CompressedSize64: 1 << 40, UncompressedSize64: 1 << 40})
	require.NoError(t, err)
	_, err = w.Write(x)
	require.NoError(t, err)
	w, err = zw.Create("y.npy")
	require.NoError(t, err)
	_, err = w.Write(y)
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	huge := hb.Bytes()
	// A deflated entry declared to expand 10000-fold.
	ratio := zipBytes(t, map[string][]byte{"x.npy": x, "y.npy": y})
	cd = bytes.LastIndex(ratio, []byte("PK\x01\x02"))
	binary.LittleEndian.PutUint32(ratio[cd+24:], uint32(len(y))*10000)

	// A stored entry whose data no longer matches its CRC-32.
	badCRC := zipBytes(t, map[string][]byte{"x.npy": x, "y.npy": y})
	at := bytes.Index(badCRC, f64Bytes(0, 1, 2))
	require.Positive(t, at)
	badCRC[at+8] ^= 1

	for _, tc := range []struct {
		name string
		b    []byte
		want string
	}{
		{"bad CRC", badCRC, "y.npy: bad data file: zip: checksum error"},
		{"not a zip", x, "not a .npz (zip) file"},
		{"empty zip", zipBytes(t, nil), "it holds the arrays (none); expected x_train, y_train (and optionally x_test, y_test), or x, y"},
		{"other keys", zipBytes(t, map[string][]byte{"a.npy": x, "b.npy": y}), `it holds the arrays "a", "b"; expected`},
		{"half a test set", zipBytes(t, map[string][]byte{"x_train.npy": x, "y_train.npy": y, "x_test.npy": x}), `"x_test", "x_train", "y_train"`},
		{"mixed layouts", zipBytes(t, map[string][]byte{"x.npy": x, "y.npy": y, "x_train.npy": x, "y_train.npy": y}), `"x", "x_train", "y", "y_train"`},
		{"4 GiB from 152 bytes", bomb, "y.npy: bad data file: 152 compressed bytes declared to expand to 4294967280, more than DEFLATE can (a zip bomb)"},
		{"huge declared size", huge, "declared uncompressed size 1099511627776 bytes, the limit is"},
		{"impossible ratio", ratio, "more than DEFLATE can (a zip bomb)"},
		{"bad entry", zipBytes(t, map[string][]byte{"x.npy": x[:len(x)-8], "y.npy": y}), "x.npy: bad data file: shape [3 4] of dtype '<f8' needs 96 data bytes, the file has 88"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := writeFile(t, dir, "d.npz", tc.b)
			_, _, err := ReadNPZ(p)
			require.ErrorIs(t, err, ErrBadTable)
			assert.Contains(t, err.Error(), tc.want)
			assert.Contains(t, err.Error(), p)
		})
	}
	_, _, err = ReadNPZ(npyPath("other_keys.npz"))
	require.ErrorIs(t, err, ErrBadTable)
	assert.Contains(t, err.Error(), `it holds the arrays "a", "b"`)
	_, _, err = ReadNPZ(npyPath("mismatch.npz"))
	require.ErrorIs(t, err, ErrBadTable)
	assert.Contains(t, err.Error(), "3 samples of features")
}

// fortranToC against a direct computation for a few shapes.
func TestFortranToC(t *testing.T) {
	for _, shape := range [][]int{{3, 4}, {1, 5}, {5, 1}, {2, 3, 4}, {3, 1, 2, 2}} {
		n := 1
		for _, d := range shape {
			n *= d
		}
		m := fortranToC(shape)
		for p := range n {
			// decompose p, first index fastest, then recompose in C order
			rest, c := p, 0
			idx := make([]int, len(shape))
			for j := range shape {
				idx[j] = rest % shape[j]
				rest /= shape[j]
			}
			for j := range shape {
				c = c*shape[j] + idx[j]
			}
			require.Equal(t, c, m(p), "shape %v position %d", shape, p)
		}
	}
}
