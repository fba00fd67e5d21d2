package data

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
)

// ErrNonFinite means a float IDX file holds a NaN or an infinity, or a
// float64 value that float32 cannot hold.
var ErrNonFinite = errors.New("IDX value not finite")

// IDXValues is a parsed IDX file of any of the format's element types: an
// n-dimensional array in row-major order, kept as the bytes stored in the
// file (big-endian, Type.Size() bytes an element), so reading costs no more
// memory than the data. Float32s and Float64s convert it to features and
// targets; IDX returns a uint8 file as the IDX that ReadIDX gives. Every
// float element of an IDXValues from ReadIDXValues is finite.
type IDXValues struct {
	// Name is the name the file was read under (used in error messages).
	Name string
	// Type is the element type.
	Type IDXType
	// Dims are the sizes of the dimensions, outermost first.
	Dims []int
	// Data holds the product of Dims elements, row-major, as stored.
	Data []byte
}

// ReadIDXValues parses an uncompressed IDX stream of any type code of the
// format (0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E
// float64). name identifies the stream in error messages. As with ReadIDX,
// the whole stream must be consumed by the data, at most MaxIDXElements
// elements are accepted, and memory use is bounded by the bytes actually
// present, never by the sizes the header claims. A NaN or infinite float
// is refused with ErrNonFinite, naming the element's index.
func ReadIDXValues(r io.Reader, name string) (*IDXValues, error) {
	return readIDXValues(r, name, -1)
}

// ReadIDXValuesFile reads an IDX file of any type code from disk, raw or
// gzip-compressed (detected from the content), as ReadIDXFile does: only a
// regular file is read, and a raw file whose header claims more data than
// it holds is refused before the data is read.
func ReadIDXValuesFile(path string) (*IDXValues, error) {
	var v *IDXValues
	err := withIDXFile(path, maxIDXValuesFileSize, func(r io.Reader, size int64) error {
		var err error
		v, err = readIDXValues(r, path, size)
		return err
	})
	return v, err
}

// readIDXValues reads an IDX stream of size bytes (-1 if unknown) and
// checks that its floats are finite.
func readIDXValues(r io.Reader, name string, size int64) (*IDXValues, error) {
	t, dims, body, err := readIDXArray(r, name, size, acceptIDXType)
	if err != nil {
		return nil, err
	}
	v := &IDXValues{Name: name, Type: t, Dims: dims, Data: body}
	if err := v.checkFinite(); err != nil {
		return nil, err
	}
	return v, nil
}

// acceptIDXType is ReadIDXValues's test of the type code.
func acceptIDXType(t IDXType, name string) error {
	if t.Size() == 0 {
		return fmt.Errorf("%s: %w 0x%02x (the IDX types are 0x08 uint8, 0x09 int8, 0x0b int16, 0x0c int32, 0x0d float32 and 0x0e float64)",
			name, ErrUnsupportedType, byte(t))
	}
	return nil
}

// Len returns the number of elements (0 if Type is not a code of the
// format).
func (v *IDXValues) Len() int {
	if v.Type.Size() == 0 {
		return 0
	}
	return len(v.Data) / v.Type.Size()
}

// At returns element i as a float64, which holds every element type exactly.
// An index out of [0, Len) is a programming error and panics.
func (v *IDXValues) At(i int) float64 {
	switch v.Type {
	case IDXUint8:
		return float64(v.Data[i])
	case IDXInt8:
		return float64(int8(v.Data[i]))
	case IDXInt16:
		return float64(int16(binary.BigEndian.Uint16(v.Data[2*i:])))
	case IDXInt32:
		return float64(int32(binary.BigEndian.Uint32(v.Data[4*i:])))
	case IDXFloat32:
		return float64(math.Float32frombits(binary.BigEndian.Uint32(v.Data[4*i:])))
	case IDXFloat64:
		return math.Float64frombits(binary.BigEndian.Uint64(v.Data[8*i:]))
	}
	panic(fmt.Sprintf("data: IDXValues %s: bad type %v", v.Name, v.Type)) // only a hand-built IDXValues gets here
}

// Float64s returns the elements as float64, which is exact for every type:
// the form of a Table's targets.
func (v *IDXValues) Float64s() []float64 {
	out := make([]float64, v.Len())
	for i := range out {
		out[i] = v.At(i)
	}
	return out
}

// Float32s returns the elements as float32, the form of a Table's features:
// exact for uint8, int8, int16 and float32, rounded to the nearest float32
// for int32 (exact up to 2²⁴ in magnitude) and float64. A float64 beyond
// float32's range is refused with ErrNonFinite, naming its index.
func (v *IDXValues) Float32s() ([]float32, error) {
	out := make([]float32, v.Len())
	for i := range out {
		x := v.At(i)
		if math.Abs(x) > math.MaxFloat32 {
			return nil, fmt.Errorf("%s: %w: element %s is %g, beyond float32's range",
				v.Name, ErrNonFinite, idxIndex(v.Dims, i), x)
		}
		out[i] = float32(x)
	}
	return out, nil
}

// IDX returns a uint8 file as an IDX sharing Data, and an error wrapping
// ErrUnsupportedType for any other type.
func (v *IDXValues) IDX() (*IDX, error) {
	if v.Type != IDXUint8 {
		return nil, fmt.Errorf("%s: %w %v: an IDX holds unsigned bytes only", v.Name, ErrUnsupportedType, v.Type)
	}
	return &IDX{Name: v.Name, Dims: v.Dims, Data: v.Data}, nil
}

// checkFinite refuses a float element that is NaN or infinite.
func (v *IDXValues) checkFinite() error {
	if !v.Type.IsFloat() {
		return nil
	}
	for i, n := 0, v.Len(); i < n; i++ {
		if x := v.At(i); math.IsNaN(x) || math.IsInf(x, 0) {
			return fmt.Errorf("%s: %w: element %s is %v", v.Name, ErrNonFinite, idxIndex(v.Dims, i), x)
		}
	}
	return nil
}

// idxIndex describes the position of element i of an array of dims, as
// "7 (index [1 3])", or "7" for one dimension.
func idxIndex(dims []int, i int) string {
	if len(dims) < 2 {
		return fmt.Sprint(i)
	}
	idx := make([]int, len(dims))
	for j, rest := len(dims)-1, i; j >= 0; j-- {
		if dims[j] > 0 {
			idx[j] = rest % dims[j]
			rest /= dims[j]
		}
	}
	return fmt.Sprintf("%d (index %v)", i, idx)
}
