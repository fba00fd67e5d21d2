package data

// Source is a labelled data set that the training loop reads in batches.
//
// Samples are stored however the Source likes (package data keeps images as
// uint8); Batch converts the selected samples to float32 on demand, so no
// float copy of the whole set is ever made.
type Source interface {
	// Len is the number of samples.
	Len() int
	// Features is the length of one input vector.
	Features() int
	// Classes is the number of classes (the length of a one-hot target).
	Classes() int
	// Batch writes the samples idx into x ((len(idx), Features) row-major,
	// float32) and their one-hot targets into y ((len(idx), Classes)), and
	// their integer labels into labels (len(idx)). It allocates nothing.
	Batch(idx []int, x, y []float32, labels []int)
}
