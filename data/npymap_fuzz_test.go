package data

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// npyMatrixAllocSlack covers what opening allocates besides the header and
// one row (the NPYMatrix, the file, error messages).
const npyMatrixAllocSlack = 64 << 10

// FuzzOpenNPYMatrix opens arbitrary bytes as a .npy file, through the
// mapping and through ReadAt, and reads rows: it must never panic,
// allocate more than the file's size (plus a little), or refuse without a
// reason. The seed corpus, in testdata/fuzz/FuzzOpenNPYMatrix, holds the
// numpy-written fixtures of testdata/npy.
func FuzzOpenNPYMatrix(f *testing.F) {
	f.Add(npyBytes("<f4", false, "(2, 3)", f32Bytes(1, 2, 3, 4, 5, 6)))
	f.Add(npyBytes(">f8", true, "(2, 1)", make([]byte, 16)))
	f.Add(npyBytes("<f4", false, "(100000000, 1000)", nil))
	f.Add(npyBytes("|b1", false, "(2, 2)", []byte{0, 1, 2, 1}))
	dir := f.TempDir()
	path := filepath.Join(dir, "x.npy")
	f.Fuzz(func(t *testing.T, b []byte) {
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		for _, back := range npyBackings {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			before := ms.TotalAlloc
			m, err := openNPYMatrix(path, back.back)
			if err != nil {
				if !errors.Is(err, ErrBadTable) {
					t.Fatalf("%s: refused without ErrBadTable: %v", back.name, err)
				}
				if m != nil {
					t.Fatal("a matrix and an error")
				}
				continue
			}
			if m.Rows() < 1 || m.Cols() < 1 || int64(m.Rows())*int64(m.Cols()) > int64(len(b)) {
				t.Fatalf("%s: %d×%d from %d bytes", back.name, m.Rows(), m.Cols(), len(b))
			}
			runtime.ReadMemStats(&ms)
			if alloc := ms.TotalAlloc - before; alloc > uint64(len(b))+npyMatrixAllocSlack {
				t.Fatalf("%s: opening %d bytes allocated %d", back.name, len(b), alloc)
			}
			rows := min(m.Rows(), 4)
			idx := make([]int, 0, 2*rows)
			for r := range rows {
				idx = append(idx, m.Rows()-1-r, r)
			}
			dst := make([]float32, len(idx)*m.Cols())
			if err := m.ReadRows(context.Background(), idx, dst); err != nil && !errors.Is(err, ErrBadTable) {
				t.Fatalf("%s: ReadRows: %v", back.name, err)
			}
			if err := m.Close(); err != nil {
				t.Fatal(err)
			}
			if err := m.ReadRows(context.Background(), idx, dst); !errors.Is(err, os.ErrClosed) {
				t.Fatalf("%s: ReadRows after Close: %v", back.name, err)
			}
		}
	})
}
