// Package numpyfmt prints float arrays the way NumPy's str() / print()
// does, so that a number computed by descent can be compared digit for digit
// with the same computation in Python (Keras, NumPy, PyTorch's .numpy()).
// descent loss prints its losses with it, and the loss examples and tests of
// package train check their values against NumPy's printed output.
//
// It is a package of its own because printing is not a training concept:
// it imports nothing of descent, so any layer may use it. It is public, not
// internal, because it was already exported (as train.FormatNumpy) and the
// train examples that show it are meant to be copied. It covers 1-D arrays
// with NumPy's default print options only.
package numpyfmt

import (
	"math"
	"strconv"
	"strings"
)

// Format formats a 1-D float64 array as NumPy's str() / print() does
// with the default print options (precision 8, floatmode "maxprec",
// suppress False, linewidth 75, threshold 1000, edgeitems 3), e.g.
//
//	[0.22314355 0.35667494 2.30258509 0.02020271]
//	[0.5  0.25 1.  ]
//	[1.e-05 1.e+00]
//
// The rule (numpy/_core/arrayprint.py, FloatingFormat and _formatArray):
//
//   - Each finite element gets the fewest digits that round-trip it (its
//     shortest repr), but at most 8 after the decimal point, rounded
//     correctly when more would be needed; trailing zeros are dropped and the
//     point is kept ("1.", "0.5", "2.30258509").
//   - Every element is then padded to a common width: the integer parts
//     (sign included) right-aligned, the fractional parts left-aligned and
//     padded with spaces — so [0.5 0.25 1.] prints as "[0.5  0.25 1.  ]".
//   - Scientific notation is used for the whole array when some non-zero
//     |x| ≥ 1e8, or the smallest non-zero |x| < 1e-4, or the ratio of the
//     largest to the smallest non-zero |x| exceeds 1000. Mantissas then share
//     one number of fractional digits (the most any element needs, ≤ 8;
//     elements needing fewer get further digits of their exact value,
//     correctly rounded) and exponents one number of digits (at least 2).
//   - NaN and ±Inf print as "nan", "inf", "-inf", right-aligned to the width.
//   - Elements are separated by one space inside brackets; a line that would
//     pass 75 characters wraps, continuing after one space of indent.
//   - More than 1000 elements print as the first 3, "...", the last 3.
//
// It covers what a loss vector needs; it is not a full arrayprint (no
// multi-dimensional arrays, no print options).
func Format(xs []float64) string { return format(xs, 64) }

// Format32 is [Format] for a float32 array: each element gets the
// shortest digits that round-trip it as a float32, as NumPy prints a float32
// array (so float32(0.3) prints as "0.3", not as the "0.30000001" that
// Format would print for float64(float32(0.3))).
func Format32(xs []float32) string { return format(xs, 32) }

// element is the formatted form of one finite element: its integer part
// (with sign), its fractional digits and, in scientific notation, its
// exponent's sign and digits.
type element struct {
	intPart, frac string
	expSign       byte
	exp           string
}

