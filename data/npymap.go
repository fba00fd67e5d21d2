package data

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"sync"
	"unsafe"

	"github.com/descent-ml/descent/internal/inputfile"
)

// npyReleaseBytes is how much of a mapped file an NPYMatrix lets become
// resident, by a generous estimate, before it hands the pages back to the
// page cache (see NPYMatrix).
const npyReleaseBytes = 64 << 20

// npyFaultBytes is the most a page fault may map at once (Linux's
// fault-around maps up to 64 KiB of cached pages): the estimate of what
// reading one row makes resident is at least this.
const npyFaultBytes = 64 << 10

// NPYMatrix is a .npy array of shape (N, d1, …) opened for reading rows on
// demand: row i is sample i, of d1·d2·… features in C order. The file is
// memory-mapped (on Unix; elsewhere read with ReadAt), so only the pages
// read are resident, and after every 64 MiB or so of reads the mapping's
// pages are handed back to the page cache (madvise MADV_DONTNEED), so the
// process's resident set stays bounded however large the file is.
//
// Every dtype ReadNPY accepts is read, in either byte order, converted to
// float32 by ReadNPY's rules. The array must be in C order (a Fortran-order
// file is refused at open, with how to convert it, unless at most one
// dimension exceeds 1, when the two orders store the same bytes). The file
// must be a regular file whose size is exactly its header plus the data its
// shape declares.
//
// An NPYMatrix is safe for concurrent use; Close waits for reads in
// progress. The file must not be truncated while open: a mapped page that
// no longer exists would kill the process (SIGBUS), as with any mmap.
type NPYMatrix struct {
	name       string
	rows, cols int
	dt         dtypeInfo
	dataOff    int64
	rowBytes   int64

	mu     sync.RWMutex // write-locked by Close
	back   npyBacking   // nil once closed
	f32    []float32    // the data as float32, for the fast path; nil if not fast
	direct bool         // without a mapping, little-endian float32 read straight into dst
	data   []byte       // the mapped data, or nil when read with ReadAt
	budget budgetCounter

	scratchMu sync.Mutex
	scratch   []byte // one row, for a backing that copies
}

// npyBacking is where an NPYMatrix's bytes come from.
type npyBacking interface {
	// mapped returns the whole file mapped in memory, or nil.
	mapped() []byte
	// readAt fills p from offset off.
	readAt(p []byte, off int64) error
	// release hands mapped pages back to the page cache.
	release()
	close() error
}

// OpenNPYMatrix opens the .npy file at path for reading rows; see
// NPYMatrix. Only a regular file is opened (not a FIFO or device, and
// without blocking). Errors about the content wrap ErrBadTable and name the
// file: a bad or lying header, a size other than header plus data (naming
// both), an unsupported dtype, fewer than two dimensions, no data, or
// Fortran order.
func OpenNPYMatrix(path string) (*NPYMatrix, error) {
	return openNPYMatrix(path, mapFile)
}

// OpenNPYFile is OpenNPYMatrix reading the file with pread (ReadAt)
// instead of a mapping: what it reads goes to the page cache, never into
// the process's resident set, and no page tables are filled and emptied.
// For shuffled batches of a file larger than memory it is the better
// choice on Linux, whose page cache maps whole large folios (up to 2 MiB)
// into a mapping for each row touched: on the 2 GiB file of
// scripts/bench/stream.sh one batch of 128 random rows made 250 MB
// resident, and bounding that with MADV_DONTNEED costs a fault per row.
// A mapping stays best for sequential passes (OpenNPYMatrix).
func OpenNPYFile(path string) (*NPYMatrix, error) {
	return openNPYMatrix(path, readAtFile)
}

// openNPYMatrix is OpenNPYMatrix with the way to back the file as a
// parameter, so tests can read through ReadAt on Unix too.
func openNPYMatrix(path string, back func(*os.File, int64) (npyBacking, error)) (*NPYMatrix, error) {
	f, size, err := inputfile.Open(path, math.MaxInt64)
	if err != nil {
		return nil, err
	}
	l, err := readNPYHeader(path, io.NewSectionReader(f, 0, size), size, math.MaxInt64/8)
	if err == nil {
		err = checkMatrixLayout(path, l)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	m := &NPYMatrix{name: path, rows: l.shape[0], dt: l.dt, dataOff: l.dataOff}
	m.cols = int(l.count / int64(m.rows))
	m.rowBytes = int64(m.cols) * int64(l.dt.size)
	m.back, err = back(f, size) // takes f over
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	if whole := m.back.mapped(); whole != nil {
		m.data = whole[l.dataOff:]
		if l.dt.kind == 'f' && l.dt.size == 4 && l.dt.bo == binary.LittleEndian && nativeLittleEndian() &&
			uintptr(unsafe.Pointer(unsafe.SliceData(m.data)))%4 == 0 {
			m.f32 = unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(m.data))), int(l.count))
		}
	} else {
		m.scratch = make([]byte, m.rowBytes)
		m.direct = l.dt.kind == 'f' && l.dt.size == 4 && l.dt.bo == binary.LittleEndian && nativeLittleEndian()
	}
	m.budget.max = npyReleaseBytes
	return m, nil
}

