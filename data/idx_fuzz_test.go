package data

import (
	"bufio"
	"bytes"
	"errors"
	"math"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

// FuzzReadIDX feeds arbitrary bytes to the IDX reader, raw and through the
// gzip detection of ReadIDXFile (corpus: testdata/fuzz/FuzzReadIDX). It must
// never panic; every error must name the input, and a raw input's error
// must wrap one of the reader's sentinel errors; a successful parse must be
// self-consistent and, for raw input, re-encode to exactly the input bytes
// (header and data, nothing dropped or added); plain (not gzip) input reads
// the same through the gzip detection; and reading raw input allocates at
// most a few bytes per input byte, whatever the header claims. The same
// holds for ReadIDXValues, which reads every type code: its floats are all
// finite, it agrees with ReadIDX on uint8 input, and reading with the
// stream's size known (as from a raw file) gives the same outcome as without.
func FuzzReadIDX(f *testing.F) {
	valid := idxBytes([]uint32{2, 2, 2}, seqBytes(8, 0))
	f.Add(valid)
	f.Add(idxBytes([]uint32{3}, []byte{5, 0, 4}))
	f.Add(idxBytes([]uint32{0, 28, 28}, nil))
	f.Add(gzipped(f, valid))
	f.Add([]byte{0x1f, 0x8b, 8, 0})
	f.Add(valid[:len(valid)-1])
	f.Add(append(bytes.Clone(valid), 0))
	f.Add(idxBytes([]uint32{1 << 31, 28, 28}, seqBytes(84, 0)))
	f.Add(idxBytes([]uint32{1 << 30}, nil))
	f.Add([]byte{0, 0, 0x0d, 1, 0, 0, 0, 1, 0, 0, 0, 0})
	for _, typ := range []IDXType{IDXInt8, IDXInt16, IDXInt32, IDXFloat32, IDXFloat64} {
		f.Add(idxTypedBytes(typ, []uint32{2, 1}, idxEncode(typ, -1, 2)))
	}
	f.Add(idxTypedBytes(IDXFloat32, []uint32{1}, []byte{0x7f, 0xc0, 0, 0}))
	f.Add(idxTypedBytes(IDXFloat64, []uint32{1 << 20, 1 << 9}, nil))
	f.Fuzz(func(t *testing.T, in []byte) {
		fuzzIDXValues(t, in)
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		before := ms.TotalAlloc
		raw, err := ReadIDX(bytes.NewReader(in), "fuzz-input")
		runtime.ReadMemStats(&ms)
		if alloc := ms.TotalAlloc - before; alloc > uint64(idxAllocPerByte*len(in)+idxAllocSlack) {
			t.Fatalf("ReadIDX of %d bytes allocated %d bytes", len(in), alloc)
		}
		checkIDXResult(t, raw, err)
		if err != nil && !isIDXSentinel(err) {
			t.Fatalf("raw input refused without a sentinel error: %v", err)
		}
		if err == nil {
			dims := make([]uint32, len(raw.Dims))
			for i, d := range raw.Dims {
				dims[i] = uint32(d)
			}
			if re := idxBytes(dims, raw.Data); !bytes.Equal(re, in) {
				t.Fatalf("re-encoding dims %v and %d bytes gives %d bytes, not the %d read", raw.Dims, len(raw.Data), len(re), len(in))
			}
		}

		r, err := maybeGunzip(bufio.NewReader(bytes.NewReader(in)), "fuzz-input")
		if err != nil {
			checkIDXResult(t, nil, err)
			return
		}
		got, err := ReadIDX(r, "fuzz-input")
		checkIDXResult(t, got, err)
		if !bytes.HasPrefix(in, []byte{0x1f, 0x8b}) && !reflect.DeepEqual(got, raw) {
			t.Fatalf("plain input reads differently through the gzip detection: %+v vs %+v", got, raw)
		}
	})
}

// fuzzIDXValues checks ReadIDXValues on one input, with and without the
// stream's size, against ReadIDX.
func fuzzIDXValues(t *testing.T, in []byte) {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	before := ms.TotalAlloc
	got, err := ReadIDXValues(bytes.NewReader(in), "fuzz-input")
	runtime.ReadMemStats(&ms)
	if alloc := ms.TotalAlloc - before; alloc > uint64(idxAllocPerByte*len(in)+idxAllocSlack) {
		t.Fatalf("ReadIDXValues of %d bytes allocated %d bytes", len(in), alloc)
	}
	sized, sizedErr := readIDXValues(bytes.NewReader(in), "fuzz-input", int64(len(in)))
	if (err == nil) != (sizedErr == nil) || !reflect.DeepEqual(got, sized) {
		t.Fatalf("the stream's size changes the outcome: %v, %v", err, sizedErr)
	}
	u8, u8Err := ReadIDX(bytes.NewReader(in), "fuzz-input")
	if u8Err == nil {
		if err != nil || got.Type != IDXUint8 || !bytes.Equal(got.Data, u8.Data) {
			t.Fatalf("ReadIDX reads the input but ReadIDXValues gives %v", err)
		}
	}
	if err != nil {
		if got != nil || !strings.Contains(err.Error(), "fuzz-input") || !isIDXSentinel(err) {
			t.Fatalf("bad refusal %v (result %v)", err, got)
		}
		return
	}
	dims := make([]uint32, len(got.Dims))
	n := 1
	for i, d := range got.Dims {
		dims[i] = uint32(d)
		n *= d
	}
	if got.Len() != n || len(got.Data) != n*got.Type.Size() {
		t.Fatalf("dims %v of %v with %d data bytes", got.Dims, got.Type, len(got.Data))
	}
	if re := idxTypedBytes(got.Type, dims, got.Data); !bytes.Equal(re, in) {
		t.Fatalf("re-encoding gives %d bytes, not the %d read", len(re), len(in))
	}
	for i, v := range got.Float64s() {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			t.Fatalf("element %d is %v", i, v)
		}
	}
	if x, err := got.Float32s(); err == nil && len(x) != n {
		t.Fatalf("Float32s gives %d values of %d", len(x), n)
	} else if err != nil && (got.Type != IDXFloat64 || !errors.Is(err, ErrNonFinite)) {
		t.Fatalf("Float32s of %v: %v", got.Type, err)
	}
}

