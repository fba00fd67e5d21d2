package data_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/descent-ml/descent/data"
)

// A CSV converted once with CSVCache is streamed: the features stay on
// disk and are read a batch at a time, only the targets are in memory.
func ExampleCSVCache() {
	dir, err := os.MkdirTemp("", "descent-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	csvPath := filepath.Join(dir, "train.csv")
	if err := os.WriteFile(csvPath, []byte("a,b,label\n1,2,0\n3,4,1\n5,6,0\n"), 0o644); err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	xPath, yPath, err := data.CSVCache(ctx, csvPath, data.CSVOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	y, err := data.ReadNPYTargets(yPath)
	if err != nil {
		fmt.Println(err)
		return
	}
	x, err := data.OpenNPYMatrix(xPath)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer x.Close()
	batch := []int{2, 0}
	dst := make([]float32, len(batch)*x.Cols())
	if err := x.ReadRows(ctx, batch, dst); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(x.Rows(), x.Cols(), y, dst)
	// Output:
	// 3 2 [0 1 0] [5 6 1 2]
}

// NPYWriter writes a .npy file of a fixed shape a row at a time.
func ExampleNPYWriter() {
	f, err := os.CreateTemp("", "x-*.npy")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.Remove(f.Name())
	w, err := data.NewNPYWriter(f, "<f4", 2, 3)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, row := range [][]float32{{1, 2, 3}, {4, 5, 6}} {
		if err := w.WriteFloat32(row); err != nil {
			fmt.Println(err)
			return
		}
	}
	if err := w.Close(); err != nil {
		fmt.Println(err)
		return
	}
	if err := f.Close(); err != nil {
		fmt.Println(err)
		return
	}
	m, err := data.OpenNPYMatrix(f.Name())
	if err != nil {
		fmt.Println(err)
		return
	}
	defer m.Close()
	fmt.Println(m.Rows(), m.Cols())
	// Output:
	// 2 3
}
