package data

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
)

// MaxIDXDims is the largest number of dimensions ReadIDX accepts. The MNIST
// files have one (labels) or three (images); four leaves room for colour.
const MaxIDXDims = 4

// MaxIDXElements is the largest number of elements ReadIDX accepts. A header
// claiming more is rejected before any data is read, so a corrupt or hostile
// header cannot make the reader allocate gigabytes.
const MaxIDXElements = 1 << 30

// idxTypeUint8 is the IDX type code of unsigned bytes, the only one ReadIDX
// reads (ReadIDXValues reads them all).
const idxTypeUint8 = byte(IDXUint8)

// Errors returned (wrapped, with the file name and details) by the IDX reader.
// Test for them with errors.Is.
var (
	// ErrBadMagic means the first two bytes of the file are not zero.
	ErrBadMagic = errors.New("not an IDX file (bad magic)")
	// ErrUnsupportedType means the IDX type code is not one the reader
	// takes: ReadIDX takes only 0x08 (uint8), ReadIDXValues the six codes
	// of the format.
	ErrUnsupportedType = errors.New("unsupported IDX data type")
	// ErrBadDims means the number of dimensions is zero or above MaxIDXDims.
	ErrBadDims = errors.New("bad IDX dimensions")
	// ErrTooLarge means the header claims more than MaxIDXElements elements
	// (this includes products that would overflow an int).
	ErrTooLarge = errors.New("IDX header claims too many elements")
	// ErrTruncated means the file ends before the data the header claims.
	ErrTruncated = errors.New("IDX file truncated")
	// ErrTrailingData means the file holds more bytes than the header claims.
	ErrTrailingData = errors.New("IDX file has trailing bytes")
)

// IDX is a parsed IDX file: an n-dimensional array of uint8 in row-major
// order, as used by MNIST and Fashion-MNIST.
type IDX struct {
	// Name is the name the file was read under (used in error messages).
	Name string
	// Dims are the sizes of the dimensions, outermost first.
	Dims []int
	// Data holds the product of Dims elements, row-major.
	Data []uint8
}

// ReadIDX parses an uncompressed IDX stream. name identifies the stream in
// error messages. Only the uint8 data type (0x08) is supported. The whole
// stream must be consumed by the data: trailing bytes are an error.
//
// Memory use is bounded by the bytes actually present, never by the sizes the
// header claims, and the claimed element count is capped at MaxIDXElements.
func ReadIDX(r io.Reader, name string) (*IDX, error) {
	_, dims, body, err := readIDXArray(r, name, -1, acceptUint8)
	if err != nil {
		return nil, err
	}
	return &IDX{Name: name, Dims: dims, Data: body}, nil
}

// acceptUint8 is ReadIDX's test of the type code.
func acceptUint8(t IDXType, name string) error {
	if t != IDXUint8 {
		return fmt.Errorf("%s: %w 0x%02x (only 0x08, unsigned byte, is supported here; ReadIDXValues reads every IDX type)",
			name, ErrUnsupportedType, byte(t))
	}
	return nil
}

// readIDXArray reads a whole IDX stream: the magic number, whose type code
// accept must take, the dimension sizes and the data bytes as stored. size
// is the stream's length in bytes when known (a raw file), else -1; a known
// size lets a header that claims more data than the stream holds be refused
// before anything is read, and the data buffer be allocated once.
func readIDXArray(r io.Reader, name string, size int64, accept func(IDXType, string) error) (IDXType, []int, []byte, error) {
	t, err := readIDXMagic(r, name, accept)
	if err != nil {
		return 0, nil, nil, err
	}
	dims, err := readIDXDims(r, name)
	if err != nil {
		return 0, nil, nil, err
	}
	n, err := idxElements(dims, name)
	if err != nil {
		return 0, nil, nil, err
	}
	left := int64(-1)
	if size >= 0 {
		left = size - int64(4+4*len(dims))
	}
	body, err := readIDXBody(r, n, t.Size(), left, dims, name)
	if err != nil {
		return 0, nil, nil, err
	}
	return t, dims, body, nil
}

