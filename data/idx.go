package data

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// MaxIDXDims is the largest number of dimensions ReadIDX accepts. The MNIST
// files have one (labels) or three (images); four leaves room for colour.
const MaxIDXDims = 4

// MaxIDXElements is the largest number of elements ReadIDX accepts. A header
// claiming more is rejected before any data is read, so a corrupt or hostile
// header cannot make the reader allocate gigabytes.
const MaxIDXElements = 1 << 30

// idxTypeUint8 is the IDX type code of unsigned bytes, the only one supported.
const idxTypeUint8 = 0x08

// Errors returned (wrapped, with the file name and details) by the IDX reader.
// Test for them with errors.Is.
var (
	// ErrBadMagic means the first two bytes of the file are not zero.
	ErrBadMagic = errors.New("not an IDX file (bad magic)")
	// ErrUnsupportedType means the IDX type code is not 0x08 (uint8).
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
	dims, err := readIDXHeader(r, name)
	if err != nil {
		return nil, err
	}
	n, err := idxElements(dims, name)
	if err != nil {
		return nil, err
	}
	body, err := readIDXBody(r, n, dims, name)
	if err != nil {
		return nil, err
	}
	return &IDX{Name: name, Dims: dims, Data: body}, nil
}

// readIDXHeader reads the magic number and the dimension sizes.
func readIDXHeader(r io.Reader, name string) ([]int, error) {
	var magic [4]byte
	if _, err := io.ReadFull(r, magic[:]); err != nil {
		return nil, fmt.Errorf("%s: reading magic number: %w", name, headerErr(err))
	}
	if magic[0] != 0 || magic[1] != 0 {
		return nil, fmt.Errorf("%s: %w: first bytes are % x, want 00 00", name, ErrBadMagic, magic[:2])
	}
	if magic[2] != idxTypeUint8 {
		return nil, fmt.Errorf("%s: %w 0x%02x (only 0x08, unsigned byte, is supported)",
			name, ErrUnsupportedType, magic[2])
	}
	ndims := int(magic[3])
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

// readIDXBody reads exactly n bytes of data and checks that nothing follows.
// It reads through a LimitReader of n+1 bytes with io.ReadAll, so the buffer
// grows with the bytes that really arrive rather than with the claimed n.
func readIDXBody(r io.Reader, n int, dims []int, name string) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(r, int64(n)+1))
	if err != nil {
		return nil, fmt.Errorf("%s: reading data: %w", name, err)
	}
	switch {
	case len(body) < n:
		return nil, fmt.Errorf("%s: %w: dims %v need %d data bytes, file has %d",
			name, ErrTruncated, dims, n, len(body))
	case len(body) > n:
		return nil, fmt.Errorf("%s: %w after the %d data bytes of dims %v",
			name, ErrTrailingData, n, dims)
	}
	return body, nil
}
