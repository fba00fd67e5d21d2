package backendtest

// Tolerance sets how far a dense plan's GEMM results may be from the
// float64 reference: the precision its GEMMs read their inputs in.
//
// Derivation. A plan computes c = Σ_{p<k} a_p·b_p (plus a float32 bias in the
// forward). When its GEMMs read the float32 inputs as they are (F32), the
// classical bound of Check applies: |ĉ − c| ≤ 2(k+2)·u·Σ|a_p·b_p|, u = 2⁻²⁴.
// When they first round each input to a narrower format with unit roundoff
// u_in (BF16: bfloat16 keeps 8 significant bits, so u_in = 2⁻⁸ with round to
// nearest even), each product becomes a_p(1+δ)·b_p(1+ε), |δ|, |ε| ≤ u_in, an
// error of at most ((1+u_in)² − 1)·|a_p·b_p| = (2u_in + u_in²)·|a_p·b_p|
// before any sum; the product of two bf16 values is exact in float32 (8 × 8
// significant bits), and the sum is accumulated in float32 as before, so
//
//	|ĉ − c| ≤ (2u_in + u_in² + 2(k+2)·u)·Σ|a_p·b_p|
//
// (the float32 term over the rounded products, whose magnitudes exceed the
// originals' by at most (1+u_in)², absorbed in the doubling). The
// activations, the softmax, the activation backward and db are float32 in
// every plan and keep their float32 tolerances.
//
// For a 784-term forward the bf16 bound is ≈ 7.8e-3·Σ|a_p·b_p| against the
// float32 bound's 9.4e-5: a bf16 plan passes BF16Tolerance and, on the
// tutorial's shapes, fails F32Tolerance (which is how the dnnl tests see
// that bf16 runs at all).
type Tolerance struct {
	// Name, for messages: "f32", "bf16".
	Name string
	// InputU is the unit roundoff of the format the GEMM inputs are
	// rounded to; 0 when they are read as float32.
	InputU float64
}

// The tolerances of the precisions descent's engines run in.
var (
	F32Tolerance  = Tolerance{Name: "f32"}
	BF16Tolerance = Tolerance{Name: "bf16", InputU: 1.0 / (1 << 8)}
)

// gemmBound is the bound above for a k-term dot product with Σ|a_p·b_p| =
// mag; for F32 (InputU 0, the two added terms exact zeros) exactly Check's
// 2(k+2)·u·mag.
func (t Tolerance) gemmBound(k int, mag float64) float64 {
	const u = 1.0 / (1 << 24)
	return (2*t.InputU + t.InputU*t.InputU + 2*float64(k+2)*u) * mag
}
