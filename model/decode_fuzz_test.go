package model_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"math"
	"reflect"
	"runtime"
	"testing"

	"github.com/descent-ml/descent/model"
)

// decodeAllocSlack is the allocation Decode may make beyond
// decodeAllocPerByte bytes per input byte: the JSON decoder's buffers and
// the model's small structures.
const (
	decodeAllocSlack   = 256 << 10
	decodeAllocPerByte = 16
)

// FuzzDecode feeds arbitrary bytes to model.Decode (the corpus is in
// testdata/fuzz/FuzzDecode). Properties:
//
//   - a refusal is an error wrapping model.ErrCorrupt, with no model, never
//     a panic;
//   - an accepted input re-encodes, and decode∘encode is then the identity,
//     bit for bit: the same architecture, preprocessing, labels and
//     parameter bits, and the same bytes when encoded again;
//   - Decode allocates at most decodeAllocPerByte bytes per input byte plus
//     decodeAllocSlack, whatever the header claims.
func FuzzDecode(f *testing.F) {
	f.Add(encode(f, tutorialNet(f))[:300])
	m, _ := model.NewSequential(2, model.Dense(2, model.ReLU))
	f.Add(encode(f, m))
	m, _ = model.NewSequential(3, model.Dense(2, model.Tanh), model.Dense(2, model.Softmax))
	m.Params[0] = float32(math.Copysign(0, -1)) // −0 must survive
	m.Params[1] = math.SmallestNonzeroFloat32
	m.Labels = []string{"cat", "dög"}
	m.Preprocessing = model.Preprocessing{Kind: "standardize", Shift: []float32{1, 2, 3}, Divisor: []float32{4, 5, 6}}
	f.Add(encode(f, m))
	m, _ = model.NewSequential(2, model.Dense(3, model.ReLU).WithDropout(0.3), model.Dense(2, model.Softmax))
	f.Add(encode(f, m))
	f.Add(v1File(`{"input":2,"layers":[{"units":2,"activation":"softmax"}]}`, 1, 2, 3, 4, 5, 6))
	f.Add(v1File(`{"input":2,"layers":[{"units":268435456,"activation":"softmax"}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		checkDecode(t, b)
		// The checksum hides the header from the fuzzer: decode the same
		// bytes with a correct checksum as well.
		if len(b) >= 12 {
			fixed := binary.LittleEndian.AppendUint32(bytes.Clone(b[:len(b)-4]), crc32.ChecksumIEEE(b[:len(b)-4]))
			checkDecode(t, fixed)
		}
	})
}

// checkDecode checks FuzzDecode's properties on one input.
func checkDecode(t *testing.T, b []byte) {
	t.Helper()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	before := ms.TotalAlloc
	m, err := model.Decode(b)
	runtime.ReadMemStats(&ms)
	if alloc := ms.TotalAlloc - before; alloc > uint64(decodeAllocPerByte*len(b)+decodeAllocSlack) {
		t.Fatalf("Decode of %d bytes allocated %d bytes", len(b), alloc)
	}
	if err != nil {
		if !errors.Is(err, model.ErrCorrupt) {
			t.Fatalf("refusal does not wrap ErrCorrupt: %v", err)
		}
		if m != nil {
			t.Fatalf("a model with the error %v", err)
		}
		return
	}
	if len(m.Params) == 0 {
		t.Fatal("decoded a model without parameters")
	}
	var enc bytes.Buffer
	if _, err := m.WriteTo(&enc); err != nil {
		t.Fatalf("an accepted model does not encode: %v", err)
	}
	m2, err := model.Decode(enc.Bytes())
	if err != nil {
		t.Fatalf("Decode refuses what WriteTo wrote: %v", err)
	}
	if m2.Input() != m.Input() || !reflect.DeepEqual(m2.Layers(), m.Layers()) {
		t.Fatalf("architecture changed: %d %v → %d %v", m.Input(), m.Layers(), m2.Input(), m2.Layers())
	}
	if !reflect.DeepEqual(m2.Preprocessing, m.Preprocessing) {
		t.Fatalf("preprocessing changed: %+v → %+v", m.Preprocessing, m2.Preprocessing)
	}
	if !reflect.DeepEqual(m2.ClassLabels(), m.ClassLabels()) {
		t.Fatalf("labels changed: %q → %q", m.ClassLabels(), m2.ClassLabels())
	}
	for i := range m.Params {
		if math.Float32bits(m.Params[i]) != math.Float32bits(m2.Params[i]) {
			t.Fatalf("parameter %d: %x → %x", i, math.Float32bits(m.Params[i]), math.Float32bits(m2.Params[i]))
		}
	}
	var enc2 bytes.Buffer
	if _, err := m2.WriteTo(&enc2); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(enc.Bytes(), enc2.Bytes()) {
		t.Fatal("encode∘decode∘encode differs from encode")
	}
}

// v1File builds a version-1 model file from its header and parameters.
func v1File(header string, params ...float32) []byte {
	var b bytes.Buffer
	b.WriteString("DESCENT1")
	binary.Write(&b, binary.LittleEndian, uint32(len(header)))
	b.WriteString(header)
	binary.Write(&b, binary.LittleEndian, params)
	return binary.LittleEndian.AppendUint32(b.Bytes(), crc32.ChecksumIEEE(b.Bytes()))
}
