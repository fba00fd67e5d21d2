package model

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"strings"

	"github.com/descent-ml/descent/internal/atomicfile"
	"github.com/descent-ml/descent/internal/inputfile"
)

// File format of a saved Sequential, version 2 (little-endian):
//
//	magic   8 bytes  "DESCENT2"
//	hlen    uint32   length of the JSON header
//	header  hlen     {"format":2,"input":784,
//	                  "layers":[{"units":128,"activation":"sigmoid","dropout":0.2},
//	                            {"units":10,"activation":"softmax"},…],
//	                  "preprocessing":{"kind":"scale","shift":[0],"divisor":[255]},
//	                  "outputs":"class_probabilities",
//	                  "labels":["0","1",…]}
//	params  4·n      float32 parameters in Params order (n follows from the header)
//	crc     uint32   CRC-32 (IEEE) of everything before it
//
// A layer's "dropout" (its rate, see Layer.Dropout) is written only when
// above 0, so a network without dropout writes the same bytes as before
// dropout existed and every older file loads; a file with dropout is
// refused by a descent that predates it (its header has an unknown field),
// rather than loaded without the dropout.
//
// Version 1 ("DESCENT1") has the same layout with a header of only input
// and layers. It still loads: every version-1 file was written by descent
// train (or the Go API) from a data.Dataset, whose uint8 images are scaled by
// 1/255, so its preprocessing is ScaleBy(255), and its labels are the class
// indices.
//
// The parameter count is computed from the header, checked against the
// file's length before anything is allocated, and capped, so a corrupt or
// lying file is rejected without a large allocation.
const (
	fileMagic     = "DESCENT2"
	fileMagicV1   = "DESCENT1"
	fileFormat    = 2
	maxHeaderLen  = 1 << 20
	maxParamCount = MaxParams
)

// MaxParams is the most parameters a model file holds (1 GiB of float32):
// Load refuses a header that needs more, and descent train refuses to build
// a network it could not save.
const MaxParams = 1 << 28

// MaxFileSize is the largest model file Load reads: the magic, the header
// length, the largest header, MaxParams float32 parameters and the CRC.
// Anything larger is refused before it is read.
const MaxFileSize = int64(len(fileMagic)) + 4 + maxHeaderLen + 4*MaxParams + 4

// What a model's outputs mean, as recorded in its file and returned by
// Sequential.Outputs.
const (
	// OutputClassProbabilities: the last layer is a softmax, one
	// probability per class, in Labels order.
	OutputClassProbabilities = "class_probabilities"
	// OutputPositiveProbability: the last layer is one sigmoid unit, the
	// probability of the positive class, Labels[1] (Labels[0] is the
	// negative one), as Keras's binary classifiers output.
	OutputPositiveProbability = "positive_probability"
	// OutputValues: anything else, such as a regression's linear outputs.
	OutputValues = "values"
)

// ErrCorrupt is wrapped by every error about a malformed model file.
var ErrCorrupt = errors.New("corrupt model file")

type fileHeader struct {
	Format        int            `json:"format,omitempty"` // 2; absent in version 1
	Input         int            `json:"input"`
	Layers        []fileLayer    `json:"layers"`
	Preprocessing *Preprocessing `json:"preprocessing,omitempty"`
	Outputs       string         `json:"outputs,omitempty"`
	Labels        []string       `json:"labels,omitempty"`
}

type fileLayer struct {
	Units      int     `json:"units"`
	Activation string  `json:"activation"`
	Dropout    float64 `json:"dropout,omitempty"`
}

// WriteTo writes the network (architecture and parameters) to w in the
// format above.
// Non-finite parameters (a diverged run) are refused, as Load would refuse
// them.
func (m *Sequential) WriteTo(w io.Writer) (int64, error) {
	for i, v := range m.Params {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return 0, fmt.Errorf("model: parameter %d is %v: the training diverged; nothing written", i, v)
		}
	}
	if err := m.Preprocessing.Validate(m.input); err != nil {
		return 0, err
	}
	if m.Labels != nil && len(m.Labels) != m.numLabels() {
		return 0, fmt.Errorf("model: %s", m.labelCountError(len(m.Labels)))
	}
	pre := m.Preprocessing
	h := fileHeader{Format: fileFormat, Input: m.input, Preprocessing: &pre, Outputs: m.Outputs(), Labels: m.ClassLabels()}
	for _, l := range m.layers {
		h.Layers = append(h.Layers, fileLayer{l.Units, l.Activation.String(), l.Dropout})
	}
	hj, err := json.Marshal(h)
	if err != nil {
		return 0, err
	}
	var buf bytes.Buffer
	buf.WriteString(fileMagic)
	binary.Write(&buf, binary.LittleEndian, uint32(len(hj)))
	buf.Write(hj)
	binary.Write(&buf, binary.LittleEndian, m.Params)
	binary.Write(&buf, binary.LittleEndian, crc32.ChecksumIEEE(buf.Bytes()))
	n, err := w.Write(buf.Bytes())
	return int64(n), err
}

// Save writes the network to path atomically: to a temporary file in the same
// folder, synced, then renamed over path, so path never holds half a model.
func (m *Sequential) Save(path string) error {
	err := atomicfile.Write(path, func(w io.Writer) error {
		_, err := m.WriteTo(w)
		return err
	})
	if err != nil {
		return fmt.Errorf("model: saving: %w", err)
	}
	return nil
}

