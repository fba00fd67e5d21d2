package data

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"codeberg.org/sbinet/npyio"
	"codeberg.org/sbinet/npyio/npy/float16"

	"github.com/descent-ml/descent/internal/inputfile"
)

// MaxNPYHeaderBytes bounds the header (the Python dict literal) of a .npy
// file or .npz entry. NumPy itself refuses headers over 10000 bytes unless
// told otherwise.
const MaxNPYHeaderBytes = 1 << 16

// MaxNPYBytes bounds a .npy file, and the declared uncompressed size of each
// entry of a .npz: the largest array a Table can hold (MaxTableValues
// values of 8 bytes) plus its header.
const MaxNPYBytes = MaxTableValues*8 + MaxNPYHeaderBytes + 12

// MaxNPZBytes bounds a .npz file: a training and a test set of the largest
// size, stored uncompressed.
const MaxNPZBytes = 4*MaxNPYBytes + 1<<20

// maxDeflateRatio is a little above the largest expansion DEFLATE can
// achieve (1032:1); a zip entry declaring more is lying, a zip bomb.
const maxDeflateRatio = 1100

// ReadNPY reads a data set from a pair of NumPy .npy files: xPath holds the
// features, of shape (N, F) or (N, d1, d2, …) (flattened in C order to
// F = d1·d2·…), and yPath the N targets, of shape (N) or (N, 1).
//
// Any float (float16, float32, float64), signed or unsigned integer (1 to 8
// bytes) or bool dtype is accepted, in either byte order and in C or
// Fortran order. Features become float32: a value that is not finite or
// lies beyond float32's range is refused, naming its sample and feature.
// Targets become float64: a non-finite one, or an integer beyond 2⁵³ (not
// exactly representable), is refused. Complex, object, string, datetime
// and structured dtypes are refused with the dtype in the message, as are
// headers whose shape disagrees with the data present and arrays over
// MaxTableValues values. Every such refusal wraps ErrBadTable; only regular
// files are read (see package internal/inputfile). The Table is named
// xPath.
func ReadNPY(xPath, yPath string) (*Table, error) {
	x, err := readNPYFile(xPath, true)
	if err != nil {
		return nil, err
	}
	y, err := readNPYFile(yPath, false)
	if err != nil {
		return nil, err
	}
	return makeTable(xPath, x, y)
}

// ReadNPYTargets reads the targets of a data set from the .npy file at
// path, of shape (N) or (N, 1), by the rules of ReadNPY: any accepted
// dtype, either order, each target finite and exactly representable as
// float64. It is the small half of a streaming data set, whose features
// stay on disk (OpenNPYMatrix).
func ReadNPYTargets(path string) ([]float64, error) {
	y, err := readNPYFile(path, false)
	if err != nil {
		return nil, err
	}
	if err := y.checkTargetShape(); err != nil {
		return nil, err
	}
	if err := y.checkTargetValues(); err != nil {
		return nil, err
	}
	if len(y.vals) == 0 {
		return nil, fmt.Errorf("%s: %w: targets of shape %v: no data", path, ErrBadTable, y.shape)
	}
	return y.vals, nil
}

