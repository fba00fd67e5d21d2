package metrics_test

import (
	"fmt"

	"github.com/descent-ml/descent/metrics"
)

func ExampleClassificationReport() {
	yTrue := []int{0, 1, 2, 2, 2, 1, 0, 0}
	yPred := []int{0, 2, 2, 2, 1, 1, 0, 1}
	fmt.Print(metrics.ClassificationReport(yTrue, yPred, 2))
	// Output:
	//               precision    recall  f1-score   support
	//
	//            0       1.00      0.67      0.80         3
	//            1       0.33      0.50      0.40         2
	//            2       0.67      0.67      0.67         3
	//
	//     accuracy                           0.62         8
	//    macro avg       0.67      0.61      0.62         8
	// weighted avg       0.71      0.62      0.65         8
}

// A class that is never predicted gets precision 0 and a warning, as with
// scikit-learn's default zero_division="warn"; the scores are also there as
// numbers.
func ExampleNewReport() {
	yTrue := []int{0, 1, 1, 2}
	yPred := []int{0, 1, 1, 1}
	r, err := metrics.NewReport(yTrue, yPred, metrics.ReportOptions{
		TargetNames: []string{"cat", "dog", "emu"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(r.Format(3))
	for _, c := range r.Classes {
		fmt.Printf("%s: precision %.4f recall %.4f support %d\n", c.Name, c.Precision, c.Recall, c.Support)
	}
	fmt.Println(r.Warnings)
	// Output:
	//               precision    recall  f1-score   support
	//
	//          cat      1.000     1.000     1.000         1
	//          dog      0.667     1.000     0.800         2
	//          emu      0.000     0.000     0.000         1
	//
	//     accuracy                          0.750         4
	//    macro avg      0.556     0.667     0.600         4
	// weighted avg      0.583     0.750     0.650         4
	// cat: precision 1.0000 recall 1.0000 support 1
	// dog: precision 0.6667 recall 1.0000 support 2
	// emu: precision 0.0000 recall 0.0000 support 1
	// [Precision and F-score are ill-defined and being set to 0.0 in labels with no predicted samples. Use `zero_division` parameter to control this behavior.]
}

func ExampleConfusionMatrix() {
	m, err := metrics.ConfusionMatrix([]int{0, 1, 2, 2}, []int{0, 2, 2, 1}, 3)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, row := range m {
		fmt.Println(row)
	}
	// Output:
	// [1 0 0]
	// [0 0 1]
	// [0 1 1]
}
