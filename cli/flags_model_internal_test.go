package cli

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
)

// Dropout adds its mask and dropped output per hidden unit and sample to
// the training footprint, saturating like the rest.
func TestDropoutFootprint(t *testing.T) {
	fp := networkFootprint(784, []int{128, 128, 10}, 128)
	assert.Equal(t, fp, dropoutFootprint(fp, []int{128, 128}, 128, 0))
	got := dropoutFootprint(fp, []int{128, 128}, 128, 0.2)
	assert.Equal(t, fp.params, got.params)
	assert.Equal(t, fp.bytes+4*128*2*256, got.bytes)
	huge := dropoutFootprint(fp, []int{math.MaxInt}, math.MaxUint64, 0.5)
	assert.Equal(t, uint64(math.MaxUint64), huge.bytes)
}