// ReadNPZ reads a data set from a NumPy .npz file (a zip of .npy arrays, as
// written by numpy.savez or numpy.savez_compressed). Two layouts are
// accepted: x_train, y_train and optionally x_test, y_test (the layout of
// Keras's mnist.npz), or x, y. test is nil when the file holds no test set.
// The arrays follow the rules of ReadNPY; any other set of arrays is
// refused, naming those found. Entries are checked against MaxNPYBytes and
// against the expansion DEFLATE can achieve before any is decompressed, so
// a zip bomb is refused without being expanded. The tables are named
// path+":train" and path+":test".
func ReadNPZ(path string) (train, test *Table, err error) {
	f, size, err := inputfile.Open(path, MaxNPZBytes)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	zr, err := zip.NewReader(f, size)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w: not a .npz (zip) file: %v", path, ErrBadTable, err)
	}
	entries := map[string]*zip.File{}
	var keys []string
	for _, zf := range zr.File {
		key := strings.TrimSuffix(zf.Name, ".npy")
		if _, dup := entries[key]; dup {
			return nil, nil, fmt.Errorf("%s: %w: array %q stored twice", path, ErrBadTable, key)
		}
		entries[key] = zf
		keys = append(keys, key)
	}
	sort.Strings(keys)
	var layout [][2]string
	switch {
	case slices.Equal(keys, []string{"x_train", "y_train"}):
		layout = [][2]string{{"x_train", "y_train"}}
	case slices.Equal(keys, []string{"x_test", "x_train", "y_test", "y_train"}):
		layout = [][2]string{{"x_train", "y_train"}, {"x_test", "y_test"}}
	case slices.Equal(keys, []string{"x", "y"}):
		layout = [][2]string{{"x", "y"}}
	default:
		return nil, nil, fmt.Errorf("%s: %w: it holds the arrays %s; expected x_train, y_train (and optionally x_test, y_test), or x, y",
			path, ErrBadTable, quoteList(keys))
	}
	var total uint64
	for _, k := range keys {
		if err := checkNPZEntry(path, entries[k]); err != nil {
			return nil, nil, err
		}
		total += entries[k].UncompressedSize64
	}
	if total > 2*MaxNPYBytes+2*MaxNPYHeaderBytes {
		return nil, nil, fmt.Errorf("%s: %w: arrays declared to expand to %d bytes in all", path, ErrBadTable, total)
	}
	read := func(key string, features bool) (*npyArray, error) {
		return readNPZEntry(path, entries[key], features)
	}
	var tables []*Table
	for i, xy := range layout {
		x, err := read(xy[0], true)
		if err != nil {
			return nil, nil, err
		}
		y, err := read(xy[1], false)
		if err != nil {
			return nil, nil, err
		}
		tname := path + ":train"
		if i == 1 {
			tname = path + ":test"
		}
		t, err := makeTable(tname, x, y)
		if err != nil {
			return nil, nil, err
		}
		tables = append(tables, t)
	}
	train = tables[0]
	if len(tables) == 2 {
		test = tables[1]
	}
	return train, test, nil
}

// checkNPZEntry refuses an entry of the .npz at path whose declared sizes
// exceed MaxNPYBytes or the expansion DEFLATE can achieve (a zip bomb),
// before it is decompressed.
func checkNPZEntry(path string, zf *zip.File) error {
	name := path + ":" + zf.Name
	if zf.UncompressedSize64 > MaxNPYBytes {
		return fmt.Errorf("%s: %w: declared uncompressed size %d bytes, the limit is %d", name, ErrBadTable, zf.UncompressedSize64, int64(MaxNPYBytes))
	}
	if zf.CompressedSize64 > MaxNPYBytes {
		return fmt.Errorf("%s: %w: compressed size %d bytes, the limit is %d", name, ErrBadTable, zf.CompressedSize64, int64(MaxNPYBytes))
	}
	if zf.UncompressedSize64 > 1<<10 && zf.UncompressedSize64/maxDeflateRatio > zf.CompressedSize64 {
		return fmt.Errorf("%s: %w: %d compressed bytes declared to expand to %d, more than DEFLATE can (a zip bomb)",
			name, ErrBadTable, zf.CompressedSize64, zf.UncompressedSize64)
	}
	return nil
}

// readNPZEntry decodes one checked entry of the .npz at path.
func readNPZEntry(path string, zf *zip.File, features bool) (*npyArray, error) {
	name := path + ":" + zf.Name
	rc, err := zf.Open()
	if err != nil {
		return nil, fmt.Errorf("%s: %w: %v", name, ErrBadTable, err)
	}
	defer rc.Close()
	a, err := decodeNPY(name, rc, int64(zf.UncompressedSize64), features)
	if err != nil {
		if errors.Is(err, zip.ErrFormat) || errors.Is(err, zip.ErrChecksum) {
			return nil, fmt.Errorf("%w: %v", ErrBadTable, err)
		}
		return nil, err
	}
	return a, nil
}

