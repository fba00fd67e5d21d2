package data

import (
	"bytes"
	"errors"
	"io"
	"runtime"
	"strconv"
	"testing"
)

// The reader keeps every value as float64 (8 bytes) and builds float32
// features (4 more) per data byte of 1-byte dtypes at worst, plus buffers.
const (
	npyAllocPerByte = 16
	npyAllocSlack   = 1 << 20
)

// encodeNPYTable writes t back as a C-order '<f4' x of shape (N, F) and a
// '<f8' y of shape (N,).
func encodeNPYTable(t *Table) (x, y []byte) {
	x = npyBytes("<f4", false, "("+strconv.Itoa(t.N)+", "+strconv.Itoa(t.F)+")", f32Bytes(t.X...))
	y = npyBytes("<f8", false, "("+strconv.Itoa(t.N)+",)", f64Bytes(t.Y...))
	return x, y
}

// tableFromNPYBytes is ReadNPY on contents instead of paths.
func tableFromNPYBytes(x, y []byte) (*Table, error) {
	xa, err := decodeNPY("x", bytes.NewReader(x), int64(len(x)), true)
	if err != nil {
		return nil, err
	}
	ya, err := decodeNPY("y", bytes.NewReader(y), int64(len(y)), false)
	if err != nil {
		return nil, err
	}
	return makeTable("x", xa, ya)
}

func FuzzReadNPY(f *testing.F) {
	y3 := npyBytes("<f8", false, "(3,)", f64Bytes(0, 1, 2))
	f.Add(npyBytes("<f8", false, "(3, 4)", f64Bytes(make([]float64, 12)...)), y3)
	f.Add(npyBytes(">i2", true, "(3, 2, 1)", make([]byte, 12)), npyBytes("|u1", false, "(3, 1)", []byte{1, 2, 3}))
	f.Add(npyBytes("<f2", false, "(3, 1)", []byte{0, 0x3c, 0, 0x7c, 0, 0}), npyBytes("|b1", false, "(3,)", []byte{0, 1, 0}))
	f.Add(npyBytes("<f8", false, "(1000000, 1000000)", nil), y3)
	f.Add(npyBytes("<c8", false, "(3, 1)", make([]byte, 24)), y3)
	f.Add(npyRaw("{'descr': '<f4', 'shape': (3, 1), }", make([]byte, 12)), y3)
	f.Add([]byte("\x93NUMPY\x02\x00\xff\xff\xff\x7f"), y3)
	f.Fuzz(func(t *testing.T, x, y []byte) {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		before := ms.TotalAlloc
		tb, err := tableFromNPYBytes(x, y)
		runtime.ReadMemStats(&ms)
		if alloc := ms.TotalAlloc - before; alloc > uint64(npyAllocPerByte*(len(x)+len(y))+npyAllocSlack) {
			t.Fatalf("reading %d+%d bytes allocated %d bytes", len(x), len(y), alloc)
		}
		if err != nil {
			if !errors.Is(err, ErrBadTable) && !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Fatalf("refused without ErrBadTable: %v", err)
			}
			if tb != nil {
				t.Fatal("a table and an error")
			}
			return
		}
		if err := tb.Validate(); err != nil {
			t.Fatalf("accepted an invalid table: %v", err)
		}
		x2, y2 := encodeNPYTable(tb)
		tb2, err := tableFromNPYBytes(x2, y2)
		if err != nil {
			t.Fatalf("re-encoded table refused: %v", err)
		}
		if tb2.N != tb.N || tb2.F != tb.F || !bytes.Equal(f32Bytes(tb2.X...), f32Bytes(tb.X...)) || !bytes.Equal(f64Bytes(tb2.Y...), f64Bytes(tb.Y...)) {
			t.Fatalf("re-encoded table differs: %d×%d vs %d×%d", tb2.N, tb2.F, tb.N, tb.F)
		}
	})
}
