package data

import (
	"bufio"
	"bytes"
	"strings"
	"testing"
)

// FuzzReadIDX feeds arbitrary bytes to the IDX reader, raw and through the
// gzip detection of ReadIDXFile. It must never panic, every error must name
// the input, and a successful parse must be self-consistent.
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
		got, err := ReadIDX(bytes.NewReader(in), "fuzz-input")
		checkIDXResult(t, got, err)

		r, err := maybeGunzip(bufio.NewReader(bytes.NewReader(in)), "fuzz-input")
		if err != nil {
			checkIDXResult(t, nil, err)
			return
		}
		got, err = ReadIDX(r, "fuzz-input")
		checkIDXResult(t, got, err)
	})
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