func quoteList(keys []string) string {
	if len(keys) == 0 {
		return "(none)"
	}
	q := make([]string, len(keys))
	for i, k := range keys {
		q[i] = fmt.Sprintf("%q", k)
	}
	return strings.Join(q, ", ")
}

// npyArray is a .npy array decoded in C (row-major) order, with its origin
// for messages: features to float32 (x32), targets to float64 (vals), which
// holds every accepted dtype exactly except integers beyond 2⁵³, flagged in
// inexact.
type npyArray struct {
	name  string
	dtype string
	shape []int
	x32   []float32
	vals  []float64
	// inexact is the index of the first integer value beyond 2⁵³ in vals,
	// or -1, and inexactVal that value.
	inexact    int
	inexactVal string
}

func readNPYFile(path string, features bool) (*npyArray, error) {
	f, size, err := inputfile.Open(path, MaxNPYBytes)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return decodeNPY(path, f, size, features)
}

// dtypeInfo is what decodeNPY accepts: kind 'f', 'i', 'u' or 'b' and the
// size in bytes, in byte order bo.
type dtypeInfo struct {
	kind byte
	size int
	bo   binary.ByteOrder
}

func parseDtype(name, descr string) (dtypeInfo, error) {
	bad := func(why string) (dtypeInfo, error) {
		return dtypeInfo{}, fmt.Errorf("%s: %w: dtype %s is not supported (%s); use a float, integer or bool dtype", name, ErrBadTable, descr, why)
	}
	s := descr
	if len(s) < 2 || s[0] != '\'' || s[len(s)-1] != '\'' {
		return bad("structured or unrecognised")
	}
	s = s[1 : len(s)-1]
	if len(s) < 2 {
		return bad("unrecognised")
	}
	var d dtypeInfo
	d.kind = s[1]
	switch {
	case strings.ContainsRune("fiub", rune(d.kind)) && len(s) == 3:
		d.size = int(s[2] - '0')
	case strings.ContainsRune("fiub", rune(d.kind)):
		return bad("size")
	}
	switch d.kind {
	case 'c':
		return bad("complex")
	case 'O':
		return bad("Python objects")
	case 'S', 'U', 'a':
		return bad("strings")
	case 'V':
		return bad("raw bytes")
	case 'M', 'm':
		return bad("dates and times")
	case 'f':
		if d.size != 2 && d.size != 4 && d.size != 8 {
			return bad("float size")
		}
	case 'i', 'u':
		if d.size != 1 && d.size != 2 && d.size != 4 && d.size != 8 {
			return bad("integer size")
		}
	case 'b':
		if d.size != 1 {
			return bad("bool size")
		}
	default:
		return bad("unrecognised")
	}
	switch s[0] {
	case '<':
		d.bo = binary.LittleEndian
	case '>':
		d.bo = binary.BigEndian
	case '|':
		if d.size != 1 {
			return bad("no byte order")
		}
		d.bo = binary.LittleEndian
	default:
		return bad("byte order " + string(s[0]))
	}
	return d, nil
}

// npyLayout is a parsed and checked .npy header: the data (count values
// of dtype dt, descr as written) starts at dataOff and fills the rest of
// the file exactly.
type npyLayout struct {
	dataOff int64
	descr   string
	dt      dtypeInfo
	shape   []int
	fortran bool
	count   int64
}

