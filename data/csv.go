package data

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode"

	"github.com/descent-ml/descent/internal/inputfile"
)

// DefaultCSVLabel is the name of the target column when CSVOptions.Label is
// empty.
const DefaultCSVLabel = "label"

// DefaultCSVMaxBytes is the largest CSV file read when CSVOptions.MaxBytes
// is zero or negative: 1 GiB.
const DefaultCSVMaxBytes int64 = 1 << 30

// CSVOptions configures ReadCSV and DecodeCSV. The zero value is ready to
// use.
type CSVOptions struct {
	// Label names the target column (--label); "" means DefaultCSVLabel.
	Label string
	// MaxBytes bounds the bytes read; 0 or less means DefaultCSVMaxBytes.
	MaxBytes int64
	// LabelOptional accepts a header without the Label column: then every
	// column is a feature and the Table has no targets (Y nil, TargetName
	// ""), as for the inputs of descent predict. When the column is there
	// it is still the target.
	LabelOptional bool
}

// MaxCSVColumns bounds the fields of one CSV record: 2²⁰. encoding/csv
// spends some 40 bytes of bookkeeping per field while it splits a record, so
// a hostile line of 1 GiB of commas would otherwise cost tens of GiB; a
// record with more fields is refused as its bytes are read, before
// encoding/csv holds it.
const MaxCSVColumns = 1 << 20

// csvMaxValues and csvMaxColumns are MaxTableValues and MaxCSVColumns,
// lowered by tests.
var (
	csvMaxValues  = MaxTableValues
	csvMaxColumns = MaxCSVColumns
)

// utf8BOM is the byte order mark some tools (Excel) write first.
const utf8BOM = "\xef\xbb\xbf"

// ReadCSV reads a data set from the CSV file at path; see DecodeCSV for the
// format. Only a regular file is read (a FIFO or device is refused without
// blocking), of at most opts.MaxBytes bytes.
func ReadCSV(path string, opts CSVOptions) (*Table, error) {
	f, _, err := inputfile.Open(path, opts.maxBytes())
	if err != nil {
		return nil, fmt.Errorf("CSV file: %w", err)
	}
	defer f.Close()
	return DecodeCSV(f, path, opts)
}

// DecodeCSV reads a data set in CSV form from r; name identifies it in
// messages (usually the file's path). At most opts.MaxBytes bytes are read.
//
// The first record is a header naming the columns; the column named
// opts.Label is the target, every other column a feature, in file order.
// Each later record is one sample. The format is RFC 4180 as read by
// encoding/csv (comma-separated, fields may be quoted with "", a quote in a
// quoted field doubled, no lazy quotes), plus: a leading UTF-8 byte order
// mark is skipped; CRLF and LF line ends are both accepted; blank lines are
// skipped; spaces and tabs around a column name, and white space (line
// breaks too) around a value, are ignored.
//
// Values are decimal numbers as strconv.ParseFloat reads them ("1", "-2.5",
// ".5", "5.", "1e-3", "+4", and Go's digit separators, "1_000"); features
// are rounded to float32 and the target kept as float64; a value too small
// for its type rounds to zero (1e-50 as a feature is 0). Refused: an empty
// value, anything else that is not a number, NaN and infinity in any
// spelling ("nan", "inf", "Infinity"), a value that overflows its type (1e39
// as a feature overflows float32), and hexadecimal floats ("0x1p-2": no
// spreadsheet or CSV tool writes them, so one is far more likely a mistake
// than meant).
//
// Also refused: a header without the label column (the message lists the
// columns), unless opts.LabelOptional; an empty or duplicate column name; a
// column name holding a control character (a line break or tab inside it:
// encoding/csv cannot write every such name back as it read it); a file
// with no feature column, no header or no rows; a row with more or fewer
// fields than the header; a record of more than MaxCSVColumns fields; more
// than MaxTableValues feature values. Every such error wraps ErrBadTable and names the input
// and, where it applies, the 1-based line (as the file numbers its lines,
// header and blank lines included) and the column's name, as in
//
//	train.csv: bad data file: line 7, column "petal_width": "abc" is not a number
//
// Any other error is an I/O error (inputfile.ErrTooLarge past MaxBytes).
func DecodeCSV(r io.Reader, name string, opts CSVOptions) (*Table, error) {
	rows, err := newCSVRows(r, name, opts)
	if err != nil {
		return nil, err
	}
	t := &Table{Name: name, F: len(rows.features), TargetName: rows.label, FeatureNames: rows.features}
	for {
		ok, err := rows.next()
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		t.X = append(t.X, rows.x...)
		if rows.labelCol >= 0 {
			t.Y = append(t.Y, rows.y)
		}
		t.N++
	}
	if t.N == 0 {
		return nil, rows.d.errorf("the header has no rows below it")
	}
	return t, nil
}

