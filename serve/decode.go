package serve

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"unsafe"
)

// inputError is a problem with the request body that the client must fix:
// the server answers it with 400 and the message.
type inputError struct{ msg string }

func (e *inputError) Error() string { return e.msg }

func badInput(format string, args ...any) error {
	return &inputError{msg: fmt.Sprintf(format, args...)}
}

// readBody reads all of r (a MaxBytesReader, so bounded), starting from a
// buffer of the request's announced size when it has one within limit.
func readBody(r io.Reader, contentLength, limit int64) ([]byte, error) {
	size := int64(4096)
	if contentLength > 0 && contentLength <= limit {
		size = contentLength + 1 // +1: the final read that sees EOF needs no growth
	}
	buf := make([]byte, 0, size)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

// parser is a strict JSON (RFC 8259) scanner over one request body that
// understands just enough of it to pull the instances out.
type parser struct {
	b   []byte
	pos int
}

func (p *parser) ws() {
	for p.pos < len(p.b) {
		switch p.b[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *parser) eof() bool { return p.pos >= len(p.b) }

// invalid is the error for a syntax error at p.pos, prefixed by where.
func (p *parser) invalid(where string) error {
	if p.eof() {
		return badInput("%s: unexpected end of the request body", where)
	}
	c := p.b[p.pos]
	var what string
	if c >= 0x20 && c < 0x7f {
		what = strconv.QuoteRune(rune(c))
	} else {
		what = fmt.Sprintf("byte 0x%02x", c)
	}
	hint := ""
	if c == 'N' || c == 'I' {
		hint = " (NaN and Infinity are not JSON numbers)"
	}
	return badInput("%s: not valid JSON at byte %d: unexpected %s%s", where, p.pos, what, hint)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isHex(c byte) bool { return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') }

// number scans a JSON number at p.pos. On false, p.pos is at the byte that
// breaks the grammar.
func (p *parser) number() bool {
	b, i := p.b, p.pos
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		for i < len(b) && isDigit(b[i]) {
			i++
		}
	default:
		p.pos = i
		return false
	}
	if i < len(b) && b[i] == '.' {
		i++
		if i >= len(b) || !isDigit(b[i]) {
			p.pos = i
			return false
		}
		for i < len(b) && isDigit(b[i]) {
			i++
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || !isDigit(b[i]) {
			p.pos = i
			return false
		}
		for i < len(b) && isDigit(b[i]) {
			i++
		}
	}
	p.pos = i
	return true
}

// str scans the JSON string at p.pos (a '"') and returns its value. On
// false, p.pos is at the byte that breaks the grammar.
func (p *parser) str() (string, bool) {
	b := p.b
	start := p.pos
	i := start + 1
	escaped := false
	for {
		if i >= len(b) {
			p.pos = i
			return "", false
		}
		c := b[i]
		if c == '"' {
			break
		}
		if c < 0x20 {
			p.pos = i
			return "", false
		}
		if c != '\\' {
			i++
			continue
		}
		escaped = true
		i++
		if i >= len(b) {
			p.pos = i
			return "", false
		}
		switch b[i] {
		case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			i++
		case 'u':
			for k := 1; k <= 4; k++ {
				if i+k >= len(b) || !isHex(b[i+k]) {
					p.pos = min(i+k, len(b))
					return "", false
				}
			}
			i += 5
		default:
			p.pos = i
			return "", false
		}
	}
	p.pos = i + 1
	if !escaped {
		return string(b[start+1 : i]), true
	}
	var s string
	if err := json.Unmarshal(b[start:i+1], &s); err != nil { // valid by now; decodes the escapes
		p.pos = start
		return "", false
	}
	return s, true
}

func (p *parser) literal(word string) bool {
	if len(p.b)-p.pos >= len(word) && string(p.b[p.pos:p.pos+len(word)]) == word {
		p.pos += len(word)
		return true
	}
	return false
}

// describe scans the value at p.pos and names its kind for an error
// message; if it is not valid JSON, the error says so instead.
func (p *parser) describe(where string) (string, error) {
	if p.eof() {
		return "", p.invalid(where)
	}
	switch c := p.b[p.pos]; {
	case c == '[':
		return "a list", nil
	case c == '{':
		return "an object", nil
	case c == '"':
		s, ok := p.str()
		if !ok {
			return "", p.invalid(where)
		}
		if len(s) > 40 {
			s = s[:40] + "…"
		}
		return strconv.Quote(s) + " (a string)", nil
	case c == '-' || isDigit(c):
		start := p.pos
		if !p.number() {
			return "", p.invalid(where)
		}
		n := string(p.b[start:p.pos])
		if len(n) > 40 {
			n = n[:40] + "…"
		}
		return "a number (" + n + ")", nil
	case p.literal("true"), p.literal("false"):
		return "a boolean", nil
	case p.literal("null"):
		return "null", nil
	}
	return "", p.invalid(where)
}

// expect reports whether the byte at p.pos is c, and if so moves past it.
func (p *parser) expect(c byte) bool {
	if p.pos < len(p.b) && p.b[p.pos] == c {
		p.pos++
		return true
	}
	return false
}

// smallInt is the value of a JSON number that is an integer of at most 7
// digits (exact in a float32, and the common case of pixel values), without
// strconv's general parser.
func smallInt(n []byte) (float32, bool) {
	neg := len(n) > 0 && n[0] == '-'
	if neg {
		n = n[1:]
	}
	if len(n) == 0 || len(n) > 7 {
		return 0, false
	}
	v := 0
	for _, c := range n {
		if !isDigit(c) {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	f := float32(v)
	if neg {
		f = -f // -0 stays negative zero, as strconv reads it
	}
	return f, true
}

// feature is the float32 value of the JSON number n at instances[row][j].
func feature(n []byte, row, j int) (float32, error) {
	if v, ok := smallInt(n); ok {
		return v, nil
	}
	s := unsafe.String(&n[0], len(n)) // the body is not modified while s lives
	f, err := strconv.ParseFloat(s, 32)
	if math.IsInf(f, 0) {
		return 0, badInput("instances[%d][%d]: %s is outside the float32 range (±3.4028235e+38)", row, j, s)
	}
	if err != nil && !errors.Is(err, strconv.ErrRange) { // ErrRange with a finite value is underflow to 0
		return 0, badInput("instances[%d][%d]: %v", row, j, err)
	}
	return float32(f), nil
}

// decodeRequest parses a TF Serving row-format predict body,
//
//	{"instances": [[f, f, ...], ...], "signature_name": "..."}
//
// straight into a row-major []float32 of rows×features values, without
// building a tree of the document. Every instance must be a list of exactly
// features finite numbers that fit in a float32. Errors are *inputError
// naming what is wrong and where.
func decodeRequest(body []byte, features int) ([]float32, int, error) {
	p := &parser{b: body}
	p.ws()
	if p.eof() || p.b[p.pos] != '{' {
		d, err := p.describe("request body")
		if err != nil {
			return nil, 0, err
		}
		return nil, 0, badInput(`request body: want a JSON object {"instances": [...]}, got %s`, d)
	}
	p.pos++
	var (
		x         []float32
		rows      int
		instances bool
	)
	p.ws()
	if !p.expect('}') {
		for {
			p.ws()
			if p.eof() || p.b[p.pos] != '"' {
				return nil, 0, p.invalid("request object")
			}
			key, ok := p.str()
			if !ok {
				return nil, 0, p.invalid("request object")
			}
			p.ws()
			if !p.expect(':') {
				return nil, 0, p.invalid("request object")
			}
			p.ws()
			switch key {
			case "instances":
				if instances {
					return nil, 0, badInput(`request object: "instances" appears twice`)
				}
				instances = true
				var err error
				if x, rows, err = p.instances(features); err != nil {
					return nil, 0, err
				}
			case "signature_name":
				if p.eof() || p.b[p.pos] != '"' {
					d, err := p.describe(`"signature_name"`)
					if err != nil {
						return nil, 0, err
					}
					return nil, 0, badInput(`"signature_name": want a string, got %s`, d)
				}
				if _, ok := p.str(); !ok {
					return nil, 0, p.invalid(`"signature_name"`)
				}
			case "inputs":
				return nil, 0, badInput(`request object: the columnar "inputs" format is not supported; send "instances" (row format)`)
			default:
				return nil, 0, badInput(`request object: unknown field %q; want "instances" and optionally "signature_name"`, key)
			}
			p.ws()
			if p.expect(',') {
				continue
			}
			if p.expect('}') {
				break
			}
			return nil, 0, p.invalid("request object")
		}
	}
	if !instances {
		return nil, 0, badInput(`request object: missing "instances"`)
	}
	// Nothing but white space may follow the object.
	p.ws()
	if !p.eof() {
		at := p.pos
		if d, err := p.describe("request body"); err == nil {
			return nil, 0, badInput("request body: trailing data after the JSON object at byte %d: %s", at, d)
		}
		return nil, 0, badInput("request body: trailing data after the JSON object at byte %d", at)
	}
	return x, rows, nil
}

// instances parses the value of "instances": a non-empty list of lists of
// features numbers.
func (p *parser) instances(features int) ([]float32, int, error) {
	at := func(row int) string { return fmt.Sprintf("instances[%d]", row) }
	atFeature := func(row, j int) string { return fmt.Sprintf("instances[%d][%d]", row, j) }
	if p.eof() || p.b[p.pos] != '[' {
		d, err := p.describe(`"instances"`)
		if err != nil {
			return nil, 0, err
		}
		return nil, 0, badInput(`"instances": want a list of instances, got %s`, d)
	}
	p.pos++
	p.ws()
	if p.expect(']') {
		return nil, 0, badInput(`"instances" is empty: send at least one instance`)
	}
	var x []float32
	for rows := 0; ; {
		p.ws()
		if p.eof() || p.b[p.pos] != '[' {
			d, err := p.describe(at(rows))
			if err != nil {
				return nil, 0, err
			}
			return nil, 0, badInput("instances[%d]: want a list of %d features, got %s", rows, features, d)
		}
		p.pos++
		j := 0
		p.ws()
		if !p.expect(']') {
			for {
				p.ws()
				if p.eof() {
					return nil, 0, p.invalid(atFeature(rows, j))
				}
				if c := p.b[p.pos]; c != '-' && !isDigit(c) {
					d, err := p.describe(atFeature(rows, j))
					if err != nil {
						return nil, 0, err
					}
					return nil, 0, badInput("instances[%d][%d]: want a number, got %s", rows, j, d)
				}
				start := p.pos
				if !p.number() {
					return nil, 0, p.invalid(atFeature(rows, j))
				}
				if j < features { // beyond: keep counting to report how many came
					v, err := feature(p.b[start:p.pos], rows, j)
					if err != nil {
						return nil, 0, err
					}
					x = append(x, v)
				}
				j++
				p.ws()
				if p.expect(',') {
					continue
				}
				if p.expect(']') {
					break
				}
				return nil, 0, p.invalid(at(rows))
			}
		}
		if j != features {
			return nil, 0, badInput("instances[%d]: want %d features, got %d", rows, features, j)
		}
		rows++
		p.ws()
		if p.expect(',') {
			continue
		}
		if p.expect(']') {
			return x, rows, nil
		}
		return nil, 0, p.invalid(`"instances"`)
	}
}
