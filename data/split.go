package data

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// ErrInvalidSplit is wrapped by every error TrainTestSplit returns.
var ErrInvalidSplit = errors.New("data: invalid train/test split")

// TrainTestSplit splits the indices 0..n-1 into a shuffled train and test
// set exactly as scikit-learn's
//
//	train_test_split(range(n), test_size=testSize, random_state=seed)
//
// does, returning the same indices in the same order. scikit-learn's
// ShuffleSplit draws numpy.random.RandomState(seed).permutation(n) (see
// MT19937.Permutation); test is its first nTest entries and train the next
// nTrain, where nTest = ceil(testSize*n) and nTrain = n - nTest.
//
// testSize must be a fraction in the open interval (0, 1), and the split
// must leave at least one training sample; otherwise TrainTestSplit returns
// an error wrapping ErrInvalidSplit whose text follows scikit-learn's
// ValueError (scikit-learn raises; TrainTestSplit never panics). scikit-learn's
// integer test_size (an absolute count) is not offered.
func TrainTestSplit(n int, testSize float64, seed uint32) (train, test []int, err error) {
	nTrain, nTest, err := splitSizes(n, testSize)
	if err != nil {
		return nil, nil, err
	}
	perm := NewMT19937(seed).Permutation(n)
	// Full slice expressions: appending to test must not overwrite train.
	return perm[nTest : nTest+nTrain : nTest+nTrain], perm[:nTest:nTest], nil
}

// splitSizes mirrors scikit-learn's _validate_shuffle_split for a float
// test_size and no train_size (and the checks ShuffleSplit then repeats on
// the resulting counts, which can then no longer fail).
func splitSizes(n int, testSize float64) (nTrain, nTest int, err error) {
	if n < 0 {
		return 0, 0, fmt.Errorf("%w: n_samples=%d must not be negative", ErrInvalidSplit, n)
	}
	// !(a && b) rather than a || b so that NaN is rejected here too (where
	// Python would get as far as ceil(nan) and raise a different error).
	if !(testSize > 0 && testSize < 1) {
		return 0, 0, fmt.Errorf("%w: test_size=%s should be either positive and smaller"+
			" than the number of samples %d or a float in the (0, 1) range",
			ErrInvalidSplit, pyFloat(testSize), n)
	}
	nTest = int(math.Ceil(testSize * float64(n)))
	nTrain = n - nTest
	if nTrain == 0 {
		return 0, 0, fmt.Errorf("%w: With n_samples=%d, test_size=%s and train_size=None, the"+
			" resulting train set will be empty. Adjust any of the aforementioned parameters.",
			ErrInvalidSplit, n, pyFloat(testSize))
	}
	return nTrain, nTest, nil
}

// pyFloat formats f roughly as Python's repr does (0.1, 1.0, 1e-05, nan),
// so that error texts read like scikit-learn's.
func pyFloat(f float64) string {
	switch {
	case math.IsNaN(f):
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	if a := math.Abs(f); a != 0 && (a < 1e-4 || a >= 1e16) {
		return strconv.FormatFloat(f, 'e', -1, 64) // 1e-05, 1e+16 as in Python
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}
