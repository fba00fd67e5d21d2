package data

import (
	"fmt"
	"io"
	"os"
)

// readAtBacking reads an open file with ReadAt, where it cannot be mapped.
type readAtBacking struct {
	f    *os.File
	size int64
}

// readAtFile backs an NPYMatrix with f, which it takes over.
func readAtFile(f *os.File, size int64) (npyBacking, error) {
	return &readAtBacking{f: f, size: size}, nil
}

func (r *readAtBacking) mapped() []byte { return nil }

func (r *readAtBacking) readAt(p []byte, off int64) error {
	n, err := r.f.ReadAt(p, off)
	if n == len(p) {
		return nil
	}
	if err == nil || err == io.EOF {
		// The file was truncated after it was opened.
		return fmt.Errorf("%w: %d of %d bytes at offset %d", io.ErrUnexpectedEOF, n, len(p), off)
	}
	return err
}

func (r *readAtBacking) release() {}

func (r *readAtBacking) close() error { return r.f.Close() }
