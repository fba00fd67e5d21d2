package data

import (
	"bytes"
	"math"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every type code, with data bytes written by hand and the values they
// must read as.
func TestReadIDXValuesTypes(t *testing.T) {
	tests := []struct {
		name string
		typ  IDXType
		dims []uint32
		data []byte
		want []float64
		// want32 is what Float32s gives, when it differs from want.
		want32 []float32
	}{
		{name: "uint8", typ: IDXUint8, dims: []uint32{4}, data: []byte{0, 1, 0x7f, 0xff}, want: []float64{0, 1, 127, 255}},
		{name: "int8", typ: IDXInt8, dims: []uint32{4}, data: []byte{0, 1, 0x7f, 0x80}, want: []float64{0, 1, 127, -128}},
		{name: "int8 minus one", typ: IDXInt8, dims: []uint32{1}, data: []byte{0xff}, want: []float64{-1}},
		{name: "int16", typ: IDXInt16, dims: []uint32{3}, data: []byte{0x01, 0x02, 0xff, 0xfe, 0x80, 0x00}, want: []float64{258, -2, -32768}},
		{name: "int32", typ: IDXInt32, dims: []uint32{3}, data: []byte{0, 0, 1, 0, 0xff, 0xff, 0xff, 0xff, 0x7f, 0xff, 0xff, 0xff},
			want: []float64{256, -1, 2147483647}, want32: []float32{256, -1, 2147483648}},
		{name: "float32", typ: IDXFloat32, dims: []uint32{3}, data: []byte{0x3f, 0x80, 0, 0, 0xc0, 0x20, 0, 0, 0, 0, 0, 1},
			want: []float64{1, -2.5, float64(math.SmallestNonzeroFloat32)}},
		{name: "float64", typ: IDXFloat64, dims: []uint32{2}, data: []byte{0x3f, 0xf8, 0, 0, 0, 0, 0, 0, 0xbf, 0xb9, 0x99, 0x99, 0x99, 0x99, 0x99, 0x9a},
			want: []float64{1.5, -0.1}, want32: []float32{1.5, -0.1}},
		{name: "float32 as rows", typ: IDXFloat32, dims: []uint32{2, 2}, data: idxEncode(IDXFloat32, 0.5, -0, 3, 1e30), want: []float64{0.5, 0, 3, float64(float32(1e30))}},
		{name: "int16 empty", typ: IDXInt16, dims: []uint32{0, 5}, data: []byte{}, want: []float64{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := idxTypedBytes(tt.typ, tt.dims, tt.data)
			got, err := ReadIDXValues(bytes.NewReader(in), "v.idx")
			require.NoError(t, err)
			assert.Equal(t, "v.idx", got.Name)
			assert.Equal(t, tt.typ, got.Type)
			assert.Len(t, got.Dims, len(tt.dims))
			assert.Equal(t, tt.data, got.Data[:len(tt.data)])
			assert.Equal(t, len(tt.want), got.Len())
			assert.Equal(t, tt.want, got.Float64s())
			want32 := tt.want32
			if want32 == nil {
				want32 = make([]float32, len(tt.want))
				for i, v := range tt.want {
					want32[i] = float32(v)
				}
			}
			f32, err := got.Float32s()
			require.NoError(t, err)
			assert.Equal(t, want32, f32)

			// The same through a file, raw and gzip.
			for _, content := range [][]byte{in, gzipped(t, in)} {
				path := writeTestFile(t, t.TempDir(), "v-idx1-x", content)
				fromFile, err := ReadIDXValuesFile(path)
				require.NoError(t, err)
				assert.Equal(t, tt.want, fromFile.Float64s())
				assert.Equal(t, path, fromFile.Name)
			}
		})
	}
}

// A 3-D float32 image file: dims, values and element order.
func TestReadIDXValuesFloat32Images(t *testing.T) {
	vals := make([]float64, 2*3*4)
	for i := range vals {
		vals[i] = float64(i)/4 - 2
	}
	path := writeTestFile(t, t.TempDir(), "train-images-idx3-float", idxTypedBytes(IDXFloat32, []uint32{2, 3, 4}, idxEncode(IDXFloat32, vals...)))
	got, err := ReadIDXValuesFile(path)
	require.NoError(t, err)
	assert.Equal(t, []int{2, 3, 4}, got.Dims)
	f32, err := got.Float32s()
	require.NoError(t, err)
	require.Len(t, f32, 24)
	assert.Equal(t, float32(-2), f32[0])
	assert.Equal(t, float32(-1.75), f32[1])
	assert.Equal(t, float32(1), f32[12], "sample 1, row 0, col 0")
	assert.Equal(t, float32(3.75), f32[23])
	_, err = got.IDX()
	require.ErrorIs(t, err, ErrUnsupportedType)
}

func TestReadIDXValuesErrors(t *testing.T) {
	nan32 := []byte{0x7f, 0xc0, 0, 0}
	inf64 := []byte{0x7f, 0xf0, 0, 0, 0, 0, 0, 0}
	tests := []struct {
		name    string
		in      []byte
		wantErr error
		wantMsg string
	}{
		{name: "unknown type 0x0a", in: idxTypedBytes(0x0a, []uint32{1}, []byte{1}), wantErr: ErrUnsupportedType, wantMsg: "0x0a"},
		{name: "unknown type 0x0f", in: idxTypedBytes(0x0f, []uint32{1}, []byte{1}), wantErr: ErrUnsupportedType},
		{name: "NaN float32", in: idxTypedBytes(IDXFloat32, []uint32{2, 2}, append(idxEncode(IDXFloat32, 1, 2, 3), nan32...)), wantErr: ErrNonFinite, wantMsg: "element 3 (index [1 1]) is NaN"},
		{name: "+Inf float64", in: idxTypedBytes(IDXFloat64, []uint32{3}, append(idxEncode(IDXFloat64, 1), append(inf64, idxEncode(IDXFloat64, 2)...)...)), wantErr: ErrNonFinite, wantMsg: "element 1 is +Inf"},
		{name: "-Inf float32", in: idxTypedBytes(IDXFloat32, []uint32{1}, idxEncode(IDXFloat32, math.Inf(-1))), wantErr: ErrNonFinite, wantMsg: "element 0 is -Inf"},
		{name: "int32 truncated", in: idxTypedBytes(IDXInt32, []uint32{3}, idxEncode(IDXInt32, 1, 2)), wantErr: ErrTruncated, wantMsg: "need 12 data bytes, file has 8"},
		{name: "int16 half element", in: idxTypedBytes(IDXInt16, []uint32{2}, []byte{0, 1, 0}), wantErr: ErrTruncated},
		{name: "float64 trailing", in: idxTypedBytes(IDXFloat64, []uint32{1}, append(idxEncode(IDXFloat64, 1), 0)), wantErr: ErrTrailingData},
		{name: "float64 over the cap", in: idxTypedBytes(IDXFloat64, []uint32{1 << 16, 1 << 15}, nil), wantErr: ErrTooLarge},
		{name: "dims overflow", in: idxTypedBytes(IDXInt8, []uint32{^uint32(0), ^uint32(0), ^uint32(0), ^uint32(0)}, nil), wantErr: ErrTooLarge},
		{name: "zero dims", in: []byte{0, 0, 0x0d, 0}, wantErr: ErrBadDims},
		{name: "bad magic", in: []byte{1, 0, 0x0d, 1, 0, 0, 0, 0}, wantErr: ErrBadMagic},
		{name: "short header", in: []byte{0, 0, 0x0e}, wantErr: ErrTruncated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReadIDXValues(bytes.NewReader(tt.in), "bad.idx")
			require.ErrorIs(t, err, tt.wantErr)
			assert.Nil(t, got)
			assert.Contains(t, err.Error(), "bad.idx")
			assert.Contains(t, err.Error(), tt.wantMsg)
			path := writeTestFile(t, t.TempDir(), "bad", tt.in)
			_, err = ReadIDXValuesFile(path)
			require.ErrorIs(t, err, tt.wantErr, "from a file")
			assert.Contains(t, err.Error(), path)
		})
	}
}

