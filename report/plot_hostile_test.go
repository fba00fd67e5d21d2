package report

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The tick loops end on any finite input: values so large that k+1 == k in
// float64 (issue 8: 1e16 and the next float64 but one looped forever), the
// widest finite spans, denormals, and a span that overflows.
func TestTicksTerminateOnExtremeRanges(t *testing.T) {
	for _, tc := range []struct {
		name   string
		values Series
	}{
		{"1e16 and its neighbour", Series{1e16, 10000000000000002}},
		{"1e300 apart by one ulp", Series{1e300, math.Nextafter(1e300, math.Inf(1))}},
		{"widest finite span", Series{-math.MaxFloat64, math.MaxFloat64}},
		{"denormals", Series{math.SmallestNonzeroFloat64, 2 * math.SmallestNonzeroFloat64}},
		{"tiny to huge", Series{math.SmallestNonzeroFloat64, math.MaxFloat64}},
		{"negative huge", Series{-1e17, -1e17 + 16}},
		{"all equal huge", Series{1e20, 1e20}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			done := make(chan error, 1)
			go func() {
				run := &Run{Name: "x", Dir: "x", History: History{
					Loss: tc.values, Accuracy: tc.values, ValLoss: tc.values, ValAccuracy: tc.values}}
				var err error
				for _, fig := range Figures {
					if _, _, err = RenderFigure([]*Run{run}, fig); err != nil {
						break
					}
				}
				done <- err
			}()
			select {
			case err := <-done:
				require.NoError(t, err)
			case <-time.After(20 * time.Second):
				t.Fatal("rendering did not finish: a tick loop does not terminate")
			}
		})
	}
	// The markers themselves, directly.
	for _, r := range [][2]float64{{1e16, 10000000000000002}, {-math.MaxFloat64, math.MaxFloat64}, {0, math.SmallestNonzeroFloat64}} {
		assert.LessOrEqual(t, len(linearTicks{}.Ticks(r[0], r[1])), 100, "%v", r)
	}
	assert.LessOrEqual(t, len(logTicks{}.Ticks(math.SmallestNonzeroFloat64, math.MaxFloat64)), 6000)
}
