package data

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"testing/iotest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/descent-ml/descent/internal/inputfile"
)

// writeTemp writes content to a file name in a fresh temporary folder and
// returns its path.
func writeTemp(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
	return path
}

// csvGoodCase is a CSV that DecodeCSV reads, and the Table it makes.
type csvGoodCase struct {
	name    string
	content string
	opts    CSVOptions
	want    *Table
}

// csvGoodCases are the CSVs of TestReadCSV, shared with the CSV cache's
// tests.
func csvGoodCases() []csvGoodCase {
	iris := &Table{
		X:            []float32{5.1, 3.5, 1.4, 0.2, 7, 3.2, 4.7, 1.4},
		Y:            []float64{0, 1},
		N:            2,
		F:            4,
		FeatureNames: []string{"sepal_length", "sepal_width", "petal_length", "petal_width"},
		TargetName:   "label",
	}
	return []csvGoodCase{
		{"normal", "sepal_length,sepal_width,petal_length,petal_width,label\n5.1,3.5,1.4,0.2,0\n7,3.2,4.7,1.4,1\n", CSVOptions{}, iris},
		{"no final newline", "sepal_length,sepal_width,petal_length,petal_width,label\n5.1,3.5,1.4,0.2,0\n7,3.2,4.7,1.4,1", CSVOptions{}, iris},
		{"BOM", utf8BOM + "sepal_length,sepal_width,petal_length,petal_width,label\n5.1,3.5,1.4,0.2,0\n7,3.2,4.7,1.4,1\n", CSVOptions{}, iris},
		{"CRLF", "sepal_length,sepal_width,petal_length,petal_width,label\r\n5.1,3.5,1.4,0.2,0\r\n7,3.2,4.7,1.4,1\r\n", CSVOptions{}, iris},
		{"BOM and CRLF", utf8BOM + "sepal_length,sepal_width,petal_length,petal_width,label\r\n5.1,3.5,1.4,0.2,0\r\n7,3.2,4.7,1.4,1\r\n", CSVOptions{}, iris},
		{"blank lines", "\n\nsepal_length,sepal_width,petal_length,petal_width,label\n\n5.1,3.5,1.4,0.2,0\r\n\r\n\n7,3.2,4.7,1.4,1\n\n", CSVOptions{}, iris},
		{"label first", "label,sepal_length,sepal_width,petal_length,petal_width\n0,5.1,3.5,1.4,0.2\n1,7,3.2,4.7,1.4\n", CSVOptions{}, iris},
		{"label in the middle", "sepal_length,sepal_width,label,petal_length,petal_width\n5.1,3.5,0,1.4,0.2\n7,3.2,1,4.7,1.4\n", CSVOptions{}, iris},
		{"spaces", " sepal_length , sepal_width,\tpetal_length,petal_width , label\n5.1, 3.5 ,1.4,\t0.2,0\n7,3.2,\"\n4.7\r\n\",1.4,  1\n", CSVOptions{}, iris},
		{"number forms", "a,label\n+1,1e3\n-.5,-2.5E-1\n5.,0\n1e-50,123456789.125\n1_000,1_0.5\n", CSVOptions{},
			&Table{X: []float32{1, -0.5, 5, 0, 1000}, Y: []float64{1000, -0.25, 0, 123456789.125, 10.5}, N: 5, F: 1, FeatureNames: []string{"a"}, TargetName: "label"}},
		{"float32 rounding, float64 target", "a,label\n0.1,0.1\n3.4028235e38,1e300\n", CSVOptions{},
			&Table{X: []float32{0.1, 3.4028235e38}, Y: []float64{0.1, 1e300}, N: 2, F: 1, FeatureNames: []string{"a"}, TargetName: "label"}},
		{"custom label", "x,label,species\n1,2,3\n", CSVOptions{Label: "species"},
			&Table{X: []float32{1, 2}, Y: []float64{3}, N: 1, F: 2, FeatureNames: []string{"x", "label"}, TargetName: "species"}},
		{"quoted", "\"a,b\",\"say \"\"hi\"\"\",\"label\"\n\"1\",\"2.5\",\"3\"\n\" 4 \",5,6\n", CSVOptions{},
			&Table{X: []float32{1, 2.5, 4, 5}, Y: []float64{3, 6}, N: 2, F: 2, FeatureNames: []string{"a,b", `say "hi"`}, TargetName: "label"}},
		{"Unicode names", "\"petal width (cm)\",\"größe\",label\n1,2,3\n", CSVOptions{Label: "label"},
			&Table{X: []float32{1, 2}, Y: []float64{3}, N: 1, F: 2, FeatureNames: []string{"petal width (cm)", "größe"}, TargetName: "label"}},
	}
}

