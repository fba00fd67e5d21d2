package model_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/descent-ml/descent/model"
)

func TestSaveLoadRoundTrip(t *testing.T) {
	m := tutorialNet(t)
	path := filepath.Join(t.TempDir(), "m.descent")
	require.NoError(t, m.Save(path))
	got, err := model.Load(path)
	require.NoError(t, err)
	assert.Equal(t, m.Layers(), got.Layers())
	assert.Equal(t, m.Input(), got.Input())
	assert.Equal(t, m.Params, got.Params) // bit-exact
	entries, _ := os.ReadDir(filepath.Dir(path))
	assert.Len(t, entries, 1, "no temporary file left behind")

	m.Params[7] = float32(math.Inf(1))
	err = m.Save(path)
	assert.ErrorContains(t, err, "parameter 7 is +Inf")
	again, err := model.Load(path)
	require.NoError(t, err, "the earlier file is intact")
	assert.Equal(t, got.Params, again.Params)
	entries, _ = os.ReadDir(filepath.Dir(path))
	assert.Len(t, entries, 1, "no temporary file left behind after a failed save")
}

// The format is documented in save.go; this builds a file by hand from that
// description, independently of WriteTo.
func TestDecodeHandBuiltFile(t *testing.T) {
	var b bytes.Buffer
	b.WriteString("DESCENT1")
	header := `{"input":2,"layers":[{"units":1,"activation":"sigmoid"}]}`
	binary.Write(&b, binary.LittleEndian, uint32(len(header)))
	b.WriteString(header)
	binary.Write(&b, binary.LittleEndian, []float32{0.5, -1.5, 0.25}) // W (2×1), b (1)
	binary.Write(&b, binary.LittleEndian, crc32.ChecksumIEEE(b.Bytes()))
	m, err := model.Decode(b.Bytes())
	require.NoError(t, err)
	assert.Equal(t, []float32{0.5, -1.5, 0.25}, m.Params)
	assert.Equal(t, []model.Layer{model.Dense(1, model.Sigmoid)}, m.Layers())
}