// readNPYHeader reads the header of a .npy array of exactly size bytes
// from r, leaving r at the first data byte. The header is checked to fit
// in size and parsed by npyio; the shape must hold at most maxValues values
// and, times the item size, equal the data bytes left, so nothing is
// allocated against a lying header.
func readNPYHeader(name string, r io.Reader, size, maxValues int64) (l npyLayout, err error) {
	var pre [12]byte
	if size < 10 {
		return l, fmt.Errorf("%s: %w: %d bytes, too short for a .npy file", name, ErrBadTable, size)
	}
	if _, err := io.ReadFull(r, pre[:10]); err != nil {
		return l, fmt.Errorf("reading %s: %w", name, err)
	}
	if !bytes.Equal(pre[:6], npyio.Magic[:]) {
		return l, fmt.Errorf("%s: %w: not a .npy file (bad magic %q)", name, ErrBadTable, pre[:6])
	}
	var hlen int64
	prefix := int64(10)
	switch pre[6] {
	case 1:
		hlen = int64(binary.LittleEndian.Uint16(pre[8:10]))
	case 2:
		if size < 12 {
			return l, fmt.Errorf("%s: %w: %d bytes, too short for a .npy file", name, ErrBadTable, size)
		}
		if _, err := io.ReadFull(r, pre[10:12]); err != nil {
			return l, fmt.Errorf("reading %s: %w", name, err)
		}
		hlen = int64(binary.LittleEndian.Uint32(pre[8:12]))
		prefix = 12
	default:
		return l, fmt.Errorf("%s: %w: .npy format version %d.%d is not supported (1.0 and 2.0 are)", name, ErrBadTable, pre[6], pre[7])
	}
	if hlen > MaxNPYHeaderBytes || hlen > size-prefix {
		return l, fmt.Errorf("%s: %w: header of %d bytes in a file of %d", name, ErrBadTable, hlen, size)
	}
	hdr := make([]byte, prefix+hlen)
	copy(hdr, pre[:prefix])
	if _, err := io.ReadFull(r, hdr[prefix:]); err != nil {
		return l, fmt.Errorf("reading %s: %w", name, err)
	}
	h, err := parseNPYHeader(hdr[prefix:], hdr)
	if err != nil {
		return l, fmt.Errorf("%s: %w: bad .npy header: %v", name, ErrBadTable, err)
	}
	dt, err := parseDtype(name, h.Descr.Type)
	if err != nil {
		return l, err
	}
	shape := h.Descr.Shape
	count := int64(1)
	for _, d := range shape {
		if d < 0 {
			return l, fmt.Errorf("%s: %w: negative dimension in shape %v", name, ErrBadTable, shape)
		}
		if d > 0 && count > maxValues/int64(d) {
			return l, fmt.Errorf("%s: %w: shape %v holds more than %d values", name, ErrBadTable, shape, maxValues)
		}
		count *= int64(d)
	}
	if count > maxValues {
		return l, fmt.Errorf("%s: %w: shape %v holds more than %d values", name, ErrBadTable, shape, maxValues)
	}
	if data := size - prefix - hlen; count*int64(dt.size) != data {
		return l, fmt.Errorf("%s: %w: shape %v of dtype %s needs %d data bytes, the file has %d",
			name, ErrBadTable, shape, h.Descr.Type, count*int64(dt.size), data)
	}
	return npyLayout{dataOff: prefix + hlen, descr: h.Descr.Type, dt: dt, shape: shape, fortran: h.Descr.Fortran, count: count}, nil
}

