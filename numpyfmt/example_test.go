package numpyfmt_test

import (
	"fmt"

	"github.com/descent-ml/descent/numpyfmt"
)

// What print(np.array([...])) shows in Python, for float64 and float32.
func Example() {
	fmt.Println(numpyfmt.Format([]float64{0.5, 0.25, 1}))
	fmt.Println(numpyfmt.Format([]float64{1e-5, 1}))
	fmt.Println(numpyfmt.Format32([]float32{0.3, 0.1}))
	// Output:
	// [0.5  0.25 1.  ]
	// [1.e-05 1.e+00]
	// [0.3 0.1]
}
