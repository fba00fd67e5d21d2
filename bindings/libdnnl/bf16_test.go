//go:build cgo && !nodnnl

package libdnnl

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// bf16Ref rounds f to bf16 as VCVTNEPS2BF16 does, computed independently of
// the C layer: the nearer of the two bf16 neighbours (ties to the even
// one), denormals as signed zero, NaN quieted.
func bf16Ref(f float32) uint16 {
	u := math.Float32bits(f)
	switch {
	case f != f:
		return uint16(u>>16) | 0x40
	case math.IsInf(float64(f), 0):
		return uint16(u >> 16)
	case u&0x7f800000 == 0:
		return uint16(u>>16) & 0x8000
	}
	lo := u &^ 0xffff  // truncated: the bf16 neighbour towards zero
	hi := lo + 0x10000 // the next bf16 away from zero
	value := func(b uint32) float64 {
		v := float64(math.Float32frombits(b))
		if math.IsInf(v, 0) { // one step past the largest finite bf16: 2^128 as if the exponent went on
			v = math.Copysign(math.Ldexp(1, 128), v)
		}
		return v
	}
	dLo, dHi := math.Abs(float64(f)-value(lo)), math.Abs(value(hi)-float64(f))
	if dLo < dHi || (dLo == dHi && (lo>>16)&1 == 0) {
		return uint16(lo >> 16)
	}
	return uint16(hi >> 16)
}

// bf16Inputs are the special values (zeros, denormals, the largest finite
// float, infinities, NaNs, exact ties both ways, values just off ties) and
// random floats of every magnitude.
func bf16Inputs() []float32 {
	bits := []uint32{0, 0x80000000, 1, 0x807fffff, 0x00400000, 0x00800000, 0x7f7fffff, 0xff7fffff,
		0x7f7f8000, 0x7f7f7fff, 0x7f800000, 0xff800000, 0x7fc00000, 0xffc00001, 0x7f800001, 0x7fbfffff,
		0x3f808000, 0x3f818000, 0x3f808001, 0x3f807fff, 0xbf808000, 0xbf818000, 0x3f800000, 0x3f7fffff}
	rng := rand.New(rand.NewPCG(11, 12))
	for len(bits) < 5000 {
		bits = append(bits, rng.Uint32())
	}
	xs := make([]float32, len(bits))
	for i, b := range bits {
		xs[i] = math.Float32frombits(b)
	}
	return xs
}

// The C layer's scalar conversion against the independent reference, and
// its AVX512-BF16 kernel (what bf16 plans run) against the scalar one, bit
// for bit, at every tail length of the vector loop (32 per step, masked
// 16-wide tail), so that the kernel writes nothing past n.
func TestToBF16(t *testing.T) {
	xs := bf16Inputs()
	scalar := make([]uint16, len(xs))
	require.NoError(t, toBF16(scalar, xs, false))
	for i, x := range xs {
		if want := bf16Ref(x); scalar[i] != want {
			t.Fatalf("scalar to_bf16(%#08x) = %#04x, want %#04x", math.Float32bits(x), scalar[i], want)
		}
	}
	if !BF16Supported() {
		t.Skip("no AVX512-BF16 kernels here: the vector conversion is not used")
	}
	for n := 0; n <= 100; n++ {
		for _, off := range []int{0, 1, 7, 24} {
			dst := make([]uint16, n+40)
			for i := range dst {
				dst[i] = 0xdead
			}
			require.NoError(t, toBF16(dst, xs[off:off+n], true))

			require.Equal(t, scalar[off:off+n], dst[:n], "n %d offset %d", n, off)
			for i := n; i < len(dst); i++ {
				require.Equal(t, uint16(0xdead), dst[i], "n %d: wrote past the end at %d", n, i)
			}
		}
	}
	dst := make([]uint16, len(xs))
	require.NoError(t, toBF16(dst, xs, true))
	require.Equal(t, scalar, dst)
}

// BackwardAfterForward gives Backward's results bit for bit, on f32 and
// (where the CPU has it) bf16 plans; on bf16 it really reuses the
// forward's copies (a caller breaking its vouch sees the old x), and it
// falls back to converting when x or W is another slice or no forward
// preceded it.
func TestBackwardAfterForward(t *testing.T) {
	c := newContext(t)
	precs := []Precision{F32}
	if BF16Supported() {
		precs = append(precs, BF16)
	}
	for _, prec := range precs {
		for _, shape := range [][3]int{{128, 784, 128}, {37, 19, 10}} {
			batch, in, out := shape[0], shape[1], shape[2]
			d, err := c.NewDensePrecision(batch, in, out, Sigmoid, false, prec)
			require.NoError(t, err)
			s := newStepBuffers(5, batch, in, out)
			run := func(after bool, x []float32) [][]float32 {
				copy(s.dz, s.dy)
				require.NoError(t, d.ActivationBackward(s.y, s.dz))
				dw, db, dx := make([]float32, len(s.dw)), make([]float32, len(s.db)), make([]float32, len(s.dx))
				if after {
					require.NoError(t, d.BackwardAfterForward(x, s.w, s.dz, dw, db, dx))
				} else {
					require.NoError(t, d.Backward(x, s.w, s.dz, dw, db, dx))
				}
				return [][]float32{dw, db, dx}
			}
			require.NoError(t, d.Forward(s.x, s.w, s.b, s.y))
			want := run(false, s.x)
			require.NoError(t, d.Forward(s.x, s.w, s.b, s.y))
			require.Equal(t, want, run(true, s.x), "%v %v", prec, shape)
			// No forward since the last backward: converts again.
			require.Equal(t, want, run(true, s.x), "%v %v: after a backward", prec, shape)

			// Another x slice with other values: converted, not reused.
			x2 := slices.Clone(s.x)
			for i := range x2 {
				x2[i] = -x2[i] * 0.5
			}
			want2 := run(false, x2)
			require.NoError(t, d.Forward(s.x, s.w, s.b, s.y))
			require.Equal(t, want2, run(true, x2), "%v %v: another x", prec, shape)

			// The same slice changed in between (the caller breaks its
			// vouch): bf16 uses the forward's copy, f32 reads x again.
			require.NoError(t, d.Forward(s.x, s.w, s.b, s.y))
			saved := slices.Clone(s.x)
			copy(s.x, x2)
			got := run(true, s.x)
			copy(s.x, saved)
			if prec == BF16 {
				require.Equal(t, want[0], got[0], "%v %v: dW should come from the forward's bf16 copy of x", prec, shape)
				require.NotEqual(t, want2[0], got[0])
			} else {
				require.Equal(t, want2[0], got[0])
			}
			require.NoError(t, d.Close())
		}
	}
}
