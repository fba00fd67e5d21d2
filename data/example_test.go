package data_test

import (
	"bytes"
	"context"
	"fmt"

	"github.com/descent-ml/descent/data"
)

// ExampleReadIDX parses a tiny IDX stream holding two 2×3 images.
func ExampleReadIDX() {
	raw := []byte{
		0x00, 0x00, 0x08, 0x03, // magic: uint8 data, 3 dims
		0, 0, 0, 2, // 2 images
		0, 0, 0, 2, // of 2 rows
		0, 0, 0, 3, // of 3 columns
		0, 51, 102, 153, 204, 255, // image 0
		255, 0, 255, 0, 255, 0, // image 1
	}
	m, err := data.ReadIDX(bytes.NewReader(raw), "tiny")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("dims:", m.Dims)
	fmt.Println("image 0:", m.Data[:6])
	// Output:
	// dims: [2 2 3]
	// image 0: [0 51 102 153 204 255]
}

// ExampleDataset_Batch builds a Dataset from IDX arrays and reads a batch.
func ExampleDataset_Batch() {
	images := &data.IDX{Name: "images", Dims: []int{2, 1, 3}, Data: []byte{0, 51, 255, 255, 102, 0}}
	labels := &data.IDX{Name: "labels", Dims: []int{2}, Data: []byte{2, 0}}
	d, err := data.NewDataset("demo", images, labels, 3)
	if err != nil {
		fmt.Println(err)
		return
	}
	idx := []int{1, 0}
	x := make([]float32, len(idx)*d.Features())
	y := make([]float32, len(idx)*d.Classes())
	l := make([]int, len(idx))
	d.Batch(context.Background(), idx, x, y, l)
	fmt.Println("x:", x)
	fmt.Println("y:", y)
	fmt.Println("labels:", l)
	// Output:
	// x: [1 0.4 0 0 0.2 1]
	// y: [1 0 0 0 0 1]
	// labels: [0 2]
}

// ExampleNewDataset shows the error for labels that disagree with images.
func ExampleNewDataset() {
	images := &data.IDX{Name: "img.idx", Dims: []int{2, 4}, Data: make([]byte, 8)}
	labels := &data.IDX{Name: "lab.idx", Dims: []int{3}, Data: []byte{0, 1, 2}}
	_, err := data.NewDataset("demo", images, labels, 10)
	fmt.Println(err)
	// Output:
	// dataset demo: image and label counts differ: 2 images in img.idx but 3 labels in lab.idx
}