// decode returns the value b (dt.size bytes) holds as float64, exact for
// every dtype but 8-byte integers beyond 2⁵³ (exact is false for those);
// v32 is the value rounded once to float32 when direct (8-byte integers,
// whose float64 would round twice), and ok is false for a bool byte other
// than 0 and 1.
func (dt dtypeInfo) decode(b []byte) (v float64, v32 float32, direct, exact, ok bool) {
	exact, ok = true, true
	switch dt.kind {
	case 'f':
		switch dt.size {
		case 2:
			v = float64(float16.Float16Frombits(dt.bo.Uint16(b)).Float32())
		case 4:
			v = float64(math.Float32frombits(dt.bo.Uint32(b)))
		case 8:
			v = math.Float64frombits(dt.bo.Uint64(b))
		}
	case 'i':
		switch dt.size {
		case 1:
			v = float64(int8(b[0]))
		case 2:
			v = float64(int16(dt.bo.Uint16(b)))
		case 4:
			v = float64(int32(dt.bo.Uint32(b)))
		case 8:
			n := int64(dt.bo.Uint64(b))
			v, v32, direct = float64(n), float32(n), true
			exact = n <= 1<<53 && n >= -(1<<53)
		}
	case 'u':
		switch dt.size {
		case 1:
			v = float64(b[0])
		case 2:
			v = float64(dt.bo.Uint16(b))
		case 4:
			v = float64(dt.bo.Uint32(b))
		case 8:
			n := dt.bo.Uint64(b)
			v, v32, direct = float64(n), float32(n), true
			exact = n <= 1<<53
		}
	case 'b':
		ok = b[0] <= 1
		v = float64(b[0])
	}
	return v, v32, direct, exact, ok
}

// intString formats the 8-byte integer b, for messages.
func (dt dtypeInfo) intString(b []byte) string {
	if dt.kind == 'u' {
		return strconv.FormatUint(dt.bo.Uint64(b), 10)
	}
	return strconv.FormatInt(int64(dt.bo.Uint64(b)), 10)
}

// feature32 is a decoded value as a feature: rounded to float32, ok false
// when it is not finite or lies beyond float32's range.
func feature32(v float64, v32 float32, direct bool) (float32, bool) {
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) > math.MaxFloat32:
		return 0, false
	case direct:
		return v32, true
	}
	return float32(v), true
}

// decodeNPY reads one .npy array of exactly size bytes from r, as features
// (float32, each finite and within float32's range) or as targets
// (float64). See readNPYHeader for the checks made before anything is
// allocated for the data.
func decodeNPY(name string, r io.Reader, size int64, features bool) (a *npyArray, err error) {
	l, err := readNPYHeader(name, r, size, MaxTableValues)
	if err != nil {
		return nil, err
	}
	dt, shape, count := l.dt, l.shape, l.count
	a = &npyArray{name: name, dtype: l.descr, shape: shape, inexact: -1}
	f := 1 // features per sample, for messages
	if features {
		a.x32 = make([]float32, count)
		for _, d := range shape[min(1, len(shape)):] {
			f *= d
		}
	} else {
		a.vals = make([]float64, count)
	}
	// dest maps the i-th stored value to its C-order index.
	dest := func(i int) int { return i }
	if l.fortran && len(shape) > 1 {
		dest = fortranToC(shape)
	}
	br := bufio.NewReaderSize(r, 1<<16)
	var buf [8]byte
	for i := 0; i < int(count); i++ {
		b := buf[:dt.size]
		if _, err := io.ReadFull(br, b); err != nil {
			return nil, fmt.Errorf("reading %s: %w", name, err)
		}
		v, v32, direct, exact, ok := dt.decode(b)
		if !ok {
			return nil, fmt.Errorf("%s: %w: bool value %d at index %d", name, ErrBadTable, b[0], i)
		}
		j := dest(i)
		if !exact && a.inexact < 0 {
			a.inexact, a.inexactVal = j, dt.intString(b)
		}
		if !features {
			a.vals[j] = v
			continue
		}
		x, ok := feature32(v, v32, direct)
		if !ok {
			return nil, fmt.Errorf("%s: %w: sample %d, feature %d is %v, not a finite float32", name, ErrBadTable, j/f, j%f, v)
		}
		a.x32[j] = x
	}
	// Reading on to the end lets a zip entry verify its CRC-32, and catches
	// a file that grew while being read.
	switch n, err := br.Read(buf[:1]); {
	case n != 0:
		return nil, fmt.Errorf("%s: %w: more data than its shape %v holds", name, ErrBadTable, shape)
	case errors.Is(err, zip.ErrChecksum) || errors.Is(err, zip.ErrFormat):
		return nil, fmt.Errorf("%s: %w: %v", name, ErrBadTable, err)
	case err != nil && !errors.Is(err, io.EOF):
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	return a, nil
}

// parseNPYHeader parses the dict literal with npyio, whose parser slices
// without checking bounds: its panics are turned into errors. The framing
// (magic, version, length) has been checked by the caller.
func parseNPYHeader(dict, whole []byte) (h npyio.Header, err error) {
	if len(dict) == 0 || dict[len(dict)-1] != '\n' {
		return h, errors.New("the header does not end with a newline")
	}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("unparsable header %q", bytes.TrimSpace(dict))
		}
	}()
	r, err := npyio.NewReader(bytes.NewReader(whole))
	if err != nil {
		return h, err
	}
	return r.Header, nil
}

