// Package inputfile reads files the user names on the command line without
// trusting them: only regular files are read (a FIFO, a device such as
// /dev/zero, a socket or a folder is refused with a message saying what it
// is, and opening one never blocks), and never more than a stated number of
// bytes, so a hostile or mistaken path can neither hang descent nor make it
// allocate without bound.
package inputfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// ErrNotRegular is wrapped by the errors about a path that is not a regular
// file.
var ErrNotRegular = errors.New("not a regular file")

// ErrTooLarge is wrapped by the errors about a file over its limit.
var ErrTooLarge = errors.New("file too large")

// ReadFile returns the content of the regular file at path (symbolic links
// are followed), refusing anything else and any file over limit bytes.
// Errors name the path.
func ReadFile(path string, limit int64) ([]byte, error) {
	f, size, err := Open(path, limit)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b := make([]byte, 0, size+1) // size ≤ limit
	b, err = readAll(io.LimitReader(f, limit+1), b)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s: %w: it grew past the limit of %d bytes while being read", path, ErrTooLarge, limit)
	}
	return b, nil
}

// readAll is io.ReadAll into b's spare capacity first.
func readAll(r io.Reader, b []byte) ([]byte, error) {
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if errors.Is(err, io.EOF) {
			return b, nil
		}
		if err != nil {
			return b, err
		}
	}
}

// Open opens the regular file at path for reading and returns its size,
// refusing anything that is not a regular file and any file over limit
// bytes. The file is opened without blocking (a FIFO with no writer would
// block a plain open) and checked on the open descriptor, so a file swapped
// between a check and the open is caught too.
func Open(path string, limit int64) (*os.File, int64, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, 0, fmt.Errorf("opening %w", err) // *PathError names the path
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("%s: %w", path, err)
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, 0, fmt.Errorf("%s: %w (%s)", path, ErrNotRegular, Describe(st.Mode()))
	}
	if st.Size() > limit {
		f.Close()
		return nil, 0, fmt.Errorf("%s: %w: %d bytes, the limit is %d", path, ErrTooLarge, st.Size(), limit)
	}
	return f, st.Size(), nil
}

// Describe names the kind of file a mode is, as "it is a FIFO".
func Describe(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "it is a folder"
	case m&fs.ModeNamedPipe != 0:
		return "it is a FIFO"
	case m&fs.ModeSocket != 0:
		return "it is a socket"
	case m&fs.ModeCharDevice != 0:
		return "it is a character device"
	case m&fs.ModeDevice != 0:
		return "it is a device"
	case m&fs.ModeSymlink != 0:
		return "it is a symbolic link"
	}
	return "it is a " + m.Type().String() + " file"
}