// checkMatrixLayout refuses what OpenNPYMatrix cannot stream.
func checkMatrixLayout(name string, l npyLayout) error {
	if len(l.shape) < 2 {
		return fmt.Errorf("%s: %w: features of shape %v; expected (N, F) or (N, d1, d2, …)", name, ErrBadTable, l.shape)
	}
	if l.count == 0 {
		return fmt.Errorf("%s: %w: features of shape %v: no data", name, ErrBadTable, l.shape)
	}
	if l.count > math.MaxInt/8 {
		return fmt.Errorf("%s: %w: shape %v holds more values than this machine can address", name, ErrBadTable, l.shape)
	}
	big := 0
	for _, d := range l.shape {
		if d > 1 {
			big++
		}
	}
	if l.fortran && big > 1 {
		return fmt.Errorf("%s: %w: the array of shape %v is in Fortran (column-major) order, which cannot be read a sample at a time; "+
			"convert it to C order once, e.g. with numpy.save(path, numpy.ascontiguousarray(numpy.load(path)))", name, ErrBadTable, l.shape)
	}
	return nil
}

// Name is the path the matrix was opened from.
func (m *NPYMatrix) Name() string { return m.name }

// Rows is N, the number of samples.
func (m *NPYMatrix) Rows() int { return m.rows }

// Cols is the number of features per sample, d1·d2·….
func (m *NPYMatrix) Cols() int { return m.cols }

// ReadRows converts the rows idx (in any order, repeats allowed) to float32
// into dst, which must hold len(idx)·Cols() values, row after row. It
// returns ctx.Err() if ctx is done (checked once per call), an error
// wrapping ErrBadTable naming the file, sample and feature for a value
// that is not finite or lies beyond float32's range (dst then holds
// partial data), and an error for an index out of range or a dst of the
// wrong length. It allocates nothing, and fails (never crashes) after
// Close.
func (m *NPYMatrix) ReadRows(ctx context.Context, idx []int, dst []float32) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.back == nil {
		return fmt.Errorf("%s: ReadRows: %w", m.name, os.ErrClosed)
	}
	if len(dst) != len(idx)*m.cols {
		return fmt.Errorf("%s: ReadRows: dst holds %d values, %d rows of %d need %d", m.name, len(dst), len(idx), m.cols, len(idx)*m.cols)
	}
	for _, r := range idx {
		if r < 0 || r >= m.rows {
			return fmt.Errorf("%s: ReadRows: sample %d out of range: the file has %d", m.name, r, m.rows)
		}
	}
	var err error
	switch {
	case m.f32 != nil:
		err = m.readFloat32(idx, dst)
	case m.data != nil:
		err = m.readMapped(idx, dst)
	case m.direct:
		err = m.readDirect(idx, dst)
	default:
		err = m.readCopied(idx, dst)
	}
	if m.data != nil && m.budget.spend(int64(len(idx))*max(m.rowBytes, npyFaultBytes)) {
		m.back.release()
	}
	return err
}

// readFloat32 is the fast path: little-endian float32 on a little-endian
// machine, a copy and a finiteness check.
func (m *NPYMatrix) readFloat32(idx []int, dst []float32) error {
	c := m.cols
	for k, r := range idx {
		out := dst[k*c : (k+1)*c]
		copy(out, m.f32[r*c:(r+1)*c])
		if j := firstNonFinite32(out); j >= 0 {
			return m.badValue(r, j, float64(out[j]))
		}
	}
	return nil
}

// firstNonFinite32 returns the index of the first NaN or infinity in v, or
// -1.
func firstNonFinite32(v []float32) int {
	if allFinite32(v) {
		return -1
	}
	for j, x := range v {
		if math.Float32bits(x)&0x7f800000 == 0x7f800000 {
			return j
		}
	}
	return -1
}

