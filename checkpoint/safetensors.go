package checkpoint

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
)

// A Tensor is one named float32 array of a safetensors file.
type Tensor struct {
	Name  string
	Shape []int
	Data  []float32 // row-major, len = product of Shape
}

// maxHeaderLen caps the JSON header of a safetensors file (the Hugging Face
// reader's own limit is 100 MB); the header is further capped by the
// length of the file, so a lying length never allocates.
const maxHeaderLen = 100 << 20

// headerEntry is one tensor's entry in the JSON header.
type headerEntry struct {
	DType       string   `json:"dtype"`
	Shape       []int    `json:"shape"`
	DataOffsets [2]int64 `json:"data_offsets"`
}

// EncodeSafetensors writes tensors (in this order) and metadata in the
// safetensors format: an 8-byte little-endian header length N, N bytes of
// JSON {"__metadata__":{...},"name":{"dtype":"F32","shape":[...],
// "data_offsets":[begin,end]},...} padded with spaces to a multiple of 8,
// then the tensors' little-endian bytes, back to back, offsets relative to
// the end of the header.
func EncodeSafetensors(tensors []Tensor, metadata map[string]string) ([]byte, error) {
	header := make(map[string]any, len(tensors)+1)
	if len(metadata) > 0 {
		header["__metadata__"] = metadata
	}
	var off int64
	for _, t := range tensors {
		if t.Name == "" || t.Name == "__metadata__" {
			return nil, fmt.Errorf("safetensors: invalid tensor name %q", t.Name)
		}
		if _, dup := header[t.Name]; dup {
			return nil, fmt.Errorf("safetensors: tensor %q twice", t.Name)
		}
		n, err := elements(t.Shape)
		if err != nil || n != int64(len(t.Data)) {
			return nil, fmt.Errorf("safetensors: tensor %q: shape %v for %d values", t.Name, t.Shape, len(t.Data))
		}
		shape := t.Shape
		if shape == nil {
			shape = []int{}
		}
		header[t.Name] = headerEntry{DType: "F32", Shape: shape, DataOffsets: [2]int64{off, off + 4*n}}
		off += 4 * n
	}
	h, err := json.Marshal(header)
	if err != nil {
		return nil, err
	}
	for len(h)%8 != 0 {
		h = append(h, ' ')
	}
	out := make([]byte, 8, 8+int64(len(h))+off)
	binary.LittleEndian.PutUint64(out, uint64(len(h)))
	out = append(out, h...)
	for _, t := range tensors {
		for _, v := range t.Data {
			out = binary.LittleEndian.AppendUint32(out, math.Float32bits(v))
		}
	}
	return out, nil
}

// DecodeSafetensors reads a safetensors file holding F32 tensors. It
// refuses, with the reason, a header length beyond the file or the cap,
// a header that is not a JSON object of tensor entries, another dtype, a
// shape whose size disagrees with its offsets, offsets outside the data,
// overlapping or leaving gaps (the format says the data is covered
// exactly), and trailing bytes. Every size is checked against len(b)
// before anything is allocated. Tensors come back sorted by offset.
func DecodeSafetensors(b []byte) ([]Tensor, map[string]string, error) {
	if len(b) < 8 {
		return nil, nil, fmt.Errorf("safetensors: %d bytes, shorter than the 8-byte header length", len(b))
	}
	hl := binary.LittleEndian.Uint64(b)
	if hl > maxHeaderLen || hl > uint64(len(b)-8) {
		return nil, nil, fmt.Errorf("safetensors: header length %d exceeds the file (%d bytes) or the cap %d", hl, len(b), maxHeaderLen)
	}
	hdr, body := b[8:8+hl], b[8+hl:]
	if len(hdr) == 0 || hdr[0] != '{' {
		return nil, nil, errors.New("safetensors: the header is not a JSON object")
	}
	var raw map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(hdr))
	if err := dec.Decode(&raw); err != nil {
		return nil, nil, fmt.Errorf("safetensors: header: %v", err)
	}
	if rest := strings.TrimRight(string(hdr[dec.InputOffset():]), " "); rest != "" {
		return nil, nil, errors.New("safetensors: header: bytes after the JSON object")
	}
	var meta map[string]string
	if m, ok := raw["__metadata__"]; ok {
		if err := json.Unmarshal(m, &meta); err != nil {
			return nil, nil, fmt.Errorf("safetensors: __metadata__ is not a map of strings: %v", err)
		}
		delete(raw, "__metadata__")
	}
	type span struct {
		name       string
		shape      []int
		begin, end int64
	}
	spans := make([]span, 0, len(raw))
	for name, r := range raw {
		var e headerEntry
		d := json.NewDecoder(bytes.NewReader(r))
		d.DisallowUnknownFields()
		if err := d.Decode(&e); err != nil {
			return nil, nil, fmt.Errorf("safetensors: tensor %q: %v", name, err)
		}
		if e.DType != "F32" {
			return nil, nil, fmt.Errorf("safetensors: tensor %q: dtype %q, this reader takes F32", name, e.DType)
		}
		n, err := elements(e.Shape)
		if err != nil {
			return nil, nil, fmt.Errorf("safetensors: tensor %q: %v", name, err)
		}
		bg, en := e.DataOffsets[0], e.DataOffsets[1]
		if bg < 0 || en < bg || en > int64(len(body)) {
			return nil, nil, fmt.Errorf("safetensors: tensor %q: data_offsets [%d, %d] outside the %d data bytes", name, bg, en, len(body))
		}
		if en-bg != 4*n {
			return nil, nil, fmt.Errorf("safetensors: tensor %q: shape %v needs %d bytes, data_offsets give %d", name, e.Shape, 4*n, en-bg)
		}
		spans = append(spans, span{name, e.Shape, bg, en})
	}
	slices.SortFunc(spans, func(a, b span) int {
		if c := cmpInt(a.begin, b.begin); c != 0 {
			return c
		}
		return strings.Compare(a.name, b.name)
	})
	var at int64
	for _, s := range spans {
		if s.begin != at {
			return nil, nil, fmt.Errorf("safetensors: tensor %q starts at byte %d of the data, want %d (overlap or gap)", s.name, s.begin, at)
		}
		at = s.end
	}
	if at != int64(len(body)) {
		return nil, nil, fmt.Errorf("safetensors: %d data bytes, the tensors cover %d", len(body), at)
	}
	out := make([]Tensor, len(spans))
	for i, s := range spans {
		d := make([]float32, (s.end-s.begin)/4)
		for j := range d {
			d[j] = math.Float32frombits(binary.LittleEndian.Uint32(body[s.begin+4*int64(j):]))
		}
		out[i] = Tensor{Name: s.name, Shape: append([]int{}, s.shape...), Data: d}
	}
	return out, meta, nil
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// elements is the product of shape, refusing negative dimensions and
// products beyond 2⁴⁰ (never reached by a file that fits its checks).
func elements(shape []int) (int64, error) {
	n := int64(1)
	for _, d := range shape {
		if d < 0 {
			return 0, fmt.Errorf("negative dimension in shape %v", shape)
		}
		if d > 0 && n > (1<<40)/int64(d) {
			return 0, fmt.Errorf("shape %v is too large", shape)
		}
		n *= int64(d)
	}
	return n, nil
}