// csvRows reads a CSV data set a row at a time, by DecodeCSV's rules and
// with its messages, in memory bounded by one record: DecodeCSV collects
// the rows into a Table, CSVCache writes them to disk.
type csvRows struct {
	d        csvDecoder
	label    string
	names    []string // every column
	features []string // the feature columns' names, in file order
	labelCol int
	maxRows  int // csvMaxValues / len(features)
	n        int // rows read
	// x and y are the last row read: its features (reused from row to
	// row) and its target.
	x []float32
	y float64
}

// newCSVRows reads and checks the header of the CSV data set in r.
func newCSVRows(r io.Reader, name string, opts CSVOptions) (*csvRows, error) {
	label := opts.Label
	if label == "" {
		label = DefaultCSVLabel
	}
	br := bufio.NewReader(&fieldCounter{
		r:   &capReader{r: r, left: opts.maxBytes(), max: opts.maxBytes()},
		max: csvMaxColumns, line: 1, fields: 1,
	})
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = 0 // set by the header: every row must match it
	cr.LazyQuotes = false
	cr.ReuseRecord = true
	c := &csvRows{d: csvDecoder{name: name, cr: cr}, label: label}
	d := &c.d
	head, err := br.Peek(len(utf8BOM))
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, d.readError(err)
	}
	if string(head) == utf8BOM {
		_, _ = br.Discard(len(utf8BOM))
	}
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, d.errorf("the file is empty: no header row")
	}
	if err != nil {
		return nil, d.readError(err)
	}
	names := make([]string, len(header))
	seen := make(map[string]int)
	labelCol := -1
	for i, h := range header {
		h = strings.Trim(h, " \t")
		line, _ := cr.FieldPos(i)
		if h == "" {
			return nil, d.errorf("line %d: column %d of the header has no name", line, i+1)
		}
		if strings.IndexFunc(h, unicode.IsControl) >= 0 {
			return nil, d.errorf("line %d: the name of column %d, %s, holds a control character", line, i+1, quoteValue(h))
		}
		if j, dup := seen[h]; dup {
			return nil, d.errorf("line %d: columns %d and %d are both named %q", line, j+1, i+1, h)
		}
		seen[h] = i
		names[i] = h
		if h == label {
			labelCol = i
		}
	}
	if labelCol < 0 && !opts.LabelOptional {
		return nil, d.errorf("no column %q for the target (--label); the columns are %s", label, listNames(names))
	}
	if labelCol >= 0 && len(names) < 2 {
		return nil, d.errorf("the only column is the target %q: no feature columns", label)
	}
	c.names, c.labelCol = names, labelCol
	c.features = make([]string, 0, len(names))
	if labelCol >= 0 {
		c.features = append(c.features, names[:labelCol]...)
		c.features = append(c.features, names[labelCol+1:]...)
	} else {
		c.features = append(c.features, names...) // LabelOptional: every column a feature
		c.label = ""
	}
	c.maxRows = csvMaxValues / len(c.features)
	c.x = make([]float32, len(c.features))
	return c, nil
}

// next reads the next row into c.x and c.y; it returns false at the end
// of the input.
func (c *csvRows) next() (bool, error) {
	d := &c.d
	rec, err := d.cr.Read()
	if errors.Is(err, io.EOF) {
		return false, nil
	}
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) && errors.Is(pe.Err, csv.ErrFieldCount) {
			return false, d.raggedError(rec, c.names)
		}
		return false, d.readError(err)
	}
	line, _ := d.cr.FieldPos(0)
	if c.n >= c.maxRows {
		return false, d.errorf("line %d: more than %d rows of %d features, over the limit of %d values (MaxTableValues)",
			line, c.maxRows, len(c.features), csvMaxValues)
	}
	k := 0
	for i, field := range rec {
		line, _ := d.cr.FieldPos(i)
		bits := 32
		if i == c.labelCol {
			bits = 64
		}
		v, err := parseCSVNumber(field, bits)
		if err != nil {
			return false, d.errorf("line %d, column %q: %v", line, c.names[i], err)
		}
		if i == c.labelCol {
			c.y = v
		} else {
			c.x[k] = float32(v)
			k++
		}
	}
	c.n++
	return true, nil
}

// maxBytes is MaxBytes or its default.
func (o CSVOptions) maxBytes() int64 {
	if o.MaxBytes <= 0 {
		return DefaultCSVMaxBytes
	}
	return o.MaxBytes
}

// csvDecoder holds what DecodeCSV's messages need.
type csvDecoder struct {
	name string
	cr   *csv.Reader
}

// errorf returns an error naming the input and wrapping ErrBadTable.
func (d *csvDecoder) errorf(format string, args ...any) error {
	return fmt.Errorf("%s: %w: %s", d.name, ErrBadTable, fmt.Sprintf(format, args...))
}

