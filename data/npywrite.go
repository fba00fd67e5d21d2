package data

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// npyWriteChunk is the size of NPYWriter's encoding buffer: values are
// encoded into it and written to the underlying writer a chunk at a time.
const npyWriteChunk = 1 << 16

// NPYWriter writes a C-order little-endian .npy array of a shape fixed up
// front, row by row (or in chunks of any size: it counts values, not rows).
// The header is format version 1.0, byte for byte as numpy.save writes it:
// a dict padded with spaces so that the data starts at a multiple of 64
// bytes, with numpy's room for the first dimension to grow. Values are
// encoded into a buffer allocated once, so writes allocate nothing.
//
// An NPYWriter is not safe for concurrent use. After any error every later
// call returns that error.
type NPYWriter struct {
	w        io.Writer
	dtype    string
	size     int   // bytes per value: 4 or 8
	total    int64 // values the shape holds; -1 when the first dimension is open (CSVCache)
	rowLen   int64 // values per row (the product of the dimensions after the first)
	written  int64 // values written so far
	buf      []byte
	err      error
	closed   bool
	hdrBytes int // length of the header written or reserved
}

// NewNPYWriter writes the header of a .npy array of dtype "<f4" (float32)
// or "<f8" (float64) and the given shape (no dimensions for a scalar) to w
// and returns a writer for its values, in C order. Exactly the product of
// shape values must then be written before Close.
func NewNPYWriter(w io.Writer, dtype string, shape ...int) (*NPYWriter, error) {
	nw, err := newNPYWriter(w, dtype, shape)
	if err != nil {
		return nil, err
	}
	hdr, err := npyHeader(dtype, shape)
	if err != nil {
		return nil, err
	}
	nw.hdrBytes = len(hdr)
	if _, err := w.Write(hdr); err != nil {
		return nil, fmt.Errorf("writing a .npy header: %w", err)
	}
	return nw, nil
}

// newNPYWriter checks dtype and shape and returns a writer that has not
// written a header.
func newNPYWriter(w io.Writer, dtype string, shape []int) (*NPYWriter, error) {
	nw := &NPYWriter{w: w, dtype: dtype, total: 1, rowLen: 1}
	switch dtype {
	case "<f4":
		nw.size = 4
	case "<f8":
		nw.size = 8
	default:
		return nil, fmt.Errorf("NPYWriter: dtype %q is not supported; use \"<f4\" or \"<f8\"", dtype)
	}
	for i, d := range shape {
		if d < 0 {
			return nil, fmt.Errorf("NPYWriter: negative dimension in shape %v", shape)
		}
		if d > 0 && nw.total > math.MaxInt64/int64(nw.size)/int64(d) {
			return nil, fmt.Errorf("NPYWriter: shape %v holds too many values", shape)
		}
		nw.total *= int64(d)
		if i > 0 {
			nw.rowLen *= int64(d)
		}
	}
	nw.buf = make([]byte, 0, npyWriteChunk)
	return nw, nil
}

// newNPYRowWriter returns a writer of rows of rowShape whose number is not
// known yet: it writes a placeholder header for shape (0, rowShape…), which
// has the same length as the header for any number of rows (numpy's
// growth padding), and counts the values. The caller writes the real
// header over the placeholder once the count is known (npyHeader, whose
// length hdrBytes records).
func newNPYRowWriter(w io.Writer, dtype string, rowShape ...int) (*NPYWriter, error) {
	shape := append([]int{0}, rowShape...)
	nw, err := newNPYWriter(w, dtype, shape)
	if err != nil {
		return nil, err
	}
	if nw.rowLen == 0 {
		return nil, fmt.Errorf("NPYWriter: rows of shape %v hold no values", rowShape)
	}
	hdr, err := npyHeader(dtype, shape)
	if err != nil {
		return nil, err
	}
	nw.hdrBytes = len(hdr)
	nw.total = -1
	if _, err := w.Write(hdr); err != nil {
		return nil, fmt.Errorf("writing a .npy header: %w", err)
	}
	return nw, nil
}

// WriteFloat32 writes values (a row, or any number of them) in C order. For
// "<f8" each is widened exactly.
func (w *NPYWriter) WriteFloat32(values []float32) error {
	if err := w.reserve(len(values)); err != nil {
		return err
	}
	for _, v := range values {
		if w.size == 4 {
			w.buf = binary.LittleEndian.AppendUint32(w.buf, math.Float32bits(v))
		} else {
			w.buf = binary.LittleEndian.AppendUint64(w.buf, math.Float64bits(float64(v)))
		}
		if len(w.buf) == cap(w.buf) {
			if err := w.flush(); err != nil {
				return err
			}
		}
	}
	return nil
}