// fortranToC returns the map from the position of a value stored in
// Fortran order (first index fastest) to its C-order index, for shape.
// It must be called with increasing positions 0, 1, 2, … (an odometer).
func fortranToC(shape []int) func(int) int {
	k := len(shape)
	cstride := make([]int, k)
	s := 1
	for j := k - 1; j >= 0; j-- {
		cstride[j] = s
		s *= shape[j]
	}
	idx := make([]int, k)
	off := 0
	next := 0
	return func(i int) int {
		for next < i {
			// advance the odometer by one, first index fastest
			next++
			for j := 0; j < k; j++ {
				idx[j]++
				off += cstride[j]
				if idx[j] < shape[j] {
					break
				}
				off -= idx[j] * cstride[j]
				idx[j] = 0
			}
		}
		return off
	}
}

// featureShape returns the samples and features per sample of a features
// array: (N, F), or (N, d1, d2, …) flattened to F = d1·d2·…
func featureShape(x *npyArray) (n, f int, err error) {
	if len(x.shape) < 2 {
		return 0, 0, fmt.Errorf("%s: %w: features of shape %v; expected (N, F) or (N, d1, d2, …)", x.name, ErrBadTable, x.shape)
	}
	n, f = x.shape[0], 1
	for _, d := range x.shape[1:] {
		f *= d
	}
	if n < 1 || f < 1 {
		return 0, 0, fmt.Errorf("%s: %w: features of shape %v: no data", x.name, ErrBadTable, x.shape)
	}
	return n, f, nil
}

func makeTable(name string, x, y *npyArray) (*Table, error) {
	n, f, err := featureShape(x)
	if err != nil {
		return nil, err
	}
	if err := y.checkTargetShape(); err != nil {
		return nil, err
	}
	if y.shape[0] != n {
		return nil, fmt.Errorf("%s: %w: %d samples of features in %s but %d targets", y.name, ErrBadTable, n, x.name, y.shape[0])
	}
	if err := y.checkTargetValues(); err != nil {
		return nil, err
	}
	t := &Table{Name: name, N: n, F: f, X: x.x32, Y: y.vals}
	return t, t.Validate()
}

// checkTargetShape checks that targets y have shape (N) or (N, 1).
func (y *npyArray) checkTargetShape() error {
	if !(len(y.shape) == 1 || len(y.shape) == 2 && y.shape[1] == 1) {
		return fmt.Errorf("%s: %w: targets of shape %v; expected (N) or (N, 1)", y.name, ErrBadTable, y.shape)
	}
	return nil
}

// checkTargetValues checks that every target is finite and exact.
func (y *npyArray) checkTargetValues() error {
	if y.inexact >= 0 {
		return fmt.Errorf("%s: %w: target of sample %d is %s, an integer beyond 2⁵³ that float64 cannot hold exactly",
			y.name, ErrBadTable, y.inexact, y.inexactVal)
	}
	for i, v := range y.vals {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("%s: %w: target of sample %d is %v", y.name, ErrBadTable, i, v)
		}
	}
	return nil
}