// readError describes an error from the csv.Reader: a syntax error (a stray
// or unterminated quote) is a bad table, anything else an I/O error.
func (d *csvDecoder) readError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return d.errorf("line %d, byte %d: %v", pe.Line, pe.Column, pe.Err)
	}
	var wide *tooManyFieldsError
	if errors.As(err, &wide) {
		return d.errorf("line %d: more than %d fields in a record (MaxCSVColumns)", wide.line, wide.max)
	}
	return fmt.Errorf("reading %s: %w", d.name, err)
}

// raggedError describes a row (rec, the record csv.Reader returned with
// ErrFieldCount) whose field count differs from the header's.
func (d *csvDecoder) raggedError(rec []string, names []string) error {
	line, _ := d.cr.FieldPos(0)
	if len(rec) < len(names) {
		return d.errorf("line %d, column %q: missing: the row has %d fields, the header %d columns",
			line, names[len(rec)], len(rec), len(names))
	}
	line, _ = d.cr.FieldPos(len(names))
	return d.errorf("line %d, field %d: the row has %d fields, the header only %d columns",
		line, len(names)+1, len(rec), len(names))
}

// listNames quotes names for a message, at most 20 of them.
func listNames(names []string) string {
	const most = 20
	var b strings.Builder
	for i, n := range names {
		if i == most {
			fmt.Fprintf(&b, " and %d more", len(names)-most)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Quote(n))
	}
	return b.String()
}

// parseCSVNumber parses a CSV value as a finite float of bitSize bits (32 or
// 64), with a message (without line or column) when it is not one.
func parseCSVNumber(field string, bitSize int) (float64, error) {
	s := strings.TrimSpace(field)
	if s == "" {
		return 0, errors.New("the value is missing")
	}
	unsigned := strings.TrimLeft(s, "+-")
	if len(unsigned) >= 2 && unsigned[0] == '0' && (unsigned[1] == 'x' || unsigned[1] == 'X') {
		return 0, fmt.Errorf("%s is a hexadecimal number; only decimal numbers are accepted", quoteValue(s))
	}
	v, err := strconv.ParseFloat(s, bitSize)
	switch {
	case errors.Is(err, strconv.ErrRange) && math.IsInf(v, 0):
		return 0, fmt.Errorf("%s overflows float%d", quoteValue(s), bitSize)
	case err != nil && !errors.Is(err, strconv.ErrRange):
		return 0, fmt.Errorf("%s is not a number", quoteValue(s))
	case math.IsNaN(v) || math.IsInf(v, 0):
		return 0, fmt.Errorf("%s is not finite", quoteValue(s))
	}
	return v, nil // an underflow (ErrRange with a result of 0 or tiny) rounds, as a float32 cast would
}

// quoteValue quotes a value for a message, cut to 40 bytes.
func quoteValue(s string) string {
	const most = 40
	if len(s) > most {
		return strconv.Quote(s[:most]) + "…"
	}
	return strconv.Quote(s)
}

// capReader reads from r until max bytes have been read, then fails with
// inputfile.ErrTooLarge if r has more, and keeps failing.
type capReader struct {
	r         io.Reader
	left, max int64 // bytes left to read, of max
	err       error // once failed, always failed
}

// Read implements io.Reader.
func (c *capReader) Read(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	if c.left <= 0 {
		var one [1]byte
		n, err := c.r.Read(one[:])
		if n > 0 {
			c.err = fmt.Errorf("%w: more than %d bytes", inputfile.ErrTooLarge, c.max)
			return 0, c.err
		}
		return 0, err
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	return n, err
}

// fieldCounter passes r's bytes through, counting the fields of each
// record as RFC 4180 splits them (a comma outside quotes starts a field, a
// newline outside quotes ends a record; "" inside quotes toggles twice), and
// fails once a record has more than max fields. A stray quote can confuse
// the count, but encoding/csv refuses that line anyway.
type fieldCounter struct {
	r       io.Reader
	err     error // once failed, always failed
	max     int
	line    int // the physical line being read, 1-based
	fields  int // fields so far in the record being read
	inQuote bool
}

// tooManyFieldsError is fieldCounter's error: a record on line has more
// than max fields.
type tooManyFieldsError struct{ line, max int }

func (e *tooManyFieldsError) Error() string {
	return fmt.Sprintf("line %d: more than %d fields in a record", e.line, e.max)
}

// Read implements io.Reader.
func (c *fieldCounter) Read(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.r.Read(p)
	for _, b := range p[:n] {
		switch {
		case b == '"':
			c.inQuote = !c.inQuote
		case b == '\n':
			c.line++
			if !c.inQuote {
				c.fields = 1
			}
		case b == ',' && !c.inQuote:
			c.fields++
			if c.fields > c.max {
				c.err = &tooManyFieldsError{line: c.line, max: c.max}
				return 0, c.err
			}
		}
	}
	return n, err
}