// Load reads a network saved by Save. Only a regular file is read (a FIFO,
// device or folder is refused without blocking), and at most MaxFileSize
// bytes of it.
func Load(path string) (*Sequential, error) {
	b, err := inputfile.ReadFile(path, MaxFileSize)
	if err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	m, err := Decode(b)
	if err != nil {
		return nil, fmt.Errorf("model: %s: %w", path, err)
	}
	return m, nil
}

// Decode parses a model file's bytes (see WriteTo for the format).
func Decode(b []byte) (*Sequential, error) {
	corrupt := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrCorrupt, fmt.Sprintf(format, args...))
	}
	if len(b) < len(fileMagic)+8 {
		return nil, corrupt("not a descent model (bad magic: %d bytes)", len(b))
	}
	version := 0
	switch string(b[:len(fileMagic)]) {
	case fileMagic:
		version = 2
	case fileMagicV1:
		version = 1
	default:
		if strings.HasPrefix(string(b[:len(fileMagic)]), "DESCENT") {
			return nil, corrupt("model file format %q is newer than this descent reads (versions 1 and 2)", b[:len(fileMagic)])
		}
		return nil, corrupt("not a descent model (bad magic)")
	}
	body, sum := b[:len(b)-4], binary.LittleEndian.Uint32(b[len(b)-4:])
	if got := crc32.ChecksumIEEE(body); got != sum {
		return nil, corrupt("checksum mismatch (file %08x, content %08x): truncated or damaged", sum, got)
	}
	rest := body[len(fileMagic):]
	hlen := binary.LittleEndian.Uint32(rest)
	rest = rest[4:]
	if hlen > maxHeaderLen || int(hlen) > len(rest) {
		return nil, corrupt("header length %d exceeds the file", hlen)
	}
	var h fileHeader
	dec := json.NewDecoder(bytes.NewReader(rest[:hlen]))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&h); err != nil {
		return nil, corrupt("header: %v", err)
	}
	layers := make([]Layer, len(h.Layers))
	n, in := 0, h.Input
	for i, l := range h.Layers {
		act, err := ParseActivation(l.Activation)
		if err != nil {
			return nil, corrupt("layer %d: %v", i, err)
		}
		if l.Units < 1 || l.Units > maxParamCount || in < 1 || in > maxParamCount {
			return nil, corrupt("layer %d: %d→%d units", i, in, l.Units)
		}
		n += in*l.Units + l.Units
		if n > maxParamCount {
			return nil, corrupt("more than %d parameters", maxParamCount)
		}
		if version == 1 && l.Dropout != 0 {
			return nil, corrupt("layer %d: dropout in a version-1 file", i)
		}
		layers[i] = Layer{Units: l.Units, Activation: act, Dropout: l.Dropout}
		in = l.Units
	}
	data := rest[hlen:]
	if len(data) != 4*n {
		return nil, corrupt("%d bytes of parameters, the header needs %d", len(data), 4*n)
	}
	m, err := NewSequential(h.Input, layers...)
	if err != nil {
		return nil, corrupt("%v", err)
	}
	switch {
	case version == 1:
		if h.Format != 0 || h.Preprocessing != nil || h.Labels != nil || h.Outputs != "" {
			return nil, corrupt("version-1 file with version-2 header fields")
		}
		m.Preprocessing = ScaleBy(255)
	case h.Format != fileFormat:
		return nil, corrupt("header says format %d in a version-2 file", h.Format)
	default:
		if h.Preprocessing == nil {
			return nil, corrupt("header has no preprocessing")
		}
		if err := h.Preprocessing.Validate(h.Input); err != nil {
			return nil, corrupt("%v", err)
		}
		m.Preprocessing = *h.Preprocessing
		if h.Outputs != m.Outputs() {
			return nil, corrupt("outputs %q, but the last layer gives %q", h.Outputs, m.Outputs())
		}
		if len(h.Labels) != m.numLabels() {
			return nil, corrupt("%s", m.labelCountError(len(h.Labels)))
		}
		m.Labels = h.Labels
	}
	for i := range m.Params {
		v := math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:]))
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return nil, corrupt("parameter %d is %v", i, v)
		}
		m.Params[i] = v
	}
	return m, nil
}

// Outputs names what the network's outputs mean, from its last layer:
// OutputClassProbabilities (softmax), OutputPositiveProbability (one
// sigmoid unit) or OutputValues.
func (m *Sequential) Outputs() string {
	switch last := m.layers[len(m.layers)-1]; {
	case last.Activation == Softmax:
		return OutputClassProbabilities
	case last.Activation == Sigmoid && last.Units == 1:
		return OutputPositiveProbability
	}
	return OutputValues
}

// labelCountError describes n labels that do not fit the outputs.
func (m *Sequential) labelCountError(n int) string {
	if m.Outputs() == OutputPositiveProbability {
		return fmt.Sprintf("%d labels for one positive probability (want the negative and the positive class)", n)
	}
	return fmt.Sprintf("%d labels for %d outputs", n, m.Output())
}

// numLabels is how many Labels the outputs have: two classes for one
// positive probability, else one name per output.
func (m *Sequential) numLabels() int {
	if m.Outputs() == OutputPositiveProbability {
		return 2
	}
	return m.Output()
}
