package data_test

import (
	"fmt"

	"github.com/descent-ml/descent/data"
)

// ReadNPZ reads an .npz laid out like Keras's mnist.npz: x_train, y_train,
// x_test, y_test. Images of shape (N, 4, 4) become 16 features per sample.
func ExampleReadNPZ() {
	train, test, err := data.ReadNPZ("testdata/npy/mnist_like.npz")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("train: %d samples of %d features, first label %v\n", train.N, train.F, train.Y[0])
	fmt.Printf("test: %d samples of %d features\n", test.N, test.F)
	// Output:
	// train: 5 samples of 16 features, first label 8
	// test: 2 samples of 16 features
}

// ReadNPY reads features and targets from two .npy files; any float or
// integer dtype, either byte order, C or Fortran order.
func ExampleReadNPY() {
	t, err := data.ReadNPY("testdata/npy/x_fortran.npy", "testdata/npy/y_i2_be.npy")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(t.N, t.F, t.X[:4], t.Y)
	_, err = data.ReadNPY("testdata/npy/x_c8.npy", "testdata/npy/y_f8_le.npy")
	fmt.Println(err)
	// Output:
	// 3 4 [0 1 2 3] [0 1 2]
	// testdata/npy/x_c8.npy: bad data file: dtype '<c8' is not supported (complex); use a float, integer or bool dtype
}