// A float64 beyond float32's range reads (it is finite) but is refused as a
// feature.
func TestIDXValuesFloat32Range(t *testing.T) {
	v, err := ReadIDXValues(bytes.NewReader(idxTypedBytes(IDXFloat64, []uint32{2}, idxEncode(IDXFloat64, 1, 1e300))), "big.idx")
	require.NoError(t, err)
	assert.Equal(t, []float64{1, 1e300}, v.Float64s())
	_, err = v.Float32s()
	require.ErrorIs(t, err, ErrNonFinite)
	assert.Contains(t, err.Error(), "big.idx: ")
	assert.Contains(t, err.Error(), "element 1 is 1e+300, beyond float32's range")
}

// ReadIDX still reads uint8 only, whatever ReadIDXValues takes; a uint8
// IDXValues converts to the same IDX.
func TestReadIDXStaysUint8(t *testing.T) {
	for _, typ := range []IDXType{IDXInt8, IDXInt16, IDXInt32, IDXFloat32, IDXFloat64} {
		_, err := ReadIDX(bytes.NewReader(idxTypedBytes(typ, []uint32{1}, make([]byte, typ.Size()))), "x")
		require.ErrorIs(t, err, ErrUnsupportedType, "%v", typ)
	}
	in := idxBytes([]uint32{2, 2}, []byte{1, 2, 3, 4})
	want, err := ReadIDX(bytes.NewReader(in), "u")
	require.NoError(t, err)
	v, err := ReadIDXValues(bytes.NewReader(in), "u")
	require.NoError(t, err)
	got, err := v.IDX()
	require.NoError(t, err)
	assert.Equal(t, want, got)
}

