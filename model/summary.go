package model

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Summary returns the table Keras 3's model.summary() prints for the
// equivalent keras.Sequential: one row per layer — each Dense, then a
// Dropout row (0 parameters) after every layer with a dropout rate — with
// Keras's layer names (dense, dense_1, …, dropout, dropout_1, …), output
// shapes and parameter counts, then the totals and their float32 sizes:
//
//	Model: "sequential"
//	┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓
//	┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃
//	┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩
//	│ dense (Dense)                   │ (None, 128)            │       100,480 │
//	├─────────────────────────────────┼────────────────────────┼───────────────┤
//	…
//	└─────────────────────────────────┴────────────────────────┴───────────────┘
//	 Total params: 118,282 (462.04 KB)
//	 Trainable params: 118,282 (462.04 KB)
//	 Non-trainable params: 0 (0.00 B)
//
// The column widths are those Keras (keras/src/utils/summary_utils.py,
// rendered by rich) uses at its line length of 76, that of an 80-column
// terminal or of output that is not a terminal. A cell too long for its
// column widens the table rather than being cut. Every parameter is
// trainable; sizes are 4 bytes a parameter in units of 1024 (B, KB, MB, …).
func (m *Sequential) Summary() string {
	type row struct{ name, shape, params string }
	var rows []row
	dense, dropout := 0, 0
	name := func(kind string, i int) string {
		if i == 0 {
			return kind
		}
		return kind + "_" + strconv.Itoa(i)
	}
	for l, layer := range m.layers {
		shape := fmt.Sprintf("(None, %d)", layer.Units)
		p := m.fanIn(l)*layer.Units + layer.Units
		rows = append(rows, row{name("dense", dense) + " (Dense)", shape, thousands(p)})
		dense++
		if layer.Dropout > 0 {
			rows = append(rows, row{name("dropout", dropout) + " (Dropout)", shape, "0"})
			dropout++
		}
	}
	// Content widths of the three columns (each cell adds a space either side).
	w := [3]int{31, 22, 13}
	for _, r := range append(rows, row{"Layer (type)", "Output Shape", "Param #"}) {
		for i, s := range [3]string{r.name, r.shape, r.params} {
			w[i] = max(w[i], utf8.RuneCountInString(s))
		}
	}
	line := func(left, fill, mid, right string) string {
		var sb strings.Builder
		sb.WriteString(left)
		for i, n := range w {
			if i > 0 {
				sb.WriteString(mid)
			}
			sb.WriteString(strings.Repeat(fill, n+2))
		}
		sb.WriteString(right)
		sb.WriteByte('\n')
		return sb.String()
	}
	cells := func(bar string, r row) string {
		pad := func(s string, n int) string { return strings.Repeat(" ", n-utf8.RuneCountInString(s)) }
		return bar + " " + r.name + pad(r.name, w[0]) + " " +
			bar + " " + r.shape + pad(r.shape, w[1]) + " " +
			bar + " " + pad(r.params, w[2]) + r.params + " " + bar + "\n"
	}
	var sb strings.Builder
	sb.WriteString("Model: \"sequential\"\n")
	sb.WriteString(line("┏", "━", "┳", "┓"))
	sb.WriteString(cells("┃", row{"Layer (type)", "Output Shape", "Param #"}))
	sb.WriteString(line("┡", "━", "╇", "┩"))
	for i, r := range rows {
		if i > 0 {
			sb.WriteString(line("├", "─", "┼", "┤"))
		}
		sb.WriteString(cells("│", r))
	}
	sb.WriteString(line("└", "─", "┴", "┘"))
	n := len(m.Params)
	size := readableSize(4 * float64(n))
	fmt.Fprintf(&sb, " Total params: %s (%s)\n", thousands(n), size)
	fmt.Fprintf(&sb, " Trainable params: %s (%s)\n", thousands(n), size)
	fmt.Fprintf(&sb, " Non-trainable params: 0 (%s)\n", readableSize(0))
	return sb.String()
}

// thousands writes n with commas between groups of three digits, as
// Python's f"{n:,}".
func thousands(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var sb strings.Builder
	if neg {
		sb.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			sb.WriteByte(',')
		}
		sb.WriteRune(c)
	}
	return sb.String()
}

// readableSize is Keras's readable_memory_size: bytes in the largest unit
// of 1024 below which the value stays, two decimals.
func readableSize(bytes float64) string {
	units := []string{"B", "KB", "MB", "GB", "TB", "PB"}
	for _, u := range units {
		if bytes/1024 < 1 {
			return fmt.Sprintf("%.2f %s", bytes, u)
		}
		bytes /= 1024
	}
	return fmt.Sprintf("%.2f %s", bytes, units[len(units)-1])
}
