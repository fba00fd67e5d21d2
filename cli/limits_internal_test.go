package cli

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestNetworkFootprintSaturates(t *testing.T) {
	fp := networkFootprint(784, []int{128, 128, 10}, 128)
	params := uint64(784*128 + 128 + 128*128 + 128 + 128*10 + 10)
	assert.Equal(t, params, fp.params)
	assert.Equal(t, 4*(paramCopies*params+128*(unitCopies*266+ioCopies*(784+10))), fp.bytes)

	// 3037000500² overflows int64; the count saturates instead of wrapping.
	fp = networkFootprint(784, []int{3037000500, 3037000500, 10}, 1)
	assert.Greater(t, fp.params, uint64(9e18), "about 9.2e18, not a wrapped negative")
	fp = networkFootprint(math.MaxInt, []int{math.MaxInt, math.MaxInt}, math.MaxUint64)
	assert.Equal(t, uint64(math.MaxUint64), fp.params)
	assert.Equal(t, uint64(math.MaxUint64), fp.bytes)
	assert.Equal(t, "more than 16 EiB", formatBytes(fp.bytes))
	assert.Equal(t, "more than 2^64", formatCount(fp.params))
	assert.Equal(t, "1.5 KiB", formatBytes(1536))
	assert.Equal(t, "2.0 GiB", formatBytes(2<<30))
}

func TestCheckLR(t *testing.T) {
	for _, ok := range []float64{1, 1e-3, 3.4e38, 1.5e-45, 100} {
		assert.NoError(t, checkLR("--lr", ok), "%v", ok)
	}
	for _, bad := range []float64{0, -1, 3.5e38, 1e39, 1e-46, math.Inf(1), math.NaN()} {
		assert.Error(t, checkLR("--lr", bad), "%v", bad)
	}
}

func TestParseThreadsCap(t *testing.T) {
	n, err := parseThreads("1")
	assert.NoError(t, err)
	assert.Equal(t, 1, n)
	_, err = parseThreads("2147483648")
	assert.ErrorContains(t, err, "more than 4 per CPU")
	n, err = parseThreads("auto")
	assert.NoError(t, err)
	assert.Zero(t, n)
}
