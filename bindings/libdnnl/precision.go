package libdnnl

import "fmt"

// Precision is the number format a plan's GEMMs read (the values of the C
// layer's descent_precision). Every buffer a plan takes and writes is
// float32 whatever the precision.
type Precision int

const (
	// F32: everything in float32, as plans have always computed.
	F32 Precision = iota
	// BF16: the forward GEMM and both backward GEMMs (dW, dx) read
	// bfloat16 copies of x, W and dz, rounded to nearest even (as
	// VCVTNEPS2BF16 rounds) into buffers the plan owns, and accumulate and
	// write float32. Bias, activations, softmax, their backward passes and db
	// stay float32.
	BF16
)

// String returns "f32" or "bf16", the names --precision takes.
func (p Precision) String() string {
	switch p {
	case F32:
		return "f32"
	case BF16:
		return "bf16"
	}
	return fmt.Sprintf("Precision(%d)", int(p))
}

// ParsePrecision parses "f32" or "bf16" ("" is f32).
func ParsePrecision(s string) (Precision, error) {
	switch s {
	case "f32", "":
		return F32, nil
	case "bf16":
		return BF16, nil
	}
	return 0, fmt.Errorf("unknown precision %q (want f32 or bf16)", s)
}