// readIDXMagic reads the magic number and returns its type code.
func readIDXMagic(r io.Reader, name string, accept func(IDXType, string) error) (IDXType, error) {
	var magic [3]byte
	if _, err := io.ReadFull(r, magic[:]); err != nil {
		return 0, fmt.Errorf("%s: reading magic number: %w", name, headerErr(err))
	}
	if magic[0] != 0 || magic[1] != 0 {
		return 0, fmt.Errorf("%s: %w: first bytes are % x, want 00 00", name, ErrBadMagic, magic[:2])
	}
	t := IDXType(magic[2])
	if err := accept(t, name); err != nil {
		return 0, err
	}
	return t, nil
}

// readIDXDims reads the number of dimensions and their sizes.
func readIDXDims(r io.Reader, name string) ([]int, error) {
	var nd [1]byte
	if _, err := io.ReadFull(r, nd[:]); err != nil {
		return nil, fmt.Errorf("%s: reading magic number: %w", name, headerErr(err))
	}
	ndims := int(nd[0])
	if ndims == 0 || ndims > MaxIDXDims {
		return nil, fmt.Errorf("%s: %w: header says %d dimensions, want 1 to %d",
			name, ErrBadDims, ndims, MaxIDXDims)
	}
	raw := make([]byte, 4*ndims)
	if _, err := io.ReadFull(r, raw); err != nil {
		return nil, fmt.Errorf("%s: reading %d dimension sizes: %w", name, ndims, headerErr(err))
	}
	dims := make([]int, ndims)
	for i := range dims {
		dims[i] = int(binary.BigEndian.Uint32(raw[4*i:]))
	}
	return dims, nil
}

// headerErr turns an end of file inside the header into ErrTruncated, keeping
// other errors (such as a corrupt gzip stream) as they are.
func headerErr(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w: %w", ErrTruncated, err)
	}
	return err
}

// idxElements returns the product of dims, or ErrTooLarge if it or any one
// dim exceeds MaxIDXElements. The check is done before each multiplication,
// so the product can never overflow.
func idxElements(dims []int, name string) (int, error) {
	n := 1
	for _, d := range dims {
		if d > MaxIDXElements || (d != 0 && n > MaxIDXElements/d) {
			return 0, fmt.Errorf("%s: %w: dims %v exceed the limit of %d elements",
				name, ErrTooLarge, dims, MaxIDXElements)
		}
		n *= d
	}
	return n, nil
}

// readIDXBody reads exactly n elements of size bytes and checks that
// nothing follows. It reads through a LimitReader of one byte more, with
// io.ReadAll, so the buffer grows with the bytes that really arrive rather
// than with the claimed count. When left, the bytes the stream holds after
// the header, is known (not -1), a claim beyond it is refused at once and a
// claim within it is read into a buffer allocated once. So is a gzip
// file's content when the gzip trailer agrees with the claim (see
// gzipContent).
func readIDXBody(r io.Reader, n, size int, left int64, dims []int, name string) ([]byte, error) {
	want := int64(n) * int64(size) // n ≤ MaxIDXElements and size ≤ 8: no overflow
	if want > math.MaxInt-1 {
		return nil, fmt.Errorf("%s: %w: dims %v need %d data bytes, more than this machine can address",
			name, ErrTooLarge, dims, want)
	}
	if left >= 0 && left < want {
		return nil, fmt.Errorf("%s: %w: dims %v need %d data bytes, file has %d",
			name, ErrTruncated, dims, want, left)
	}
	var body []byte
	var err error
	// A gzip file whose trailer states this size is decoded into one
	// buffer, as a raw file is read.
	g, gz := r.(*gzipContent)
	if left >= 0 || gz && g.agrees(int64(4+4*len(dims))+want) {
		body = make([]byte, want+1)
		var k int
		k, err = io.ReadFull(r, body)
		body = body[:k]
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			err = nil // the length checks below report it
		}
	} else {
		body, err = io.ReadAll(io.LimitReader(r, want+1))
	}
	if err != nil {
		return nil, fmt.Errorf("%s: reading data: %w", name, err)
	}
	switch {
	case int64(len(body)) < want:
		return nil, fmt.Errorf("%s: %w: dims %v need %d data bytes, file has %d",
			name, ErrTruncated, dims, want, len(body))
	case int64(len(body)) > want:
		return nil, fmt.Errorf("%s: %w after the %d data bytes of dims %v",
			name, ErrTrailingData, want, dims)
	}
	return body, nil
}
