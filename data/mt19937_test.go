package data

import (
	"encoding"
	"encoding/binary"
	"math/bits"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	_ rand.Source                = (*MT19937)(nil)
	_ encoding.BinaryMarshaler   = (*MT19937)(nil)
	_ encoding.BinaryUnmarshaler = (*MT19937)(nil)
)

func draw32(m *MT19937, n int) []uint32 {
	out := make([]uint32, n)
	for i := range out {
		out[i] = m.Uint32()
	}
	return out
}

// TestMT19937Reference checks the outputs published with Matsumoto and
// Nishimura's mt19937ar.c: init_genrand(5489), the reference default seed,
// and mt19937ar.out's init_by_array({0x123, 0x234, 0x345, 0x456}).
func TestMT19937Reference(t *testing.T) {
	assert.Equal(t, []uint32{3499211612, 581869302, 3890346734, 3586334585, 545404204},
		draw32(NewMT19937(5489), 5))

	m, err := NewMT19937Array([]uint32{0x123, 0x234, 0x345, 0x456})
	require.NoError(t, err)
	out := draw32(m, 1000)
	assert.Equal(t, []uint32{1067595299, 955945823, 477289528, 4107218783, 4228976476}, out[:5])
	assert.Equal(t, []uint32{2416995901, 1397735321, 3460025646}, out[997:])
}

// TestMT19937Numpy checks against numpy 1.24.2's legacy RandomState; the
// expected values were printed by /usr/bin/python3 with Debian's numpy.
func TestMT19937Numpy(t *testing.T) {
	// bg = MT19937(); bg._legacy_seeding(42); bg.random_raw(...)
	m := NewMT19937(42)
	assert.Equal(t, []uint32{1608637542, 3421126067, 4083286876, 787846414, 3143890026}, draw32(m, 5))
	draw32(m, 995)
	assert.Equal(t, []uint32{2998581749, 138795966, 2302516368}, draw32(m, 3))

	// RandomState(42).get_state(): key[0], key[1], key[623], pos.
	s := NewMT19937(42).State()
	assert.Equal(t, uint32(42), s.Key[0])
	assert.Equal(t, uint32(3107752595), s.Key[1])
	assert.Equal(t, uint32(26719530), s.Key[623])
	assert.Equal(t, 624, s.Pos)

	// RandomState(42).tomaxint(3) is next_uint64 >> 1 on LP64.
	m = NewMT19937(42)
	for _, want := range []uint64{3454522818714476249, 8768791796696926855, 6751452423619668515} {
		assert.Equal(t, want, m.Uint64()>>1)
	}

	// RandomState(42).random_sample(3)
	m = NewMT19937(42)
	for _, want := range []float64{0.3745401188473625, 0.9507143064099162, 0.7319939418114051} {
		assert.Equal(t, want, m.Float64())
	}

	// The extremes of the seed range, and an array seed.
	assert.Equal(t, []uint32{419326371, 479346978, 3918654476}, draw32(NewMT19937(0xffffffff), 3))
	m, err := NewMT19937Array([]uint32{1, 2, 3})
	require.NoError(t, err)
	s = m.State()
	assert.Equal(t, []uint32{2147483648, 188977461, 1294596893}, s.Key[:3])
	assert.Equal(t, 624, s.Pos)
	assert.Equal(t, []uint32{2619334238, 1552691353, 3808334787}, draw32(m, 3))

	_, err = NewMT19937Array(nil)
	assert.Error(t, err)
}

func TestMT19937Permutation(t *testing.T) {
	// RandomState(7).permutation(20), and the state it leaves behind.
	m := NewMT19937(7)
	assert.Equal(t, []int{1, 17, 2, 5, 11, 0, 18, 6, 13, 19, 10, 14, 8, 16, 9, 12, 7, 3, 4, 15},
		m.Permutation(20))
	s := m.State()
	assert.Equal(t, 30, s.Pos)
	assert.Equal(t, []uint32{2022286329, 1444425037}, s.Key[:2])

	// permutation(0) and permutation(1) draw nothing.
	m = NewMT19937(0)
	assert.Empty(t, m.Permutation(0))
	assert.Empty(t, m.Permutation(-3))
	assert.Equal(t, []int{0}, m.Permutation(1))
	assert.Equal(t, NewMT19937(0).State(), m.State())
}

func TestMT19937Interval(t *testing.T) {
	for _, bound := range []uint64{1, 2, 3, 5, 6, 7, 8, 1000, 1 << 31, 0xffffffff, 1 << 32, 1<<32 + 5, 3 << 40, 1<<64 - 1} {
		m, ref := NewMT19937(uint32(bound)), NewMT19937(uint32(bound))
		mask := uint64(1)<<bits.Len64(bound) - 1
		for range 200 {
			got := m.Interval(bound)
			var want uint64
			for {
				if bound <= 0xffffffff {
					want = uint64(ref.Uint32()) & mask
				} else {
					want = ref.Uint64() & mask
				}
				if want <= bound {
					break
				}
			}
			require.Equal(t, want, got, "bound %d", bound)
		}
		require.Equal(t, ref.State(), m.State(), "bound %d", bound)
	}
	m := NewMT19937(1)
	assert.Equal(t, uint64(0), m.Interval(0))
	assert.Equal(t, NewMT19937(1).State(), m.State(), "Interval(0) must not draw")
}

func TestMT19937StateRoundTrip(t *testing.T) {
	for _, skip := range []int{0, 1, 3, 623, 624, 625, 5000} {
		m := NewMT19937(123)
		draw32(m, skip)

		b, err := m.MarshalBinary()
		require.NoError(t, err)
		assert.Len(t, b, 2508)
		var u MT19937
		require.NoError(t, u.UnmarshalBinary(b))

		var v MT19937
		require.NoError(t, v.SetState(m.State()))

		want := draw32(m, 2000)
		assert.Equal(t, want, draw32(&u, 2000), "binary, skip %d", skip)
		assert.Equal(t, want, draw32(&v, 2000), "state, skip %d", skip)
	}
}

func TestMT19937StateErrors(t *testing.T) {
	m := NewMT19937(9)
	good, err := m.MarshalBinary()
	require.NoError(t, err)
	before := m.State()

	bad := [][]byte{
		nil,
		good[:len(good)-1],
		append(append([]byte{}, good...), 0),
		append([]byte("MT19937\x02"), good[8:]...),
	}
	badPos := append([]byte{}, good...)
	binary.LittleEndian.PutUint32(badPos[len(badPos)-4:], 625)
	bad = append(bad, badPos)
	for i, b := range bad {
		assert.Error(t, m.UnmarshalBinary(b), "case %d", i)
	}
	assert.Error(t, m.SetState(MT19937State{Pos: -1}))
	assert.Error(t, m.SetState(MT19937State{Pos: 625}))
	assert.Equal(t, before, m.State(), "failed restores must leave the state alone")
}