func TestReadCSV(t *testing.T) {
	for _, tc := range csvGoodCases() {
		t.Run(tc.name, func(t *testing.T) {
			path := writeTemp(t, "train.csv", tc.content)
			got, err := ReadCSV(path, tc.opts)
			require.NoError(t, err)
			want := *tc.want
			want.Name = path
			assert.Equal(t, &want, got)
			require.NoError(t, got.Validate())

			got, err = DecodeCSV(iotest.OneByteReader(strings.NewReader(tc.content)), "s", tc.opts)
			require.NoError(t, err, "byte by byte")
			want.Name = "s"
			assert.Equal(t, &want, got)
		})
	}
}

// With LabelOptional a file without the label column is all features and
// no targets; one with it reads as without the option.
func TestReadCSVLabelOptional(t *testing.T) {
	opts := CSVOptions{LabelOptional: true}
	for _, tc := range []struct {
		name, content string
		opts          CSVOptions
		want          *Table
	}{
		{"no label column", "a,b\n1,2\n3,4\n", opts,
			&Table{X: []float32{1, 2, 3, 4}, N: 2, F: 2, FeatureNames: []string{"a", "b"}}},
		{"one column", "a\n1\n", opts,
			&Table{X: []float32{1}, N: 1, F: 1, FeatureNames: []string{"a"}}},
		{"label column present", "a,label,b\n1,7,2\n", opts,
			&Table{X: []float32{1, 2}, Y: []float64{7}, N: 1, F: 2, FeatureNames: []string{"a", "b"}, TargetName: "label"}},
		{"custom label absent", "a,label\n1,2\n", CSVOptions{Label: "y", LabelOptional: true},
			&Table{X: []float32{1, 2}, N: 1, F: 2, FeatureNames: []string{"a", "label"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := DecodeCSV(strings.NewReader(tc.content), "s", tc.opts)
			require.NoError(t, err)
			want := *tc.want
			want.Name = "s"
			assert.Equal(t, &want, got)
		})
	}
	// Still refused: the label column alone, and everything else.
	for content, msg := range map[string]string{
		"label\n1\n": "no feature columns",
		"a,b\n1,x\n": `line 2, column "b": "x" is not a number`,
		"a,b\n1\n":   "missing",
		"a,b\n":      "no rows",
		"":           "no header row",
	} {
		_, err := DecodeCSV(strings.NewReader(content), "s", opts)
		require.ErrorIs(t, err, ErrBadTable, content)
		assert.Contains(t, err.Error(), msg, content)
	}
}

// csvBadCase is a CSV that DecodeCSV refuses, and what the message says.
type csvBadCase struct {
	name    string
	content string
	opts    CSVOptions
	want    []string
}

// csvBadCases are the CSVs of TestReadCSVRefusals, shared with the CSV
// cache's tests.
func csvBadCases() []csvBadCase {
	return []csvBadCase{
		{"empty file", "", CSVOptions{}, []string{"the file is empty: no header row"}},
		{"blank lines only", "\n\r\n\n", CSVOptions{}, []string{"the file is empty: no header row"}},
		{"BOM only", utf8BOM, CSVOptions{}, []string{"the file is empty: no header row"}},
		{"header only", "a,b,label\n", CSVOptions{}, []string{"the header has no rows below it"}},
		{"header and blank lines", "a,b,label\n\n\n", CSVOptions{}, []string{"the header has no rows below it"}},
		{"empty column name", "a,,label\n1,2,3\n", CSVOptions{}, []string{"line 1: column 2 of the header has no name"}},
		{"blank column name", "a,label,  \n1,2,3\n", CSVOptions{}, []string{"line 1: column 3 of the header has no name"}},
		{"header of one empty field", "\"\"\n1\n", CSVOptions{}, []string{"line 1: column 1 of the header has no name"}},
		{"newline in a name", "\"multi\nline\",label\n1,2\n", CSVOptions{}, []string{`line 1: the name of column 1, "multi\nline", holds a control character`}},
		{"CRLF in a name", "a,\"b\r\r\n\",label\n1,2,3\n", CSVOptions{}, []string{`line 1: the name of column 2, "b\r\n", holds a control character`}},
		{"tab in a name", "a\tb,label\n1,2\n", CSVOptions{}, []string{`"a\tb", holds a control character`}},
		{"NUL in a label", "a,\"label\x00\"\n1,2\n", CSVOptions{Label: "label\x00"}, []string{`"label\x00", holds a control character`}},
		{"duplicate names", "\n\na,b,label, a\n1,2,3,4\n", CSVOptions{}, []string{`line 3: columns 1 and 4 are both named "a"`}},
		{"no label column", "a,b,target\n1,2,3\n", CSVOptions{}, []string{`no column "label" for the target (--label); the columns are "a", "b", "target"`}},
		{"no custom label", "a,b,label\n1,2,3\n", CSVOptions{Label: "y"}, []string{`no column "y" for the target`, `the columns are "a", "b", "label"`}},
		{"label is case-sensitive", "a,Label\n1,2\n", CSVOptions{}, []string{`no column "label"`, `"a", "Label"`}},
		{"many columns listed", "c1,c2,c3,c4,c5,c6,c7,c8,c9,c10,c11,c12,c13,c14,c15,c16,c17,c18,c19,c20,c21,c22\n" + strings.Repeat("1,", 21) + "1\n",
			CSVOptions{}, []string{`"c19", "c20" and 2 more`}},
		{"label only", "label\n1\n2\n", CSVOptions{}, []string{`the only column is the target "label": no feature columns`}},
		{"not a number", "a,petal_width,label\n1,2,3\n\n4,5,6\n7,8,9\n\n7,abc,0\n", CSVOptions{}, []string{`line 7, column "petal_width": "abc" is not a number`}},
		{"bad target", "a,label\n1,2\n3,x1\n", CSVOptions{}, []string{`line 3, column "label": "x1" is not a number`}},
		{"missing value", "a,b,label\n1,,3\n", CSVOptions{}, []string{`line 2, column "b": the value is missing`}},
		{"blank value", "a,b,label\n1,2,\" \"\n", CSVOptions{}, []string{`line 2, column "label": the value is missing`}},
		{"CRLF line numbers", "a,b,label\r\n\r\n1,2,3\r\n1,2,z\r\n", CSVOptions{}, []string{`line 4, column "label": "z" is not a number`}},
		{"BOM line numbers", utf8BOM + "a,b,label\n1,2,3\n1,q,3\n", CSVOptions{}, []string{`line 3, column "b": "q" is not a number`}},
		{"multi-line quoted field", "a,b,label\n\"1\n2\",2,3\n4,y,6\n", CSVOptions{}, []string{`line 2, column "a": "1\n2" is not a number`}},
		{"line after a multi-line field", "x,label\n\"1\n\",2\n3,no\n", CSVOptions{}, []string{`line 4, column "label": "no" is not a number`}},
		{"misplaced digit separator", "a,label\n_1,1\n", CSVOptions{}, []string{`"_1" is not a number`}},
		{"comma decimal", "a,label\n\"1,5\",1\n", CSVOptions{}, []string{`"1,5" is not a number`}},
		{"long value cut", "a,label\n" + strings.Repeat("9", 50) + "x,1\n", CSVOptions{}, []string{`"` + strings.Repeat("9", 40) + `"… is not a number`}},
		{"nan", "a,label\nnan,1\n", CSVOptions{}, []string{`line 2, column "a": "nan" is not finite`}},
		{"NaN target", "a,label\n1,NaN\n", CSVOptions{}, []string{`line 2, column "label": "NaN" is not finite`}},
		{"inf", "a,label\ninf,1\n", CSVOptions{}, []string{`"inf" is not finite`}},
		{"-Inf", "a,label\n1,-Inf\n", CSVOptions{}, []string{`"-Inf" is not finite`}},
		{"+Infinity", "a,label\n+Infinity,1\n", CSVOptions{}, []string{`"+Infinity" is not finite`}},
		{"infinity", "a,label\n1,infinity\n", CSVOptions{}, []string{`"infinity" is not finite`}},
		{"feature overflows float32", "a,label\n1,2\n1e39,1\n", CSVOptions{}, []string{`line 3, column "a": "1e39" overflows float32`}},
		{"negative overflow", "a,label\n-3.5e38,1\n", CSVOptions{}, []string{`"-3.5e38" overflows float32`}},
		{"target overflows float64", "a,label\n1,1e309\n", CSVOptions{}, []string{`line 2, column "label": "1e309" overflows float64`}},
		{"hex float", "a,label\n0x1p-2,1\n", CSVOptions{}, []string{`line 2, column "a": "0x1p-2" is a hexadecimal number; only decimal numbers are accepted`}},
		{"negative hex target", "a,label\n1,-0X10\n", CSVOptions{}, []string{`"-0X10" is a hexadecimal number`}},
		{"ragged short", "a,b,c,label\n1,2,3,4\n\n1,2\n", CSVOptions{}, []string{`line 4, column "c": missing: the row has 2 fields, the header 4 columns`}},
		{"ragged long", "a,b,label\n1,2,3\n1,2,3,4,5\n", CSVOptions{}, []string{`line 3, field 4: the row has 5 fields, the header only 3 columns`}},
		{"truncated mid-field", "a,b,label\n1,2,3\n4,5", CSVOptions{}, []string{`line 3, column "label": missing: the row has 2 fields, the header 3 columns`}},
		{"truncated mid-number", "a,b,label\n1,2,3\n4,5,6e", CSVOptions{}, []string{`line 3, column "label": "6e" is not a number`}},
		{"truncated in quotes", "a,b,label\n1,2,3\n4,5,\"6", CSVOptions{}, []string{`line 3, byte 7: extraneous or missing " in quoted-field`}},
		{"bare quote", "a,b,label\n1,2\"x,3\n", CSVOptions{}, []string{`line 2, byte 4: bare " in non-quoted-field`}},
		{"quote in header", "a,b\"\",label\n", CSVOptions{}, []string{`line 1, byte 4: bare " in non-quoted-field`}},
	}
}

// Every refusal wraps ErrBadTable and names the file, the line (as the file
// numbers them: header and blank lines count) and the column.
func TestReadCSVRefusals(t *testing.T) {
	for _, tc := range csvBadCases() {
		t.Run(tc.name, func(t *testing.T) {
			path := writeTemp(t, "train.csv", tc.content)
			_, err := ReadCSV(path, tc.opts)
			require.Error(t, err)
			assert.ErrorIs(t, err, ErrBadTable)
			msg := err.Error()
			assert.True(t, strings.HasPrefix(msg, path+": bad data file: "), msg)
			for _, w := range tc.want {
				assert.Contains(t, msg, w)
			}
		})
	}
}

func TestReadCSVMaxValues(t *testing.T) {
	defer func(old int) { csvMaxValues = old }(csvMaxValues)
	csvMaxValues = 6
	content := "a,b,label\n1,2,0\n\n3,4,0\n5,6,0\n"
	tb, err := DecodeCSV(strings.NewReader(content), "t.csv", CSVOptions{})
	require.NoError(t, err, "3 rows of 2 features is the limit")
	assert.Equal(t, 3, tb.N)
	_, err = DecodeCSV(strings.NewReader(content+"7,8,0\n"), "t.csv", CSVOptions{})
	require.ErrorIs(t, err, ErrBadTable)
	assert.Contains(t, err.Error(), "t.csv: bad data file: line 6: more than 3 rows of 2 features, over the limit of 6 values (MaxTableValues)")
	assert.Equal(t, MaxTableValues, 1<<30, "the real limit")
}

// A record of more than MaxCSVColumns fields is refused while it is read;
// commas inside quotes do not count, and fields after a quoted newline do.
func TestReadCSVMaxColumns(t *testing.T) {
	defer func(old int) { csvMaxColumns = old }(csvMaxColumns)
	csvMaxColumns = 4
	for _, tc := range []struct{ name, content, want string }{
		{"header", "a,b,c,d,label\n1,2,3,4,5\n", "line 1: more than 4 fields in a record (MaxCSVColumns)"},
		{"row", "a,b,label\n1,2,3\n\n1,2,3,4,5,6\n", "line 4: more than 4 fields in a record (MaxCSVColumns)"},
		{"after a quoted newline", "a,b,label\n1,\"2\n\",3,4,5\n", "line 3: more than 4 fields in a record (MaxCSVColumns)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeCSV(strings.NewReader(tc.content), "t.csv", CSVOptions{})
			require.ErrorIs(t, err, ErrBadTable)
			assert.Equal(t, "t.csv: bad data file: "+tc.want, err.Error())
		})
	}
	tb, err := DecodeCSV(strings.NewReader("\"a,b\",\"c\"\"\",\"d,,e\",label\n\"1\n\",2,3,4\n\"1,\",2,3,4\n1,2,3,4"), "t.csv", CSVOptions{})
	require.Error(t, err, "\"1,\" is no number, but the comma in it is no field")
	assert.Contains(t, err.Error(), `line 4, column "a,b": "1," is not a number`)
	tb, err = DecodeCSV(strings.NewReader("\"a,b\",\"c\"\"\",\"d,,e\",label\n1,2,3,4\n1,\"2\",3,4"), "t.csv", CSVOptions{})
	require.NoError(t, err, "4 fields is the limit; quoted commas and quotes are not fields")
	assert.Equal(t, []string{"a,b", `c"`, "d,,e"}, tb.FeatureNames)
	assert.Equal(t, 1<<20, MaxCSVColumns, "the real limit")
}

