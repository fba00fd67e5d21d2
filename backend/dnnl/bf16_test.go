//go:build cgo && !nodnnl

package dnnl

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
)

// On a CPU without bf16 (CPUID), New refuses bf16 with ErrNoBF16 before it
// touches oneDNN; f32 is unaffected.
func TestBF16RefusedWithoutCPUSupport(t *testing.T) {
	saved := cpuHasBF16
	t.Cleanup(func() { cpuHasBF16 = saved })
	cpuHasBF16 = func() bool { return false }
	_, err := New(WithPrecision(BF16))
	require.ErrorIs(t, err, ErrNoBF16)
	require.EqualError(t, err, "dnnl backend: bf16 needs a CPU with AVX512-BF16 or AMX; this one has neither")
	e, err := New()
	require.NoError(t, err)
	require.Equal(t, F32, e.Precision())
	require.NoError(t, e.Close())
	_, err = New(WithPrecision(Precision(9)))
	require.ErrorContains(t, err, "unknown precision")
	require.False(t, errors.Is(err, ErrNoBF16))
}