// A header claiming gigabytes of floats in a tiny file fails fast without
// a large allocation, raw (refused from the file size) and gzip (read
// incrementally, up to what arrives).
func TestReadIDXValuesLyingHeader(t *testing.T) {
	const maxAlloc = 4 << 20
	tests := []struct {
		name    string
		content []byte
		wantErr error
	}{
		{name: "8 GiB of float64", content: idxTypedBytes(IDXFloat64, []uint32{1 << 20, 1 << 10}, idxEncode(IDXFloat64, 1, 2, 3)), wantErr: ErrTruncated},
		{name: "4 GiB of int32 images", content: idxTypedBytes(IDXInt32, []uint32{1 << 20, 32, 32}, idxEncode(IDXInt32, 1, 2, 3)), wantErr: ErrTruncated},
		{name: "over the cap", content: idxTypedBytes(IDXFloat32, []uint32{1 << 31, 1}, nil), wantErr: ErrTooLarge},
	}
	for _, tt := range tests {
		for _, gz := range []bool{false, true} {
			name, content := tt.name, tt.content
			if gz {
				name, content = name+" gzip", gzipped(t, content)
			}
			t.Run(name, func(t *testing.T) {
				path := writeTestFile(t, t.TempDir(), "lie", content)
				var before, after runtime.MemStats
				runtime.ReadMemStats(&before)
				start := time.Now()
				_, err := ReadIDXValuesFile(path)
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

func TestIDXTypeString(t *testing.T) {
	assert.Equal(t, "0x0d (float32)", IDXFloat32.String())
	assert.Equal(t, "0x0a (unknown)", IDXType(0x0a).String())
	assert.Equal(t, []int{1, 1, 2, 4, 4, 8, 0}, []int{IDXUint8.Size(), IDXInt8.Size(), IDXInt16.Size(), IDXInt32.Size(), IDXFloat32.Size(), IDXFloat64.Size(), IDXType(0).Size()})
}
