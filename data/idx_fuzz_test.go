package data

import (
	"bufio"
	"bytes"
	"errors"
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
// most a few bytes per input byte, whatever the header claims.
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
	f.Fuzz(func(t *testing.T, in []byte) {
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

// ReadIDX's allocation bound on raw input: idxAllocPerByte bytes per input
// byte (the body is read with io.ReadAll, which grows geometrically) plus
// idxAllocSlack.
const (
	idxAllocPerByte = 4
	idxAllocSlack   = 8 << 10
)

// isIDXSentinel reports whether err wraps one of ReadIDX's sentinel errors.
func isIDXSentinel(err error) bool {
	for _, s := range []error{ErrBadMagic, ErrUnsupportedType, ErrBadDims, ErrTooLarge, ErrTruncated, ErrTrailingData} {
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