// format formats xs, whose elements are floats of the given bit size
// (32 or 64: the shortest digits are those that round-trip at that size).
func format[T ~float32 | ~float64](xs []T, bits int) string {
	const (
		precision = 8
		lineWidth = 75
		threshold = 1000
		edgeItems = 3
	)
	if len(xs) == 0 {
		return "[]"
	}

	// The elements shown; the format is fitted to these only, as NumPy does.
	shown := xs
	summary := len(xs) > threshold
	if summary {
		shown = make([]T, 0, 2*edgeItems)
		shown = append(shown, xs[:edgeItems]...)
		shown = append(shown, xs[len(xs)-edgeItems:]...)
	}

	// Choose the notation.
	var maxAbs, minAbs float64
	anyNonZero, anyNonFinite, negInf := false, false, false
	for _, x := range shown {
		v := float64(x)
		switch {
		case math.IsNaN(v) || math.IsInf(v, 0):
			anyNonFinite = true
			negInf = negInf || math.IsInf(v, -1)
			continue
		case v == 0:
			continue
		}
		a := math.Abs(v)
		if !anyNonZero || a > maxAbs {
			maxAbs = a
		}
		if !anyNonZero || a < minAbs {
			minAbs = a
		}
		anyNonZero = true
	}
	sci := anyNonZero && (maxAbs >= 1e8 || minAbs < 1e-4 || maxAbs/minAbs > 1000)

	// Format each finite element with at most `precision` fractional digits.
	parts := make([]element, len(shown))
	padLeft, padRight, expDigits, anyFinite := 0, 0, 0, false
	for i, x := range shown {
		v := float64(x)
		if math.IsNaN(v) || math.IsInf(v, 0) {
			continue
		}
		anyFinite = true
		var f element
		if sci {
			s := strconv.FormatFloat(v, 'e', -1, bits)
			if mant, _, _ := strings.Cut(s, "e"); fracLen(mant) > precision {
				s = strconv.FormatFloat(v, 'e', precision, bits)
			}
			mant, exp, _ := strings.Cut(s, "e")
			f.intPart, f.frac, _ = strings.Cut(mant, ".")
			f.frac = strings.TrimRight(f.frac, "0")
			f.expSign, f.exp = exp[0], strings.TrimLeft(exp[1:], "0")
			if f.exp == "" {
				f.exp = "0"
			}
			expDigits = max(expDigits, len(f.exp), 2)
		} else {
			s := strconv.FormatFloat(v, 'f', -1, bits)
			if fracLen(s) > precision {
				s = strconv.FormatFloat(v, 'f', precision, bits)
			}
			f.intPart, f.frac, _ = strings.Cut(s, ".")
			f.frac = strings.TrimRight(f.frac, "0")
		}
		parts[i] = f
		padLeft = max(padLeft, len(f.intPart))
		padRight = max(padRight, len(f.frac))
	}
	fracDigits := padRight // scientific: every mantissa gets this many digits
	if sci {
		padRight = expDigits + 2 + fracDigits // "e", sign, digits
	}
	if anyNonFinite {
		offset := padRight + 1
		if !anyFinite {
			padLeft, padRight, offset = 0, 0, 1
		}
		neg := 0
		if negInf {
			neg = 1
		}
		padLeft = max(padLeft, len("nan")-offset, len("inf")+neg-offset)
	}
	width := padLeft + 1 + padRight

	word := func(i int) string {
		v := float64(shown[i])
		switch {
		case math.IsNaN(v):
			return strings.Repeat(" ", max(0, width-3)) + "nan"
		case math.IsInf(v, 1):
			return strings.Repeat(" ", max(0, width-3)) + "inf"
		case math.IsInf(v, -1):
			return strings.Repeat(" ", max(0, width-4)) + "-inf"
		}
		f := parts[i]
		var b strings.Builder
		b.WriteString(strings.Repeat(" ", padLeft-len(f.intPart)))
		b.WriteString(f.intPart)
		b.WriteByte('.')
		if sci {
			// The digits past an element's shortest ones are the exact
			// value's, correctly rounded (Dragon4's min_digits), not zeros:
			// float32(964184.4) prints as 9.6418438e+05 beside a 7-digit
			// mantissa. For float64 the two agree.
			if fracDigits > len(f.frac) {
				s := strconv.FormatFloat(v, 'e', fracDigits, bits)
				mant, _, _ := strings.Cut(s, "e")
				_, f.frac, _ = strings.Cut(mant, ".")
			}
			b.WriteString(f.frac)
			b.WriteByte('e')
			b.WriteByte(f.expSign)
			b.WriteString(strings.Repeat("0", expDigits-len(f.exp)))
			b.WriteString(f.exp)
		} else {
			b.WriteString(f.frac)
			b.WriteString(strings.Repeat(" ", padRight-len(f.frac)))
		}
		return b.String()
	}

	// Lay the words out as _formatArray does for a 1-D array: the line
	// starts with a one-space hanging indent (replaced by "[" at the end),
	// and a word that would take the line past linewidth−1 (room for "]")
	// starts a new line, unless the line holds only the indent.
	const indent = " "
	var s strings.Builder
	line := indent
	add := func(w string) {
		if len(line)+len(w) > lineWidth-1 && len(line) > len(indent) {
			s.WriteString(strings.TrimRight(line, " "))
			s.WriteByte('\n')
			line = indent
		}
		line += w
	}
	for i := range shown {
		if i > 0 {
			line += " "
		}
		if summary && i == edgeItems {
			add("...")
			line += " "
		}
		add(word(i))
	}
	s.WriteString(line)
	return "[" + s.String()[len(indent):] + "]"
}

// fracLen is the number of digits after the point in a decimal string.
func fracLen(s string) int {
	if _, frac, ok := strings.Cut(s, "."); ok {
		return len(frac)
	}
	return 0
}
