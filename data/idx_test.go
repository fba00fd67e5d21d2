package data

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"io/fs"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReadIDX(t *testing.T) {
	tests := []struct {
		name     string
		in       []byte
		wantDims []int
		wantData []byte
		wantErr  error
	}{
		{name: "labels", in: idxBytes([]uint32{3}, []byte{5, 0, 4}), wantDims: []int{3}, wantData: []byte{5, 0, 4}},
		{name: "images", in: idxBytes([]uint32{2, 2, 3}, seqBytes(12, 0)), wantDims: []int{2, 2, 3}, wantData: seqBytes(12, 0)},
		{name: "four dims", in: idxBytes([]uint32{1, 2, 1, 2}, seqBytes(4, 9)), wantDims: []int{1, 2, 1, 2}, wantData: seqBytes(4, 9)},
		{name: "empty set", in: idxBytes([]uint32{0, 28, 28}, nil), wantDims: []int{0, 28, 28}, wantData: []byte{}},
		{name: "empty input", in: nil, wantErr: ErrTruncated},
		{name: "short magic", in: []byte{0, 0}, wantErr: ErrTruncated},
		{name: "bad magic", in: []byte{0x1f, 0x8b, 8, 1, 0, 0, 0, 0}, wantErr: ErrBadMagic},
		{name: "bad magic second byte", in: []byte{0, 1, 8, 1, 0, 0, 0, 0}, wantErr: ErrBadMagic},
		{name: "int32 type", in: []byte{0, 0, 0x0c, 1, 0, 0, 0, 1, 0, 0, 0, 7}, wantErr: ErrUnsupportedType},
		{name: "int8 type", in: []byte{0, 0, 0x09, 1, 0, 0, 0, 1, 7}, wantErr: ErrUnsupportedType},
		{name: "zero dims", in: []byte{0, 0, 8, 0}, wantErr: ErrBadDims},
		{name: "too many dims", in: idxBytes([]uint32{1, 1, 1, 1, 1}, []byte{1}), wantErr: ErrBadDims},
		{name: "truncated dims", in: []byte{0, 0, 8, 3, 0, 0, 0, 1, 0, 0}, wantErr: ErrTruncated},
		{name: "data too short", in: idxBytes([]uint32{2, 3}, seqBytes(5, 0)), wantErr: ErrTruncated},
		{name: "trailing bytes", in: idxBytes([]uint32{2, 3}, seqBytes(7, 0)), wantErr: ErrTrailingData},
		{name: "over the cap", in: idxBytes([]uint32{1 << 15, 1 << 15, 2}, nil), wantErr: ErrTooLarge},
		{name: "2^31 labels", in: idxBytes([]uint32{1 << 31}, seqBytes(92, 0)), wantErr: ErrTooLarge},
		{name: "product overflows int64", in: idxBytes([]uint32{^uint32(0), ^uint32(0), ^uint32(0), ^uint32(0)}, nil), wantErr: ErrTooLarge},
		{name: "zero dim then huge", in: idxBytes([]uint32{0, ^uint32(0)}, nil), wantErr: ErrTooLarge},
		{name: "huge dims then zero", in: idxBytes([]uint32{1 << 31, 1 << 31, 0}, nil), wantErr: ErrTooLarge},
		{name: "at the cap", in: idxBytes([]uint32{1 << 30, 0}, nil), wantDims: []int{1 << 30, 0}, wantData: []byte{}},
		{name: "lying header under the cap", in: idxBytes([]uint32{1 << 20, 28, 28}, seqBytes(84, 0)), wantErr: ErrTruncated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReadIDX(bytes.NewReader(tt.in), "test.idx")
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				assert.Contains(t, err.Error(), "test.idx", "error must name the file")
				assert.Nil(t, got)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, "test.idx", got.Name)
			assert.Equal(t, tt.wantDims, got.Dims)
			assert.Equal(t, tt.wantData, got.Data)
		})
	}
}

// errReader fails after returning its prefix.
type errReader struct {
	prefix []byte
	err    error
}

func (r *errReader) Read(p []byte) (int, error) {
	if len(r.prefix) == 0 {
		return 0, r.err
	}
	n := copy(p, r.prefix)
	r.prefix = r.prefix[n:]
	return n, nil
}

func TestReadIDXPassesReadErrors(t *testing.T) {
	boom := errors.New("disk on fire")
	tests := []struct {
		name   string
		prefix []byte
	}{
		{name: "in magic", prefix: []byte{0, 0}},
		{name: "in dims", prefix: []byte{0, 0, 8, 1, 0}},
		{name: "in data", prefix: idxBytes([]uint32{10}, []byte{1, 2})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadIDX(&errReader{prefix: tt.prefix, err: boom}, "x.idx")
			require.ErrorIs(t, err, boom)
			assert.Contains(t, err.Error(), "x.idx")
		})
	}
}

