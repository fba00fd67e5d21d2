package predict

// Buckets returns the batch sizes a Predictor plans for with at most
// maxBatch rows: 1, 2, 3, 4, 6, 8, 12, 16, 24, … (powers of two and the
// midpoints 1.5·2ᵏ), then maxBatch itself. A request of r rows runs on the
// smallest bucket ≥ r, so padding wastes at most a third of a forward pass
// (r = 2ᵏ+1 on a bucket of 1.5·2ᵏ, for r above 4).
func Buckets(maxBatch int) []int {
	var out []int
	for p := 1; p < maxBatch; p *= 2 {
		out = append(out, p)
		if mid := p + p/2; p >= 2 && mid < maxBatch {
			out = append(out, mid)
		}
	}
	return append(out, maxBatch)
}

// bucketFor returns the smallest of the sorted buckets that holds r rows,
// or r when buckets is nil (an engine that runs any batch size).
func bucketFor(buckets []int, r int) int {
	for _, b := range buckets {
		if b >= r {
			return b
		}
	}
	return r
}