// WriteFloat64 writes values in C order. Only a "<f8" array takes float64
// values: rounding them to float32 is left to the caller, who knows whether
// that is meant.
func (w *NPYWriter) WriteFloat64(values []float64) error {
	if w.err == nil && w.size != 8 {
		return fmt.Errorf("NPYWriter: WriteFloat64 into a %s array would round; convert to float32 and use WriteFloat32", w.dtype)
	}
	if err := w.reserve(len(values)); err != nil {
		return err
	}
	for _, v := range values {
		w.buf = binary.LittleEndian.AppendUint64(w.buf, math.Float64bits(v))
		if len(w.buf) == cap(w.buf) {
			if err := w.flush(); err != nil {
				return err
			}
		}
	}
	return nil
}

// reserve counts n more values, failing if the shape holds fewer.
func (w *NPYWriter) reserve(n int) error {
	switch {
	case w.err != nil:
		return w.err
	case w.closed:
		return errors.New("NPYWriter: write after Close")
	case w.total >= 0 && int64(n) > w.total-w.written:
		w.err = fmt.Errorf("NPYWriter: %d more values would exceed the %d the shape holds (%d written)", n, w.total, w.written)
		return w.err
	}
	w.written += int64(n)
	return nil
}

// flush writes the buffered bytes.
func (w *NPYWriter) flush() error {
	if len(w.buf) == 0 {
		return nil
	}
	if _, err := w.w.Write(w.buf); err != nil {
		w.err = fmt.Errorf("writing .npy data: %w", err)
		return w.err
	}
	w.buf = w.buf[:0]
	return nil
}

// Close writes what is buffered and checks that the shape's every value
// was written. It does not close the underlying writer. A second Close
// returns what the first returned.
func (w *NPYWriter) Close() error {
	if w.closed || w.err != nil {
		w.closed = true
		return w.err
	}
	w.closed = true
	if err := w.flush(); err != nil {
		return err
	}
	if w.total >= 0 && w.written != w.total {
		w.err = fmt.Errorf("NPYWriter: %d values written, the shape holds %d", w.written, w.total)
		return w.err
	}
	if w.total < 0 && w.written%w.rowLen != 0 {
		w.err = fmt.Errorf("NPYWriter: %d values written, not a whole number of rows of %d", w.written, w.rowLen)
		return w.err
	}
	return nil
}

// npyHeader returns a .npy version 1.0 header for a C-order array of dtype
// and shape, as numpy 1.24 writes it (numpy.lib.format._write_array_header
// and _wrap_header): the dict with its keys sorted, then room for the first
// dimension to grow to 21 digits, then spaces and a newline so that the
// data starts at a multiple of 64 bytes (a whole 64 more when it would
// already).
func npyHeader(dtype string, shape []int) ([]byte, error) {
	var s strings.Builder
	s.WriteString("{'descr': '")
	s.WriteString(dtype)
	s.WriteString("', 'fortran_order': False, 'shape': (")
	for i, d := range shape {
		if i > 0 {
			s.WriteString(", ")
		}
		s.WriteString(strconv.Itoa(d))
	}
	if len(shape) == 1 {
		s.WriteString(",")
	}
	s.WriteString("), }")
	if len(shape) > 0 {
		const growthAxisMaxDigits = 21
		if pad := growthAxisMaxDigits - len(strconv.Itoa(shape[0])); pad > 0 {
			s.WriteString(strings.Repeat(" ", pad))
		}
	}
	const prefix = 10 // magic, version, uint16 length
	hlen := s.Len() + 1
	pad := 64 - (prefix+hlen)%64
	hlen += pad
	if hlen > math.MaxUint16 {
		return nil, fmt.Errorf("NPYWriter: the header for shape %v is %d bytes, over the %d of .npy format 1.0", shape, hlen, math.MaxUint16)
	}
	b := make([]byte, 0, prefix+hlen)
	b = append(b, "\x93NUMPY\x01\x00"...)
	b = binary.LittleEndian.AppendUint16(b, uint16(hlen))
	b = append(b, s.String()...)
	for range pad {
		b = append(b, ' ')
	}
	return append(b, '\n'), nil
}