func TestReadCSVMaxBytes(t *testing.T) {
	content := "a,label\n1,2\n"
	path := writeTemp(t, "t.csv", content)
	_, err := ReadCSV(path, CSVOptions{MaxBytes: int64(len(content))})
	require.NoError(t, err, "exactly the limit")
	_, err = ReadCSV(path, CSVOptions{MaxBytes: int64(len(content)) - 1})
	require.ErrorIs(t, err, inputfile.ErrTooLarge)
	assert.Contains(t, err.Error(), path)
	assert.Contains(t, err.Error(), "12 bytes, the limit is 11")

	// A stream is cut at the limit too.
	_, err = DecodeCSV(strings.NewReader(content), "s", CSVOptions{MaxBytes: 5})
	require.ErrorIs(t, err, inputfile.ErrTooLarge)
	assert.NotErrorIs(t, err, ErrBadTable)
	assert.Contains(t, err.Error(), "reading s: file too large: more than 5 bytes")
	_, err = DecodeCSV(strings.NewReader(content), "s", CSVOptions{MaxBytes: int64(len(content))})
	require.NoError(t, err)
	for limit := int64(1); limit < int64(len(content)); limit++ {
		_, err = DecodeCSV(strings.NewReader(content), "s", CSVOptions{MaxBytes: limit})
		require.ErrorIs(t, err, inputfile.ErrTooLarge, "limit %d", limit)
		_, err = DecodeCSV(iotest.OneByteReader(strings.NewReader(utf8BOM+content)), "s", CSVOptions{MaxBytes: limit})
		require.ErrorIs(t, err, inputfile.ErrTooLarge, "limit %d, with a BOM", limit)
	}
}

