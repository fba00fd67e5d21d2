package metrics

import (
	"bufio"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// goldenCase is one "=== case" block of a testdata/*.golden file, written
// by scripts/golden/sklearn_report.py (its docstring describes the format).
type goldenCase struct {
	name          string
	digits        int
	labels        []int
	targetNames   []string
	yTrue, yPred  []int
	accuracyScore float64
	values        map[string][]float64 // output_dict: key -> p, r, f1, support (or one value)
	valueKeys     []string
	warnings      []string
	report        string
}

func parseInts(t *testing.T, s string) []int {
	t.Helper()
	var out []int
	for _, f := range strings.Fields(s) {
		v, err := strconv.Atoi(f)
		require.NoError(t, err, f)
		out = append(out, v)
	}
	return out
}

func parseFloat(t *testing.T, s string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(s, 64)
	require.NoError(t, err, s)
	return v
}

func readGolden(t *testing.T, path string) []goldenCase {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()

	var cases []goldenCase
	var c *goldenCase
	var report *strings.Builder
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<22)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case report != nil && line == "=== end":
			c.report = report.String()
			cases = append(cases, *c)
			c, report = nil, nil
		case report != nil:
			report.WriteString(line + "\n")
		case strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "=== case "):
			c = &goldenCase{name: strings.TrimPrefix(line, "=== case "), values: map[string][]float64{}}
		case line == "--- report":
			report = new(strings.Builder)
		default:
			require.NotNil(t, c, "%s: %q outside a case", path, line)
			key, rest, _ := strings.Cut(line, " ")
			switch key {
			case "digits":
				c.digits = parseInts(t, rest)[0]
			case "labels":
				c.labels = parseInts(t, rest)
			case "target_name":
				c.targetNames = append(c.targetNames, rest)
			case "y_true":
				c.yTrue = parseInts(t, rest)
			case "y_pred":
				c.yPred = parseInts(t, rest)
			case "accuracy_score":
				c.accuracyScore = parseFloat(t, rest)
			case "value":
				parts := strings.Split(rest, "\t")
				var vs []float64
				for _, p := range parts[1:] {
					vs = append(vs, parseFloat(t, p))
				}
				c.values[parts[0]] = vs
				c.valueKeys = append(c.valueKeys, parts[0])
			case "warning":
				c.warnings = append(c.warnings, rest)
			default:
				t.Fatalf("%s: unknown line %q", path, line)
			}
		}
	}
	require.NoError(t, sc.Err())
	require.Nil(t, c, "%s: unterminated case", path)
	return cases
}

func goldenFiles(t *testing.T) []string {
	paths, err := filepath.Glob(filepath.Join("testdata", "*.golden"))
	require.NoError(t, err)
	require.NotEmpty(t, paths, "golden files missing; run scripts/golden/sklearn_report.py")
	return paths
}

// TestReportGolden compares text, warnings and every float with
// scikit-learn's, exactly.
func TestReportGolden(t *testing.T) {
	total := 0
	for _, path := range goldenFiles(t) {
		for _, c := range readGolden(t, path) {
			total++
			t.Run(c.name, func(t *testing.T) {
				r, err := NewReport(c.yTrue, c.yPred, ReportOptions{Labels: c.labels, TargetNames: c.targetNames})
				require.NoError(t, err)
				assert.Equal(t, c.report, r.Format(c.digits))
				assert.Equal(t, c.warnings, r.Warnings)
				assert.Equal(t, c.accuracyScore, r.Accuracy)

				// output_dict: the classes in order, then the averages.
				require.Len(t, c.valueKeys, len(r.Classes)+3)
				for i, cl := range r.Classes {
					assert.Equal(t, c.valueKeys[i], cl.Name)
					assert.Equal(t, c.values[cl.Name], []float64{cl.Precision, cl.Recall, cl.F1, float64(cl.Support)}, cl.Name)
				}
				avg := func(a AverageScores) []float64 {
					return []float64{a.Precision, a.Recall, a.F1, float64(a.Support)}
				}
				if r.MicroIsAccuracy {
					assert.Equal(t, c.values["accuracy"], []float64{r.Micro.Precision})
				} else {
					assert.Equal(t, c.values["micro avg"], avg(r.Micro))
				}
				assert.Equal(t, c.values["macro avg"], avg(r.Macro))
				assert.Equal(t, c.values["weighted avg"], avg(r.Weighted))

				if c.labels == nil && c.targetNames == nil {
					assert.Equal(t, c.report, ClassificationReport(c.yTrue, c.yPred, c.digits))
				}
			})
		}
	}
	assert.GreaterOrEqual(t, total, 200)
}

func TestReportErrors(t *testing.T) {
	for name, c := range map[string]struct {
		yTrue, yPred []int
		opts         ReportOptions
	}{
		"length":        {[]int{1, 2}, []int{1}, ReportOptions{}},
		"empty":         {nil, nil, ReportOptions{}},
		"empty labels":  {[]int{1}, []int{1}, ReportOptions{Labels: []int{}}},
		"repeat labels": {[]int{1}, []int{1}, ReportOptions{Labels: []int{1, 2, 1}}},
		"names":         {[]int{1, 2}, []int{1, 2}, ReportOptions{TargetNames: []string{"a"}}},
		"names+labels":  {[]int{1, 2}, []int{1, 2}, ReportOptions{Labels: []int{1}, TargetNames: []string{"a", "b"}}},
	} {
		r, err := NewReport(c.yTrue, c.yPred, c.opts)
		assert.Error(t, err, name)
		assert.Nil(t, r, name)
	}

	// The convenience wrapper returns the error text instead.
	assert.Equal(t, "metrics: found input variables with inconsistent numbers of samples: [2, 1]",
		ClassificationReport([]int{1, 2}, []int{1}, 2))
	assert.Equal(t, "metrics: yTrue and yPred are empty", ClassificationReport(nil, nil, 2))
	assert.Equal(t, "metrics: digits -1 is negative", ClassificationReport([]int{1}, []int{1}, -1))
}

func TestReportZeroValueAndJSON(t *testing.T) {
	var zero Report
	assert.NotPanics(t, func() { _ = zero.String() })

	r, err := NewReport([]int{0, 1, 1, 2}, []int{0, 1, 2, 2}, ReportOptions{TargetNames: []string{"cat", "dog", "emu"}})
	require.NoError(t, err)
	assert.Equal(t, r.Format(2), r.String())
	assert.Equal(t, r.Format(0), r.Format(-3))
	b, err := json.Marshal(r)
	require.NoError(t, err)
	var back Report
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, *r, back)
	assert.Contains(t, string(b), `"name":"dog","precision":1,"recall":0.5`)
	assert.NotContains(t, string(b), "warnings", "no warnings: the field is omitted")
}

func TestPairwiseSum(t *testing.T) {
	// A straight left-to-right sum of these loses the small terms; numpy's
	// pairwise order (and so pairwiseSum) keeps some of them. Expected
	// values from numpy 1.24.2: np.array(a).sum().
	big := func(n int) []float64 {
		a := make([]float64, n)
		for i := range a {
			a[i] = 1e-16
		}
		a[0] = 1
		return a
	}
	assert.Equal(t, 1.0, pairwiseSum(big(7)))
	assert.Equal(t, 1.0000000000000007, pairwiseSum(big(10)))
	assert.Equal(t, 1.0000000000000122, pairwiseSum(big(130)))
	assert.Equal(t, 0.0, pairwiseSum(nil))
	assert.True(t, math.IsNaN(pairwiseSum([]float64{1, math.NaN()})))
}
