//go:build unix

package data

import (
	"math"
	"os"

	"golang.org/x/sys/unix"
)

// mapFile maps the file f of size bytes read-only and closes f (the
// mapping outlives the descriptor). Where mapping fails (a file system
// without mmap, a 32-bit address space too small), the file is read with
// ReadAt instead.
func mapFile(f *os.File, size int64) (npyBacking, error) {
	if size <= 0 || size > math.MaxInt {
		return readAtFile(f, size)
	}
	b, err := unix.Mmap(int(f.Fd()), 0, int(size), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		return readAtFile(f, size)
	}
	if err := f.Close(); err != nil {
		_ = unix.Munmap(b)
		return nil, err
	}
	return &mmapBacking{b: b}, nil
}

// mmapBacking is a file mapped in memory.
type mmapBacking struct{ b []byte }

func (m *mmapBacking) mapped() []byte { return m.b }

func (m *mmapBacking) readAt(p []byte, off int64) error {
	copy(p, m.b[off:])
	return nil
}

// release drops the mapping's pages from the process's page tables; they
// stay in the page cache, so reading them again costs a minor fault, not
// a disk read.
func (m *mmapBacking) release() { _ = unix.Madvise(m.b, unix.MADV_DONTNEED) }

func (m *mmapBacking) close() error { return unix.Munmap(m.b) }
