package data_test

import (
	"fmt"

	"github.com/descent-ml/descent/data"
)

// The same split as scikit-learn's
// train_test_split(range(60000), test_size=0.1, random_state=42).
func ExampleTrainTestSplit() {
	train, test, err := data.TrainTestSplit(60000, 0.1, 42)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(train), len(test))
	fmt.Println(test[:5])
	fmt.Println(train[:5])

	_, _, err = data.TrainTestSplit(1, 0.5, 42)
	fmt.Println(err)
	// Output:
	// 54000 6000
	// [12628 37730 39991 8525 8279]
	// [50404 26810 19681 7616 20363]
	// data: invalid train/test split: With n_samples=1, test_size=0.5 and train_size=None, the resulting train set will be empty. Adjust any of the aforementioned parameters.
}

// An MT19937 can be saved mid-stream and resumed bit-exactly.
func ExampleMT19937_MarshalBinary() {
	rng := data.NewMT19937(42)
	fmt.Println(rng.Uint32())

	saved, _ := rng.MarshalBinary()
	fmt.Println(rng.Uint32(), rng.Float64())

	var resumed data.MT19937
	if err := resumed.UnmarshalBinary(saved); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(resumed.Uint32(), resumed.Float64())
	// Output:
	// 1608637542
	// 3421126067 0.9507143064099162
	// 3421126067 0.9507143064099162
}
