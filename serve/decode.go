package serve

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
)

// inputError is a problem with the request body that the client must fix:
// the server answers it with 400 and the message.
type inputError struct{ msg string }

func (e *inputError) Error() string { return e.msg }

func badInput(format string, args ...any) error {
	return &inputError{msg: fmt.Sprintf(format, args...)}
}

// readError passes a failure of the body reader (e.g. *http.MaxBytesError)
// through unchanged and turns everything else the json.Decoder reports
// (syntax errors, io.ErrUnexpectedEOF) into an inputError prefixed by where.
func readError(err error, where string) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return err
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return badInput("%s: unexpected end of the request body", where)
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return badInput("%s: not valid JSON at byte %d: %v (NaN and Infinity are not JSON numbers)", where, se.Offset, se)
	}
	return badInput("%s: %v", where, err)
}

// describe names the kind of JSON value a token starts.
func describe(tok json.Token) string {
	switch v := tok.(type) {
	case json.Delim:
		switch v {
		case '[':
			return "a list"
		case '{':
			return "an object"
		}
		return "'" + v.String() + "'"
	case json.Number:
		return "a number (" + string(v) + ")"
	case string:
		return strconv.Quote(v) + " (a string)"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", tok)
}

// decodeRequest reads a TF Serving row-format predict body,
//
//	{"instances": [[f, f, ...], ...], "signature_name": "..."}
//
// token by token, straight into a row-major []float32 of rows×features
// values, without building a generic tree of the document. Every instance
// must be a list of exactly features finite numbers that fit in a float32.
// Errors from the reader (e.g. *http.MaxBytesError) are returned as they
// are; everything else is an *inputError naming what is wrong and where.
func decodeRequest(r io.Reader, features int) ([]float32, int, error) {
	dec := json.NewDecoder(r)
	dec.UseNumber()

	tok, err := dec.Token()
	if err != nil {
		return nil, 0, readError(err, "request body")
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, 0, badInput(`request body: want a JSON object {"instances": [...]}, got %s`, describe(tok))
	}
	var (
		x         []float32
		rows      int
		instances bool
	)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, 0, readError(err, "request object")
		}
		key, _ := tok.(string) // object keys are always strings
		switch key {
		case "instances":
			if instances {
				return nil, 0, badInput(`request object: "instances" appears twice`)
			}
			instances = true
			x, rows, err = decodeInstances(dec, features)
			if err != nil {
				return nil, 0, err
			}
		case "signature_name":
			tok, err := dec.Token()
			if err != nil {
				return nil, 0, readError(err, `"signature_name"`)
			}
			if _, ok := tok.(string); !ok {
				return nil, 0, badInput(`"signature_name": want a string, got %s`, describe(tok))
			}
		case "inputs":
			return nil, 0, badInput(`request object: the columnar "inputs" format is not supported; send "instances" (row format)`)
		default:
			return nil, 0, badInput(`request object: unknown field %q; want "instances" and optionally "signature_name"`, key)
		}
	}
	if _, err := dec.Token(); err != nil { // the closing '}'
		return nil, 0, readError(err, "request object")
	}
	if !instances {
		return nil, 0, badInput(`request object: missing "instances"`)
	}
	// Nothing but white space may follow the object.
	if tok, err := dec.Token(); err != io.EOF {
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return nil, 0, err
			}
			return nil, 0, badInput("request body: trailing data after the JSON object: %v", err)
		}
		return nil, 0, badInput("request body: trailing data after the JSON object: %s", describe(tok))
	}
	return x, rows, nil
}

// decodeInstances reads the value of "instances": a non-empty list of
// lists of features numbers.
func decodeInstances(dec *json.Decoder, features int) ([]float32, int, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, 0, readError(err, `"instances"`)
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return nil, 0, badInput(`"instances": want a list of instances, got %s`, describe(tok))
	}
	var x []float32
	rows := 0
	for ; dec.More(); rows++ {
		tok, err := dec.Token()
		if err != nil {
			return nil, 0, readError(err, fmt.Sprintf("instances[%d]", rows))
		}
		if d, ok := tok.(json.Delim); !ok || d != '[' {
			return nil, 0, badInput("instances[%d]: want a list of %d features, got %s", rows, features, describe(tok))
		}
		j := 0
		for ; dec.More(); j++ {
			tok, err := dec.Token()
			if err != nil {
				return nil, 0, readError(err, fmt.Sprintf("instances[%d][%d]", rows, j))
			}
			n, ok := tok.(json.Number)
			if !ok {
				return nil, 0, badInput("instances[%d][%d]: want a number, got %s", rows, j, describe(tok))
			}
			if j >= features {
				continue // keep counting to report how many came
			}
			f, err := strconv.ParseFloat(string(n), 32)
			if math.IsInf(f, 0) || math.IsNaN(f) {
				return nil, 0, badInput("instances[%d][%d]: %s is outside the float32 range (±3.4028235e+38)", rows, j, n)
			}
			if err != nil && !errors.Is(err, strconv.ErrRange) { // ErrRange with a finite value is underflow to 0
				return nil, 0, badInput("instances[%d][%d]: %v", rows, j, err)
			}
			x = append(x, float32(f))
		}
		if _, err := dec.Token(); err != nil { // the instance's ']'
			return nil, 0, readError(err, fmt.Sprintf("instances[%d]", rows))
		}
		if j != features {
			return nil, 0, badInput("instances[%d]: want %d features, got %d", rows, features, j)
		}
	}
	if _, err := dec.Token(); err != nil { // the ']' closing instances
		return nil, 0, readError(err, `"instances"`)
	}
	if rows == 0 {
		return nil, 0, badInput(`"instances" is empty: send at least one instance`)
	}
	return x, rows, nil
}
