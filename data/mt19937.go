package data

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// mtN, mtM and the masks are the MT19937 parameters of Matsumoto and
// Nishimura's reference implementation.
const (
	mtN         = 624
	mtM         = 397
	mtMatrixA   = 0x9908b0df
	mtUpperMask = 0x80000000
	mtLowerMask = 0x7fffffff
)

// MT19937 is the 32-bit Mersenne Twister, bit-compatible with the generator
// behind numpy's legacy numpy.random.RandomState (and so with scikit-learn's
// random_state=<int>).
//
// NewMT19937(seed) reproduces RandomState(seed) for an integer seed: numpy
// seeds it with the reference init_genrand (not init_by_array); Uint32 is
// numpy's next_uint32, Uint64 its next_uint64 (first draw in the high half),
// Float64 its next_double (random_sample), Interval its random_interval and
// Permutation RandomState.permutation(n).
//
// The whole state (624 words plus the position) can be saved with State or
// MarshalBinary and restored with SetState or UnmarshalBinary, so a stream can
// be resumed bit-exactly. The zero value is not seeded: its output is all
// zeros. An MT19937 is not safe for concurrent use.
//
// MT19937 implements math/rand/v2's Source interface (Uint64).
type MT19937 struct {
	key [mtN]uint32
	pos int
}

// MT19937State is the plain state of an MT19937: the 624-word key and the
// position of the next word to temper, in [0, 624]. It is the same pair that
// numpy reports as RandomState.get_state()[1:3], so a state can be carried
// between numpy and Go in either direction.
type MT19937State struct {
	Key [mtN]uint32 `json:"key"`
	Pos int         `json:"pos"`
}

// NewMT19937 returns a generator seeded like numpy.random.RandomState(seed).
func NewMT19937(seed uint32) *MT19937 {
	m := new(MT19937)
	m.Seed(seed)
	return m
}

// NewMT19937Array returns a generator seeded like
// numpy.random.RandomState(key) for a 1-d array of integers key (the
// reference init_by_array). The key must not be empty.
func NewMT19937Array(key []uint32) (*MT19937, error) {
	m := new(MT19937)
	if err := m.SeedArray(key); err != nil {
		return nil, err
	}
	return m, nil
}

// Seed resets m to the state of numpy.random.RandomState(seed): the reference
// init_genrand, with the position at the end of the key so that the first
// draw regenerates it.
func (m *MT19937) Seed(seed uint32) {
	m.key[0] = seed
	for i := 1; i < mtN; i++ {
		prev := m.key[i-1]
		m.key[i] = 1812433253*(prev^(prev>>30)) + uint32(i)
	}
	m.pos = mtN
}

// SeedArray resets m to the state of numpy.random.RandomState(key) for an
// array seed: the reference init_by_array. It fails on an empty key, as
// numpy does.
func (m *MT19937) SeedArray(key []uint32) error {
	if len(key) == 0 {
		return errors.New("data: MT19937 seed array must be non-empty")
	}
	m.Seed(19650218)
	i, j := 1, 0
	k := max(mtN, len(key))
	for ; k > 0; k-- {
		prev := m.key[i-1]
		m.key[i] = (m.key[i] ^ ((prev ^ (prev >> 30)) * 1664525)) + key[j] + uint32(j)
		i++
		j++
		if i >= mtN {
			m.key[0] = m.key[mtN-1]
			i = 1
		}
		if j >= len(key) {
			j = 0
		}
	}
	for k = mtN - 1; k > 0; k-- {
		prev := m.key[i-1]
		m.key[i] = (m.key[i] ^ ((prev ^ (prev >> 30)) * 1566083941)) - uint32(i)
		i++
		if i >= mtN {
			m.key[0] = m.key[mtN-1]
			i = 1
		}
	}
	m.key[0] = 0x80000000 // MSB set: the key is never all zero
	m.pos = mtN
	return nil
}

// generate refills the key with the next 624 untempered words.
func (m *MT19937) generate() {
	k := &m.key
	twist := func(i, next, far int) {
		y := (k[i] & mtUpperMask) | (k[next] & mtLowerMask)
		k[i] = k[far] ^ (y >> 1) ^ (-(y & 1) & mtMatrixA)
	}
	i := 0
	for ; i < mtN-mtM; i++ {
		twist(i, i+1, i+mtM)
	}
	for ; i < mtN-1; i++ {
		twist(i, i+1, i+mtM-mtN)
	}
	twist(mtN-1, 0, mtM-1)
	m.pos = 0
}