// ReadIDX's allocation bound on raw input: idxAllocPerByte bytes per input
// byte (the body is read with io.ReadAll, which grows geometrically) plus
// idxAllocSlack.
const (
	idxAllocPerByte = 4
	idxAllocSlack   = 8 << 10
)

// isIDXSentinel reports whether err wraps one of ReadIDX's sentinel errors.
func isIDXSentinel(err error) bool {
	for _, s := range []error{ErrBadMagic, ErrUnsupportedType, ErrBadDims, ErrTooLarge, ErrTruncated, ErrTrailingData, ErrNonFinite} {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}

// checkIDXResult checks the invariants of one ReadIDX outcome.
func checkIDXResult(t *testing.T, got *IDX, err error) {
	t.Helper()
	if err != nil {
		if got != nil {
			t.Fatalf("error %v with a non-nil result", err)
		}
		if !strings.Contains(err.Error(), "fuzz-input") {
			t.Fatalf("error does not name the input: %v", err)
		}
		return
	}
	if len(got.Dims) < 1 || len(got.Dims) > MaxIDXDims {
		t.Fatalf("parsed %d dims", len(got.Dims))
	}
	n := 1
	for _, d := range got.Dims {
		if d < 0 {
			t.Fatalf("negative dim in %v", got.Dims)
		}
		n *= d
	}
	if n != len(got.Data) {
		t.Fatalf("dims %v have product %d but %d data bytes", got.Dims, n, len(got.Data))
	}
}
