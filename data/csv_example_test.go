package data_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/descent-ml/descent/data"
)

// ExampleReadCSV reads a small CSV file whose target column is "species".
func ExampleReadCSV() {
	dir, err := os.MkdirTemp("", "descent-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "train.csv")
	content := "sepal_length,species,petal_width\r\n5.1,0,0.2\r\n\r\n7.0,1,\"1.4\"\r\n"
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		fmt.Println(err)
		return
	}
	t, err := data.ReadCSV(path, data.CSVOptions{Label: "species"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("features:", t.FeatureNames, "target:", t.TargetName)
	fmt.Println("samples:", t.N, "of", t.F, "features")
	fmt.Println("X:", t.X)
	fmt.Println("Y:", t.Y)
	// Output:
	// features: [sepal_length petal_width] target: species
	// samples: 2 of 2 features
	// X: [5.1 0.2 7 1.4]
	// Y: [0 1]
}

// ExampleDecodeCSV shows a refusal: it names the input, the line and the
// column, and wraps data.ErrBadTable.
func ExampleDecodeCSV() {
	content := "x,petal_width,label\n1,0.2,0\n\n2,abc,1\n"
	_, err := data.DecodeCSV(strings.NewReader(content), "train.csv", data.CSVOptions{})
	fmt.Println(err)
	fmt.Println(errors.Is(err, data.ErrBadTable))
	// Output:
	// train.csv: bad data file: line 4, column "petal_width": "abc" is not a number
	// true
}