// allFinite32 reports whether every value of v is finite, without a branch
// per value: an exponent of all ones plus one carries into the sign bit
// (and never beyond), so two values are checked at once in a uint64, in
// four independent chains.
func allFinite32(v []float32) bool {
	const mask, one, signs = 0x7f8000007f800000, 0x0080000000800000, 0x8000000080000000
	var acc32 uint32
	p := unsafe.Pointer(unsafe.SliceData(v))
	if len(v) > 0 && uintptr(p)%8 != 0 {
		acc32 |= math.Float32bits(v[0])&0x7f800000 + 0x00800000
		v = v[1:]
		p = unsafe.Pointer(unsafe.SliceData(v))
	}
	if len(v)%2 == 1 {
		acc32 |= math.Float32bits(v[len(v)-1])&0x7f800000 + 0x00800000
	}
	var a0, a1, a2, a3 uint64
	if len(v) >= 2 {
		u := unsafe.Slice((*uint64)(p), len(v)/2)
		j := 0
		for ; j+4 <= len(u); j += 4 {
			w := u[j : j+4 : j+4]
			a0 |= w[0]&mask + one
			a1 |= w[1]&mask + one
			a2 |= w[2]&mask + one
			a3 |= w[3]&mask + one
		}
		for ; j < len(u); j++ {
			a0 |= u[j]&mask + one
		}
	}
	return (a0|a1|a2|a3)&signs == 0 && acc32&0x80000000 == 0
}

// readMapped converts rows of any dtype from the mapping.
func (m *NPYMatrix) readMapped(idx []int, dst []float32) error {
	for k, r := range idx {
		off := int64(r) * m.rowBytes
		if err := m.convertRow(r, m.data[off:off+m.rowBytes], dst[k*m.cols:(k+1)*m.cols]); err != nil {
			return err
		}
	}
	return nil
}

// readDirect reads little-endian float32 rows with ReadAt straight into
// dst, on a little-endian machine, and checks them.
func (m *NPYMatrix) readDirect(idx []int, dst []float32) error {
	c := m.cols
	for k, r := range idx {
		out := dst[k*c : (k+1)*c]
		b := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(out))), 4*c)
		if err := m.back.readAt(b, m.dataOff+int64(r)*m.rowBytes); err != nil {
			return fmt.Errorf("reading %s: sample %d: %w", m.name, r, err)
		}
		if j := firstNonFinite32(out); j >= 0 {
			return m.badValue(r, j, float64(out[j]))
		}
	}
	return nil
}

// nativeLittleEndian reports whether this machine is little-endian.
func nativeLittleEndian() bool { return binary.NativeEndian.Uint16([]byte{1, 0}) == 1 }

// readCopied converts rows of any dtype read with ReadAt into the scratch
// row.
func (m *NPYMatrix) readCopied(idx []int, dst []float32) error {
	m.scratchMu.Lock()
	defer m.scratchMu.Unlock()
	for k, r := range idx {
		if err := m.back.readAt(m.scratch, m.dataOff+int64(r)*m.rowBytes); err != nil {
			return fmt.Errorf("reading %s: sample %d: %w", m.name, r, err)
		}
		if err := m.convertRow(r, m.scratch, dst[k*m.cols:(k+1)*m.cols]); err != nil {
			return err
		}
	}
	return nil
}

// convertRow converts the bytes b of sample r to float32 into out.
func (m *NPYMatrix) convertRow(r int, b []byte, out []float32) error {
	switch {
	case m.dt.kind == 'u' && m.dt.size == 1: // images: always finite
		for j, v := range b[:len(out)] {
			out[j] = float32(v)
		}
		return nil
	case m.dt.kind == 'i' && m.dt.size == 1:
		for j, v := range b[:len(out)] {
			out[j] = float32(int8(v))
		}
		return nil
	}
	s := m.dt.size
	for j := range out {
		v, v32, direct, _, ok := m.dt.decode(b[j*s : (j+1)*s])
		if !ok {
			return fmt.Errorf("%s: %w: sample %d, feature %d: bool value %d", m.name, ErrBadTable, r, j, b[j*s])
		}
		x, ok := feature32(v, v32, direct)
		if !ok {
			return m.badValue(r, j, v)
		}
		out[j] = x
	}
	return nil
}

// badValue is the error for the value v of sample r, feature j.
func (m *NPYMatrix) badValue(r, j int, v float64) error {
	return fmt.Errorf("%s: %w: sample %d, feature %d is %v, not a finite float32", m.name, ErrBadTable, r, j, v)
}

// Close unmaps and closes the file. It waits for reads in progress; later
// reads fail. A second Close returns nil.
func (m *NPYMatrix) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.back == nil {
		return nil
	}
	err := m.back.close()
	m.back, m.f32, m.data = nil, nil, nil
	if err != nil {
		return fmt.Errorf("closing %s: %w", m.name, err)
	}
	return nil
}

// budgetCounter counts bytes read from a mapping and says when max have
// been spent, starting again from zero then.
type budgetCounter struct {
	mu    sync.Mutex
	spent int64
	max   int64
}

// spend counts n bytes and reports whether the budget ran out.
func (b *budgetCounter) spend(n int64) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.spent += n
	if b.spent < b.max {
		return false
	}
	b.spent = 0
	return true
}
