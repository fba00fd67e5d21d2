package data

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
)

// Errors returned (wrapped, with details) when a Dataset is built or checked.
var (
	// ErrCountMismatch means the image and label files disagree on the
	// number of samples.
	ErrCountMismatch = errors.New("image and label counts differ")
	// ErrLabelRange means a label is not below the number of classes.
	ErrLabelRange = errors.New("label out of range")
	// ErrShape means the IDX dimensions or the Dataset fields do not describe
	// a valid data set.
	ErrShape = errors.New("bad data set shape")
)

// maxClasses is the most classes a uint8 label can address.
const maxClasses = 256

// Dataset is an in-memory labelled image data set. Images are kept as uint8,
// row-major, NumFeatures bytes per sample; Batch converts the requested
// samples to float32 in [0, 1]. Dataset implements Source.
type Dataset struct {
	// Name identifies the data set in error messages and logs.
	Name string
	// Images holds N×NumFeatures pixels, row-major.
	Images []uint8
	// Labels holds N class labels, each below NumClasses.
	Labels []uint8
	// N is the number of samples.
	N int
	// NumFeatures is the number of pixels in one sample (784 for MNIST).
	NumFeatures int
	// NumClasses is the number of classes (10 for MNIST).
	NumClasses int
}

// Dataset is a Source.
var _ Source = (*Dataset)(nil)

// NewDataset builds a Dataset from an image IDX of dims (N, rows, cols) or
// (N, features) and a label IDX of dims (N). It checks that the counts agree
// and that every label is below numClasses. The Dataset shares the Data
// slices of images and labels; it does not copy them.
func NewDataset(name string, images, labels *IDX, numClasses int) (*Dataset, error) {
	if images == nil || labels == nil {
		return nil, fmt.Errorf("dataset %s: %w: images or labels missing", name, ErrShape)
	}
	n, features, err := imageShape(images)
	if err != nil {
		return nil, fmt.Errorf("dataset %s: %w", name, err)
	}
	if len(labels.Dims) != 1 {
		return nil, fmt.Errorf("dataset %s: %w: labels %s have dims %v, want (N)",
			name, ErrShape, labels.Name, labels.Dims)
	}
	if labels.Dims[0] != n {
		return nil, fmt.Errorf("dataset %s: %w: %d images in %s but %d labels in %s",
			name, ErrCountMismatch, n, images.Name, labels.Dims[0], labels.Name)
	}
	d := &Dataset{
		Name:        name,
		Images:      images.Data,
		Labels:      labels.Data,
		N:           n,
		NumFeatures: features,
		NumClasses:  numClasses,
	}
	if err := d.Validate(); err != nil {
		return nil, err
	}
	return d, nil
}

// imageShape returns the sample count and features of an image IDX.
func imageShape(images *IDX) (n, features int, err error) {
	switch len(images.Dims) {
	case 2:
		n, features = images.Dims[0], images.Dims[1]
	case 3:
		n, features = images.Dims[0], images.Dims[1]*images.Dims[2]
	default:
		return 0, 0, fmt.Errorf("%w: images %s have dims %v, want (N, rows, cols) or (N, features)",
			ErrShape, images.Name, images.Dims)
	}
	if features <= 0 {
		return 0, 0, fmt.Errorf("%w: images %s have dims %v, which is zero features",
			ErrShape, images.Name, images.Dims)
	}
	return n, features, nil
}

// Validate checks that the fields are consistent: the slice lengths match
// N and NumFeatures, NumClasses is 1 to 256, and every label is below
// NumClasses. The error for a bad label names the first bad index and value.
func (d *Dataset) Validate() error {
	switch {
	case d.N < 0 || d.NumFeatures <= 0 || (d.N > 0 && d.NumFeatures > math.MaxInt/d.N):
		return fmt.Errorf("dataset %s: %w: N=%d, NumFeatures=%d", d.Name, ErrShape, d.N, d.NumFeatures)
	case d.NumClasses < 1 || d.NumClasses > maxClasses:
		return fmt.Errorf("dataset %s: %w: NumClasses=%d, want 1 to %d", d.Name, ErrShape, d.NumClasses, maxClasses)
	case len(d.Images) != d.N*d.NumFeatures:
		return fmt.Errorf("dataset %s: %w: %d image bytes, want N×NumFeatures = %d×%d",
			d.Name, ErrShape, len(d.Images), d.N, d.NumFeatures)
	case len(d.Labels) != d.N:
		return fmt.Errorf("dataset %s: %w: %d labels, want N = %d", d.Name, ErrCountMismatch, len(d.Labels), d.N)
	}
	for i, l := range d.Labels {
		if int(l) >= d.NumClasses {
			return fmt.Errorf("dataset %s: %w: label %d at index %d, want below %d",
				d.Name, ErrLabelRange, l, i, d.NumClasses)
		}
	}
	return nil
}

// Len returns the number of samples.
func (d *Dataset) Len() int { return d.N }

// Features returns the number of pixels in one sample.
func (d *Dataset) Features() int { return d.NumFeatures }

// Targets returns the length of a one-hot target: the number of classes.
func (d *Dataset) Targets() int { return d.NumClasses }

// Classes returns the number of classes.
func (d *Dataset) Classes() int { return d.NumClasses }

