package data

import "fmt"

// IDXType is the type code of an IDX file's elements, the third byte of its
// magic number. Elements are stored big-endian, Size bytes each.
type IDXType byte

// The IDX type codes of the format.
const (
	// IDXUint8 is unsigned bytes, the type of MNIST and Fashion-MNIST.
	IDXUint8 IDXType = 0x08
	// IDXInt8 is signed bytes.
	IDXInt8 IDXType = 0x09
	// IDXInt16 is signed 16-bit integers.
	IDXInt16 IDXType = 0x0B
	// IDXInt32 is signed 32-bit integers.
	IDXInt32 IDXType = 0x0C
	// IDXFloat32 is IEEE 754 single-precision floats.
	IDXFloat32 IDXType = 0x0D
	// IDXFloat64 is IEEE 754 double-precision floats.
	IDXFloat64 IDXType = 0x0E
)

// Size returns the bytes of one element of type t, or 0 if t is not a type
// code of the format.
func (t IDXType) Size() int {
	switch t {
	case IDXUint8, IDXInt8:
		return 1
	case IDXInt16:
		return 2
	case IDXInt32, IDXFloat32:
		return 4
	case IDXFloat64:
		return 8
	}
	return 0
}

// IsFloat reports whether t is a floating-point type.
func (t IDXType) IsFloat() bool { return t == IDXFloat32 || t == IDXFloat64 }

// String returns the code and its Go type, as "0x0d (float32)".
func (t IDXType) String() string {
	names := map[IDXType]string{
		IDXUint8: "uint8", IDXInt8: "int8", IDXInt16: "int16",
		IDXInt32: "int32", IDXFloat32: "float32", IDXFloat64: "float64",
	}
	if n, ok := names[t]; ok {
		return fmt.Sprintf("0x%02x (%s)", byte(t), n)
	}
	return fmt.Sprintf("0x%02x (unknown)", byte(t))
}