// Uint32 returns the next 32-bit output (the reference genrand_int32).
func (m *MT19937) Uint32() uint32 {
	if m.pos >= mtN {
		m.generate()
	}
	y := m.key[m.pos]
	m.pos++
	y ^= y >> 11
	y ^= (y << 7) & 0x9d2c5680
	y ^= (y << 15) & 0xefc60000
	y ^= y >> 18
	return y
}

// Uint64 returns two 32-bit outputs joined, the first in the high half, as
// numpy's MT19937 next_uint64 does.
func (m *MT19937) Uint64() uint64 {
	hi := uint64(m.Uint32())
	return hi<<32 | uint64(m.Uint32())
}

// Float64 returns a uniform float64 in [0, 1) with 53 random bits, built from
// two outputs exactly as numpy's RandomState.random_sample.
func (m *MT19937) Float64() float64 {
	a := m.Uint32() >> 5
	b := m.Uint32() >> 6
	return (float64(a)*67108864.0 + float64(b)) / 9007199254740992.0
}

// Interval returns a uniform integer in [0, bound] by masked rejection
// sampling, as numpy's random_interval: with mask the smallest 2^k-1 >= bound,
// it draws Uint32 (Uint64 when bound > 0xffffffff) values & mask until one is
// <= bound. Interval(0) draws nothing and returns 0.
func (m *MT19937) Interval(bound uint64) uint64 {
	if bound == 0 {
		return 0
	}
	mask := bound
	mask |= mask >> 1
	mask |= mask >> 2
	mask |= mask >> 4
	mask |= mask >> 8
	mask |= mask >> 16
	mask |= mask >> 32
	if bound <= 0xffffffff {
		m32 := uint32(mask)
		for {
			if v := uint64(m.Uint32() & m32); v <= bound {
				return v
			}
		}
	}
	for {
		if v := m.Uint64() & mask; v <= bound {
			return v
		}
	}
}

// Shuffle permutes x in place with numpy's legacy Fisher-Yates shuffle
// (RandomState.shuffle): for i from len(x)-1 down to 1, swap x[i] with
// x[Interval(i)].
func (m *MT19937) Shuffle(x []int) {
	for i := len(x) - 1; i > 0; i-- {
		j := m.Interval(uint64(i))
		x[i], x[j] = x[j], x[i]
	}
}

// Permutation returns RandomState.permutation(n): 0..n-1 shuffled by Shuffle.
// It returns an empty slice for n <= 0.
func (m *MT19937) Permutation(n int) []int {
	if n < 0 {
		n = 0
	}
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	m.Shuffle(p)
	return p
}

// State returns a copy of m's state.
func (m *MT19937) State() MT19937State {
	return MT19937State{Key: m.key, Pos: m.pos}
}

// SetState restores a state returned by State (or taken from numpy's
// RandomState.get_state()). It fails, leaving m unchanged, when Pos is
// outside [0, 624].
func (m *MT19937) SetState(s MT19937State) error {
	if s.Pos < 0 || s.Pos > mtN {
		return fmt.Errorf("data: MT19937 state position %d out of range [0, %d]", s.Pos, mtN)
	}
	m.key = s.Key
	m.pos = s.Pos
	return nil
}

// mtMagic starts the binary form of an MT19937 state; its last byte is the
// format version.
const mtMagic = "MT19937\x01"

// mtBinaryLen is the length of the binary form: magic, 624 key words and the
// position, all little-endian.
const mtBinaryLen = len(mtMagic) + 4*mtN + 4

// MarshalBinary encodes the state as the 8-byte header "MT19937\x01"
// followed by the 624 key words and the position, each a little-endian
// uint32 (2508 bytes in all).
func (m *MT19937) MarshalBinary() ([]byte, error) {
	b := make([]byte, 0, mtBinaryLen)
	b = append(b, mtMagic...)
	for _, w := range m.key {
		b = binary.LittleEndian.AppendUint32(b, w)
	}
	b = binary.LittleEndian.AppendUint32(b, uint32(m.pos))
	return b, nil
}

// UnmarshalBinary restores a state written by MarshalBinary. It fails,
// leaving m unchanged, on a wrong length, header or position.
func (m *MT19937) UnmarshalBinary(b []byte) error {
	if len(b) != mtBinaryLen || string(b[:len(mtMagic)]) != mtMagic {
		return errors.New("data: not an MT19937 state (bad length or header)")
	}
	var s MT19937State
	p := b[len(mtMagic):]
	for i := range s.Key {
		s.Key[i] = binary.LittleEndian.Uint32(p[4*i:])
	}
	pos := binary.LittleEndian.Uint32(p[4*mtN:])
	if pos > mtN {
		return fmt.Errorf("data: MT19937 state position %d out of range [0, %d]", pos, mtN)
	}
	s.Pos = int(pos)
	return m.SetState(s)
}
