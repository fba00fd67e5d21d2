package data

import (
	"bufio"
	"errors"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// splitGolden is one data/testdata/sklearn_split_*.txt file, written by
// scripts/golden/sklearn_split.py. A list of up to 100 indices is stored
// whole (key "train"); a longer one as its first and last 50 ("train_head",
// "train_tail").
type splitGolden struct {
	n             int
	testSize      float64
	seed          uint32
	nTrain, nTest int
	lists         map[string][]int
	path          string
}

func readSplitGolden(t *testing.T, path string) splitGolden {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()

	g := splitGolden{path: path, lists: map[string][]int{}}
	scalars := map[string]string{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		key, rest, _ := strings.Cut(line, " ")
		switch key {
		case "n", "test_size", "seed", "n_train", "n_test":
			scalars[key] = rest
		default:
			var xs []int
			for _, s := range strings.Fields(rest) {
				x, err := strconv.Atoi(s)
				require.NoError(t, err, "%s: %q", path, line)
				xs = append(xs, x)
			}
			g.lists[key] = xs
		}
	}
	require.NoError(t, sc.Err())

	atoi := func(k string) int {
		v, err := strconv.Atoi(scalars[k])
		require.NoError(t, err, "%s: %s", path, k)
		return v
	}
	g.n, g.nTrain, g.nTest = atoi("n"), atoi("n_train"), atoi("n_test")
	seed, err := strconv.ParseUint(scalars["seed"], 10, 32)
	require.NoError(t, err)
	g.seed = uint32(seed)
	g.testSize, err = strconv.ParseFloat(scalars["test_size"], 64)
	require.NoError(t, err)
	return g
}

// checkList compares got with the golden list name: whole, or head and tail.
func (g splitGolden) checkList(t *testing.T, name string, got []int) {
	t.Helper()
	if whole, ok := g.lists[name]; ok {
		assert.Equal(t, whole, got, name)
		return
	}
	head, okH := g.lists[name+"_head"]
	tail, okT := g.lists[name+"_tail"]
	require.True(t, okH && okT, "%s: no %s list", g.path, name)
	require.GreaterOrEqual(t, len(got), len(head)+len(tail))
	assert.Equal(t, head, got[:len(head)], name+" head")
	assert.Equal(t, tail, got[len(got)-len(tail):], name+" tail")
}

func TestTrainTestSplitGolden(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join("testdata", "sklearn_split_*_*_*.txt"))
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(paths), 4, "golden files missing; run scripts/golden/sklearn_split.py")
	for _, path := range paths {
		g := readSplitGolden(t, path)
		t.Run(filepath.Base(path), func(t *testing.T) {
			train, test, err := TrainTestSplit(g.n, g.testSize, g.seed)
			require.NoError(t, err)
			assert.Len(t, train, g.nTrain)
			assert.Len(t, test, g.nTest)
			g.checkList(t, "train", train)
			g.checkList(t, "test", test)

			// Together the two sets are a permutation of 0..n-1.
			all := append(append([]int{}, train...), test...)
			sort.Ints(all)
			for i, v := range all {
				if v != i {
					t.Fatalf("train+test is not a permutation of 0..%d (index %d holds %d)", g.n-1, i, v)
				}
			}
		})
	}
}

// TestTrainTestSplitKnown is the known answer from the brief, independent of
// the golden files.
func TestTrainTestSplitKnown(t *testing.T) {
	train, test, err := TrainTestSplit(60000, 0.1, 42)
	require.NoError(t, err)
	assert.Len(t, train, 54000)
	assert.Len(t, test, 6000)
	assert.Equal(t, []int{12628, 37730, 39991, 8525, 8279}, test[:5])
	assert.Equal(t, []int{50404, 26810, 19681, 7616, 20363}, train[:5])
}

func TestTrainTestSplitIndependentSlices(t *testing.T) {
	train, test, err := TrainTestSplit(10, 0.3, 0)
	require.NoError(t, err)
	train0 := append([]int{}, train...)
	_ = append(test, -1, -1, -1)
	assert.Equal(t, train0, train, "appending to test must not clobber train")
	assert.Equal(t, len(test), cap(test))
	assert.Equal(t, len(train), cap(train))
}

func TestTrainTestSplitErrors(t *testing.T) {
	// Messages scikit-learn raised, from scripts/golden/sklearn_split.py.
	path := filepath.Join("testdata", "sklearn_split_errors.txt")
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	cases := 0
	for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		if strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.SplitN(line, "\t", 3)
		require.Len(t, f, 3, line)
		n, err := strconv.Atoi(f[0])
		require.NoError(t, err)
		ts, err := strconv.ParseFloat(f[1], 64)
		require.NoError(t, err)

		train, test, err := TrainTestSplit(n, ts, 0)
		require.Error(t, err, line)
		assert.True(t, errors.Is(err, ErrInvalidSplit))
		assert.Equal(t, ErrInvalidSplit.Error()+": "+f[2], err.Error())
		assert.Nil(t, train)
		assert.Nil(t, test)
		cases++
	}
	assert.GreaterOrEqual(t, cases, 5)

	// Inputs scikit-learn rejects differently, or cannot receive.
	for _, c := range []struct {
		n  int
		ts float64
	}{{-1, 0.5}, {10, math.NaN()}, {10, math.Inf(1)}, {10, math.Inf(-1)}} {
		_, _, err := TrainTestSplit(c.n, c.ts, 0)
		assert.ErrorIs(t, err, ErrInvalidSplit, "n=%d test_size=%v", c.n, c.ts)
	}
}

func TestPyFloat(t *testing.T) {
	for _, c := range []struct {
		f    float64
		want string
	}{
		{0.1, "0.1"}, {1, "1.0"}, {-0.5, "-0.5"}, {1e-5, "1e-05"}, {1e20, "1e+20"},
		{123456, "123456.0"}, {0, "0.0"}, {math.NaN(), "nan"}, {math.Inf(1), "inf"}, {math.Inf(-1), "-inf"},
	} {
		assert.Equal(t, c.want, pyFloat(c.f), "%v", c.f)
	}
}