func TestReadCSVIOErrors(t *testing.T) {
	_, err := ReadCSV(filepath.Join(t.TempDir(), "missing.csv"), CSVOptions{})
	require.ErrorIs(t, err, os.ErrNotExist)
	assert.Contains(t, err.Error(), "missing.csv")

	boom := errors.New("boom")
	_, err = DecodeCSV(iotest.TimeoutReader(strings.NewReader("a,label\n1,2\n")), "s", CSVOptions{})
	require.ErrorIs(t, err, iotest.ErrTimeout)
	_, err = DecodeCSV(iotest.ErrReader(boom), "s", CSVOptions{})
	require.ErrorIs(t, err, boom)
	assert.NotErrorIs(t, err, ErrBadTable)
	assert.Equal(t, "reading s: boom", err.Error())
}

// A FIFO with no writer and /dev/zero are refused at once through
// inputfile, never read.
func TestReadCSVRefusesNonRegular(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fifo.csv")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	for _, tc := range []struct{ path, want string }{
		{fifo, "it is a FIFO"},
		{"/dev/zero", "it is a character device"},
		{t.TempDir(), "it is a folder"},
	} {
		t.Run(filepath.Base(tc.path), func(t *testing.T) {
			done := make(chan error, 1)
			go func() { _, err := ReadCSV(tc.path, CSVOptions{}); done <- err }()
			select {
			case err := <-done:
				require.ErrorIs(t, err, inputfile.ErrNotRegular)
				assert.Contains(t, err.Error(), tc.path)
				assert.Contains(t, err.Error(), tc.want)
			case <-time.After(10 * time.Second):
				t.Fatal("ReadCSV blocked")
			}
		})
	}
}
