package metrics

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestConfusionMatrix(t *testing.T) {
	// sklearn.metrics.confusion_matrix([2, 0, 2, 2, 0, 1], [0, 0, 2, 2, 0, 2])
	m, err := ConfusionMatrix([]int{2, 0, 2, 2, 0, 1}, []int{0, 0, 2, 2, 0, 2}, 3)
	require.NoError(t, err)
	assert.Equal(t, [][]int{{2, 0, 0}, {0, 0, 1}, {1, 0, 2}}, m)

	// Classes beyond those present get zero rows and columns.
	m, err = ConfusionMatrix([]int{0, 1}, []int{1, 1}, 4)
	require.NoError(t, err)
	assert.Equal(t, [][]int{{0, 1, 0, 0}, {0, 1, 0, 0}, {0, 0, 0, 0}, {0, 0, 0, 0}}, m)

	// Rows are independent: appending to one must not spill into the next.
	m[0] = append(m[0], 99)
	assert.Equal(t, []int{0, 1, 0, 0}, m[1])

	m, err = ConfusionMatrix(nil, nil, 0)
	require.NoError(t, err)
	assert.Empty(t, m)
}

func TestConfusionMatrixErrors(t *testing.T) {
	for name, c := range map[string]struct {
		yTrue, yPred []int
		k            int
	}{
		"length":        {[]int{0, 1}, []int{0}, 2},
		"negative k":    {nil, nil, -1},
		"true too big":  {[]int{0, 2}, []int{0, 1}, 2},
		"true negative": {[]int{-1}, []int{0}, 2},
		"pred too big":  {[]int{0, 1}, []int{0, 2}, 2},
		"pred negative": {[]int{0}, []int{-1}, 2},
	} {
		m, err := ConfusionMatrix(c.yTrue, c.yPred, c.k)
		assert.Error(t, err, name)
		assert.Nil(t, m, name)
	}
}

// The confusion matrix and the report agree: row sums are the supports, the
// diagonal over the row sum is the recall, over the column sum the precision.
func TestConfusionMatrixMatchesReport(t *testing.T) {
	c := readGolden(t, filepath.Join("testdata", "random10_d2.golden"))[0]
	m, err := ConfusionMatrix(c.yTrue, c.yPred, 10)
	require.NoError(t, err)
	r, err := NewReport(c.yTrue, c.yPred, ReportOptions{})
	require.NoError(t, err)
	require.Len(t, r.Classes, 10)
	for i, cl := range r.Classes {
		row, col := 0, 0
		for j := range m {
			row += m[i][j]
			col += m[j][i]
		}
		assert.Equal(t, cl.Support, row)
		assert.Equal(t, cl.Recall, float64(m[i][i])/float64(row))
		assert.Equal(t, cl.Precision, float64(m[i][i])/float64(col))
	}
}
