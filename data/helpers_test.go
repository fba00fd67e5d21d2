package data

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// idxBytes encodes an IDX stream of type uint8 with the given dims and data.
// dims are uint32 so tests can write headers that lie.
func idxBytes(dims []uint32, data []byte) []byte {
	var b bytes.Buffer
	b.Write([]byte{0, 0, idxTypeUint8, byte(len(dims))})
	for _, d := range dims {
		_ = binary.Write(&b, binary.BigEndian, d)
	}
	b.Write(data)
	return b.Bytes()
}

// gzipped returns b compressed with gzip.
func gzipped(t testing.TB, b []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	_, err := zw.Write(b)
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	return out.Bytes()
}

// writeTestFile writes b to dir/name and returns the path.
func writeTestFile(t testing.TB, dir, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(p, b, 0o644))
	return p
}

// seqBytes returns n bytes counting up from start, wrapping at 256.
func seqBytes(n int, start byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = start + byte(i)
	}
	return b
}

// writeIDXSet writes a small valid IDX data set (nTrain and nTest samples
// of rows×cols pixels, labels i mod classes) under the names of files into
// dir, gzip-compressing when gz is set, and returns the file contents by
// name as written.
func writeIDXSet(t testing.TB, dir string, files FileSet, nTrain, nTest, rows, cols int, gz bool) map[string][]byte {
	t.Helper()
	labels := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(i % files.NumClasses)
		}
		return b
	}
	raw := map[string][]byte{
		files.TrainImages: idxBytes([]uint32{uint32(nTrain), uint32(rows), uint32(cols)}, seqBytes(nTrain*rows*cols, 0)),
		files.TrainLabels: idxBytes([]uint32{uint32(nTrain)}, labels(nTrain)),
		files.TestImages:  idxBytes([]uint32{uint32(nTest), uint32(rows), uint32(cols)}, seqBytes(nTest*rows*cols, 7)),
		files.TestLabels:  idxBytes([]uint32{uint32(nTest)}, labels(nTest)),
	}
	written := map[string][]byte{}
	for name, b := range raw {
		if gz {
			name, b = name+gzSuffix, gzipped(t, b)
		}
		writeTestFile(t, dir, name, b)
		written[name] = b
	}
	return written
}

// idxTypedBytes encodes an IDX stream of any type code with the given dims
// and data bytes (already big-endian). dims are uint32 so tests can write
// headers that lie.
func idxTypedBytes(typ IDXType, dims []uint32, data []byte) []byte {
	b := idxBytes(dims, data)
	b[2] = byte(typ)
	return b
}

// idxEncode encodes vals as big-endian elements of typ, the way a writer of
// IDX files does (independently of the reader's decoding).
func idxEncode(typ IDXType, vals ...float64) []byte {
	var b bytes.Buffer
	for _, v := range vals {
		var x any
		switch typ {
		case IDXUint8:
			x = uint8(v)
		case IDXInt8:
			x = int8(v)
		case IDXInt16:
			x = int16(v)
		case IDXInt32:
			x = int32(v)
		case IDXFloat32:
			x = float32(v)
		case IDXFloat64:
			x = v
		default:
			panic("idxEncode: bad type")
		}
		_ = binary.Write(&b, binary.BigEndian, x)
	}
	return b.Bytes()
}