func TestDecodeRejectsBadFiles(t *testing.T) {
	good := encode(t, tutorialNet(t))
	withCRC := func(body []byte) []byte {
		return binary.LittleEndian.AppendUint32(body, crc32.ChecksumIEEE(body))
	}
	header := func(h string, params int) []byte {
		var b bytes.Buffer
		b.WriteString("DESCENT1")
		binary.Write(&b, binary.LittleEndian, uint32(len(h)))
		b.WriteString(h)
		b.Write(make([]byte, 4*params))
		return withCRC(b.Bytes())
	}
	nan := header(`{"input":1,"layers":[{"units":1,"activation":"linear"}]}`, 2)
	binary.LittleEndian.PutUint32(nan[len(nan)-12:], math.Float32bits(float32(math.NaN())))
	nan = withCRC(nan[:len(nan)-4])
	for _, tc := range []struct {
		name string
		b    []byte
		want string
	}{
		{"empty", nil, "bad magic"},
		{"other magic", append([]byte("NOTMODEL"), good[8:]...), "bad magic"},
		{"truncated", good[:len(good)-100], "checksum mismatch"},
		{"flipped bit", flip(good, 5000), "checksum mismatch"},
		{"lying header length", withCRC(append([]byte("DESCENT1\xff\xff\xff\x7f"), "{}"...)), "header length"},
		{"huge layers", header(`{"input":100000,"layers":[{"units":100000,"activation":"relu"}]}`, 0), "more than"},
		{"params missing", header(`{"input":3,"layers":[{"units":2,"activation":"relu"}]}`, 7), "28 bytes of parameters, the header needs 32"},
		{"unknown activation", header(`{"input":3,"layers":[{"units":2,"activation":"swish"}]}`, 8), "swish"},
		{"unknown field", header(`{"input":3,"layers":[],"x":1}`, 0), "unknown field"},
		{"no layers", header(`{"input":3,"layers":[]}`, 0), "at least one layer"},
		{"NaN parameter", nan, "parameter 0 is NaN"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := model.Decode(tc.b)
			require.Error(t, err)
			assert.True(t, errors.Is(err, model.ErrCorrupt), err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
	_, err := model.Load(filepath.Join(t.TempDir(), "missing"))
	assert.ErrorContains(t, err, "no such file")
}

func encode(t testing.TB, m *model.Sequential) []byte {
	var b bytes.Buffer
	_, err := m.WriteTo(&b)
	require.NoError(t, err)
	return b.Bytes()
}

func flip(b []byte, i int) []byte {
	c := append([]byte(nil), b...)
	c[i] ^= 1
	return c
}

// Version 2 records the preprocessing, what the outputs mean and the
// labels; they survive a round trip.
func TestSaveLoadKeepsPreprocessingAndLabels(t *testing.T) {
	m := tutorialNet(t)
	m.Preprocessing = model.ScaleBy(255)
	m.Labels = []string{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"}
	got, err := model.Decode(encode(t, m))
	require.NoError(t, err)
	assert.Equal(t, m.Preprocessing, got.Preprocessing)
	assert.Equal(t, m.Labels, got.Labels)
	assert.Equal(t, m.Params, got.Params)

	plain := tutorialNet(t) // no labels: the class indices are written
	got, err = model.Decode(encode(t, plain))
	require.NoError(t, err)
	assert.Equal(t, []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}, got.Labels)
	assert.Equal(t, model.NoPreprocessing(), got.Preprocessing)

	m.Labels = []string{"too", "few"}
	_, err = m.WriteTo(&bytes.Buffer{})
	assert.ErrorContains(t, err, "2 labels for 10 outputs")
}

// A version-1 file (written before preprocessing was recorded) still
// loads, with the 1/255 scaling every version-1 file was trained with.
func TestDecodeVersion1File(t *testing.T) {
	var b bytes.Buffer
	b.WriteString("DESCENT1")
	header := `{"input":2,"layers":[{"units":2,"activation":"softmax"}]}`
	binary.Write(&b, binary.LittleEndian, uint32(len(header)))
	b.WriteString(header)
	binary.Write(&b, binary.LittleEndian, []float32{1, 2, 3, 4, 5, 6})
	binary.Write(&b, binary.LittleEndian, crc32.ChecksumIEEE(b.Bytes()))
	m, err := model.Decode(b.Bytes())
	require.NoError(t, err)
	assert.Equal(t, model.ScaleBy(255), m.Preprocessing)
	assert.Equal(t, []string{"0", "1"}, m.ClassLabels())
	assert.Equal(t, []float32{1, 2, 3, 4, 5, 6}, m.Params)
}

// Version-2 headers built by hand from the format description in save.go.
func TestDecodeVersion2Headers(t *testing.T) {
	file := func(header string, params ...float32) []byte {
		var b bytes.Buffer
		b.WriteString("DESCENT2")
		binary.Write(&b, binary.LittleEndian, uint32(len(header)))
		b.WriteString(header)
		binary.Write(&b, binary.LittleEndian, params)
		return binary.LittleEndian.AppendUint32(b.Bytes(), crc32.ChecksumIEEE(b.Bytes()))
	}
	const layers = `"input":2,"layers":[{"units":2,"activation":"softmax"}]`
	params := []float32{1, 2, 3, 4, 5, 6}
	m, err := model.Decode(file(`{"format":2,`+layers+`,"preprocessing":{"kind":"standardize","shift":[1,2],"divisor":[3,4]},"outputs":"class_probabilities","labels":["cat","dog"]}`, params...))
	require.NoError(t, err)
	assert.Equal(t, model.Preprocessing{Kind: "standardize", Shift: []float32{1, 2}, Divisor: []float32{3, 4}}, m.Preprocessing)
	assert.Equal(t, []string{"cat", "dog"}, m.Labels)

	for _, tc := range []struct{ name, header, want string }{
		{"no preprocessing", `{"format":2,` + layers + `,"outputs":"class_probabilities","labels":["a","b"]}`, "no preprocessing"},
		{"zero divisor", `{"format":2,` + layers + `,"preprocessing":{"kind":"scale","divisor":[0]},"outputs":"class_probabilities","labels":["a","b"]}`, "divisor[0] is 0"},
		{"divisor count", `{"format":2,` + layers + `,"preprocessing":{"kind":"scale","divisor":[1,2,3]},"outputs":"class_probabilities","labels":["a","b"]}`, "3 values, want 1 or 2"},
		{"label count", `{"format":2,` + layers + `,"preprocessing":{"kind":"none"},"outputs":"class_probabilities","labels":["a"]}`, "1 labels for 2 outputs"},
		{"outputs", `{"format":2,` + layers + `,"preprocessing":{"kind":"none"},"outputs":"values","labels":["a","b"]}`, `outputs "values"`},
		{"format", `{"format":3,` + layers + `,"preprocessing":{"kind":"none"},"outputs":"class_probabilities","labels":["a","b"]}`, "format 3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := model.Decode(file(tc.header, params...))
			require.Error(t, err)
			assert.True(t, errors.Is(err, model.ErrCorrupt), err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
	newer := file(`{}`)
	copy(newer, "DESCENT9")
	_, err = model.Decode(newer)
	assert.ErrorContains(t, err, "newer than this descent reads")
}

func TestBinaryModelKeepsTwoClassLabels(t *testing.T) {
	m, err := model.NewSequential(3, model.Dense(4, model.ReLU), model.Dense(1, model.Sigmoid))
	require.NoError(t, err)
	assert.Equal(t, model.OutputPositiveProbability, m.Outputs())
	assert.Equal(t, []string{"0", "1"}, m.ClassLabels())
	m.Labels = []string{"benign", "malignant"}
	var buf bytes.Buffer
	_, err = m.WriteTo(&buf)
	require.NoError(t, err)
	got, err := model.Decode(buf.Bytes())
	require.NoError(t, err)
	assert.Equal(t, []string{"benign", "malignant"}, got.Labels)

	m.Labels = []string{"malignant"}
	_, err = m.WriteTo(&buf)
	assert.ErrorContains(t, err, "1 labels for one positive probability")

	r, err := model.NewSequential(3, model.Dense(1, model.Linear))
	require.NoError(t, err)
	assert.Equal(t, model.OutputValues, r.Outputs())
}