func TestReadIDXFile(t *testing.T) {
	valid := idxBytes([]uint32{2, 2, 2}, seqBytes(8, 1))
	gz := gzipped(t, valid)
	corrupt := bytes.Clone(gz)
	corrupt[len(corrupt)-6] ^= 0xff // inside the CRC-32 trailer
	garbled := bytes.Clone(gz)
	garbled[12] ^= 0x55 // inside the deflate data

	tests := []struct {
		name    string
		file    string
		content []byte
		wantErr error // nil: must parse to valid; errAny: any error
	}{
		{name: "raw", file: "a-idx3-ubyte", content: valid},
		{name: "gzip", file: "a-idx3-ubyte.gz", content: gz},
		{name: "gzip without .gz suffix", file: "a-idx3-ubyte", content: gz},
		{name: "raw with .gz suffix", file: "a-idx3-ubyte.gz", content: valid},
		{name: "multi-member gzip", file: "m.gz", content: append(gzipped(t, valid[:5]), gzipped(t, valid[5:])...)},
		{name: "truncated gzip", file: "t.gz", content: gz[:len(gz)/2], wantErr: io.ErrUnexpectedEOF},
		{name: "gzip without trailer", file: "t.gz", content: gz[:len(gz)-8], wantErr: io.ErrUnexpectedEOF},
		{name: "gzip magic only", file: "t.gz", content: gz[:2], wantErr: io.ErrUnexpectedEOF},
		{name: "corrupt gzip checksum", file: "c.gz", content: corrupt, wantErr: errAny},
		{name: "corrupt gzip data", file: "c.gz", content: garbled, wantErr: errAny},
		{name: "gzip then garbage", file: "g.gz", content: append(bytes.Clone(gz), "garbage"...), wantErr: errAny},
		{name: "gzip of bad magic", file: "b.gz", content: gzipped(t, []byte{1, 2, 3, 4}), wantErr: ErrBadMagic},
		{name: "gzip of truncated data", file: "b.gz", content: gzipped(t, valid[:len(valid)-1]), wantErr: ErrTruncated},
		{name: "gzip with trailing data", file: "b.gz", content: gzipped(t, append(bytes.Clone(valid), 0)), wantErr: ErrTrailingData},
		{name: "one byte", file: "one", content: []byte{0x1f}, wantErr: ErrTruncated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeTestFile(t, t.TempDir(), tt.file, tt.content)
			got, err := ReadIDXFile(path)
			if tt.wantErr != nil {
				require.Error(t, err)
				if tt.wantErr != errAny {
					require.ErrorIs(t, err, tt.wantErr)
				}
				assert.Contains(t, err.Error(), path, "error must name the file")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, []int{2, 2, 2}, got.Dims)
			assert.Equal(t, seqBytes(8, 1), got.Data)
			assert.Equal(t, path, got.Name)
		})
	}
}

// errAny marks a test case that must fail without naming the exact error.
var errAny = errors.New("any error")

func TestReadIDXFileMissing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nope.idx")
	_, err := ReadIDXFile(path)
	require.ErrorIs(t, err, fs.ErrNotExist)
	assert.Contains(t, err.Error(), path)
}

// TestReadIDXLyingHeader checks that a header claiming far more data than
// the file holds fails fast and without a large allocation.
func TestReadIDXLyingHeader(t *testing.T) {
	const maxAlloc = 10 << 20
	tests := []struct {
		name    string
		content []byte
		wantErr error
	}{
		{name: "2^31 images", content: idxBytes([]uint32{1 << 31, 28, 28}, seqBytes(84, 0)), wantErr: ErrTooLarge},
		{name: "2^31 labels", content: idxBytes([]uint32{1 << 31}, seqBytes(92, 0)), wantErr: ErrTooLarge},
		{name: "just under the cap", content: idxBytes([]uint32{1 << 30}, seqBytes(92, 0)), wantErr: ErrTruncated},
		{name: "800M pixels", content: idxBytes([]uint32{1 << 20, 28, 28}, seqBytes(84, 0)), wantErr: ErrTruncated},
	}
	for _, tt := range tests {
		for _, gz := range []bool{false, true} {
			name := tt.name
			content := tt.content
			if gz {
				name += " gzip"
				content = gzipped(t, content)
			}
			t.Run(name, func(t *testing.T) {
				path := writeTestFile(t, t.TempDir(), "lie", content)
				var before, after runtime.MemStats
				runtime.ReadMemStats(&before)
				start := time.Now()
				_, err := ReadIDXFile(path)
				elapsed := time.Since(start)
				runtime.ReadMemStats(&after)
				require.ErrorIs(t, err, tt.wantErr)
				assert.Contains(t, err.Error(), path)
				assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(maxAlloc), "allocated too much for a lying header")
				assert.Less(t, elapsed, time.Second)
			})
		}
	}
}

// TestReadIDXFileGzipOneBuffer checks that a gzip IDX file whose trailer
// agrees with its header is decoded into one buffer (io.ReadAll's growth
// allocated about five times the data, the peak of a run loading MNIST),
// and that a trailer lying with the header cannot make a small file
// allocate more than DEFLATE could expand it to.
func TestReadIDXFileGzipOneBuffer(t *testing.T) {
	const n = 4 << 20
	content := idxBytes([]uint32{n / 784, 28, 28}, seqBytes(n/784*784, 3))
	path := writeTestFile(t, t.TempDir(), "img.gz", gzipped(t, content))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	idx, err := ReadIDXFile(path)
	runtime.ReadMemStats(&after)
	require.NoError(t, err)
	assert.Equal(t, content[16:], idx.Data)
	assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(n+n/4), "decoding allocated more than the data and the reader's buffers")

	lie := gzipped(t, idxBytes([]uint32{1 << 30}, seqBytes(92, 0)))
	binary.LittleEndian.PutUint32(lie[len(lie)-4:], 8+1<<30) // the trailer agrees with the claim
	path = writeTestFile(t, t.TempDir(), "lie.gz", lie)
	runtime.ReadMemStats(&before)
	_, err = ReadIDXFile(path)
	runtime.ReadMemStats(&after)
	require.Error(t, err)
	assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(10<<20), "a lying trailer made a small file allocate")
}