// Batch writes samples idx into x as float32(pixel)/255, row-major
// (len(idx), Features); their one-hot targets into y (len(idx), Classes);
// and their labels into labels. The buffers may be longer than needed: only
// their first len(idx) rows are written. It allocates nothing and never
// fails for in-range indices and long enough buffers; ctx is not consulted
// (a batch takes microseconds).
func (d *Dataset) Batch(_ context.Context, idx []int, x, y []float32, labels []int) error {
	f, c := d.NumFeatures, d.NumClasses
	if err := checkBuffers(len(idx), x, y, labels, f, c, true); err != nil {
		return fmt.Errorf("dataset %s: %w", d.Name, err)
	}
	// A shuffled batch's rows are scattered over the data set, mostly
	// outside the caches: while converting row i, ask for row i+ahead
	// (4: 17–21 µs per 128-row shuffled MNIST batch against 28–40 µs
	// without, 23 µs with 2, 19–24 µs with 8; BenchmarkGatherShuffled).
	const ahead = 4
	for _, k := range idx[:min(ahead, len(idx))] {
		if k >= 0 && k < d.N {
			prefetchRow(d.Images[k*f : (k+1)*f])
		}
	}
	for i, j := range idx {
		if j < 0 || j >= d.N {
			return fmt.Errorf("dataset %s: batch index %d out of range [0, %d)", d.Name, j, d.N)
		}
		if i+ahead < len(idx) {
			if k := idx[i+ahead]; k >= 0 && k < d.N {
				prefetchRow(d.Images[k*f : (k+1)*f])
			}
		}
		scaleRow(x[i*f:(i+1)*f], d.Images[j*f:(j+1)*f])
		oneHot(y[i*c:(i+1)*c], d.Labels[j])
		labels[i] = int(d.Labels[j])
	}
	return nil
}

// scaleRowGeneric writes pixels scaled to [0, 1], float32(p)/255, into dst:
// the portable loop, and the reference the vector kernel (scale_amd64.s) is
// tested against.
func scaleRowGeneric(dst []float32, pixels []uint8) {
	dst = dst[:len(pixels)]
	for k, p := range pixels {
		dst[k] = pixelScale[p]
	}
}

// pixelScale[p] is float32(p)/255, the same value the division gives, looked
// up instead of divided: a float division per pixel was the larger part of
// the batch conversion. Computed once, never written after.
var pixelScale = func() (t [256]float32) {
	for p := range t {
		t[p] = float32(p) / 255
	}
	return t
}()

// oneHot writes a one-hot vector for label into dst.
func oneHot(dst []float32, label uint8) {
	clear(dst)
	dst[label] = 1
}

// Subset returns a new Dataset holding copies of the samples idx, in idx
// order (an index may repeat). It panics if an index is out of [0, Len).
func (d *Dataset) Subset(idx []int) *Dataset {
	f := d.NumFeatures
	s := &Dataset{
		Name:        d.Name,
		Images:      make([]uint8, len(idx)*f),
		Labels:      make([]uint8, len(idx)),
		N:           len(idx),
		NumFeatures: f,
		NumClasses:  d.NumClasses,
	}
	for i, j := range idx {
		if j < 0 || j >= d.N {
			panic(fmt.Sprintf("data: Subset: index %d out of range [0, %d)", j, d.N))
		}
		copy(s.Images[i*f:(i+1)*f], d.Images[j*f:(j+1)*f])
		s.Labels[i] = d.Labels[j]
	}
	return s
}

// SplitInPlace divides d into two Datasets holding the samples a and b, in
// that order, as d.Subset(a) and d.Subset(b) would, without copying the
// images: it reorders d's samples in place (a first, then b) and returns
// its first len(a) and its last len(b) samples, which share d's memory. a
// and b together must name every sample of d exactly once, as the two
// parts of TrainTestSplit do; otherwise it returns an error and leaves d
// as it was. Afterwards d holds the reordered samples: use only the two
// parts. It allocates one sample and a flag per sample, where Subset
// would hold a second copy of every image.
func (d *Dataset) SplitInPlace(a, b []int) (first, second *Dataset, err error) {
	if len(a)+len(b) != d.N {
		return nil, nil, fmt.Errorf("dataset %s: split of %d + %d samples, want the %d of the data set", d.Name, len(a), len(b), d.N)
	}
	// perm[p] is the sample that ends at position p.
	perm := slices.Concat(a, b)
	done := make([]bool, d.N) // first "seen in perm", then "moved"
	for _, j := range perm {
		if j < 0 || j >= d.N || done[j] {
			return nil, nil, fmt.Errorf("dataset %s: split index %d out of range [0, %d) or repeated", d.Name, j, d.N)
		}
		done[j] = true
	}
	clear(done)
	f := d.NumFeatures
	row := func(i int) []uint8 { return d.Images[i*f : (i+1)*f] }
	tmp := make([]uint8, f)
	for s := range perm {
		if done[s] {
			continue
		}
		// Follow the cycle through s: each position takes its source's
		// sample, the last one the sample s held first.
		copy(tmp, row(s))
		label := d.Labels[s]
		p := s
		for {
			done[p] = true
			q := perm[p]
			if q == s {
				copy(row(p), tmp)
				d.Labels[p] = label
				break
			}
			copy(row(p), row(q))
			d.Labels[p] = d.Labels[q]
			p = q
		}
	}
	na := len(a)
	part := func(lo, hi int) *Dataset {
		return &Dataset{Name: d.Name, Images: d.Images[lo*f : hi*f : hi*f], Labels: d.Labels[lo:hi:hi],
			N: hi - lo, NumFeatures: f, NumClasses: d.NumClasses}
	}
	return part(0, na), part(na, d.N), nil
}
