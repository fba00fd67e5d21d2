// Command reproduction prints the tables of docs/reproduction.md from the
// experiment folders that scripts/reproduction.sh writes: every run of
// descent sweep and descent compare found under the given root, grouped by
// optimizer, learning rate, batch size and epochs, averaged over seeds, and
// set against the figures the tutorial printed.
//
//	go run ./scripts/reproduction [-figure docs/figures/reproduction.png] runs/reproduction
//
// With -figure it also draws the tutorial's SGD and Momentum validation
// curves beside descent's at the stated learning rate and at 0.015 (seed 1).
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/descent-ml/descent/report"
)

// curve is what the tutorial printed for one run: the per-epoch training
// loss and accuracy (Keras's progress bar) and validation accuracy, and the
// test accuracy of its classification report (compare runs only).
type curve struct {
	loss, acc, val []float64
	test           float64
}

// The tutorial's figures (shared/seed/tutorial-optimizacion.md), as printed.
var sweepTutorial = map[float64]curve{
	100:   {loss: []float64{880.9357, 814.0910, 818.9393, 810.5908, 794.7347}, acc: []float64{0.1022, 0.0988, 0.0977, 0.1001, 0.0996}, val: []float64{0.0918, 0.0918, 0.1053, 0.0975, 0.0967}},
	1:     {loss: []float64{1.3595, 0.2992, 0.2184, 0.1663, 0.1418}, acc: []float64{0.5664, 0.9108, 0.9342, 0.9510, 0.9583}, val: []float64{0.9043, 0.9285, 0.9455, 0.9577, 0.9510}},
	0.1:   {loss: []float64{2.1669, 0.9670, 0.5470, 0.4329, 0.3773}, acc: []float64{0.2813, 0.7668, 0.8573, 0.8815, 0.8943}, val: []float64{0.6883, 0.8473, 0.8763, 0.8927, 0.9008}},
	0.001: {loss: []float64{2.4684, 2.3019, 2.2918, 2.2880, 2.2840}, acc: []float64{0.1067, 0.1142, 0.1145, 0.1159, 0.1148}, val: []float64{0.1105, 0.1092, 0.1103, 0.1097, 0.1177}},
}

var compareTutorial = map[string]curve{
	"sgd": {loss: []float64{2.3043, 2.1194, 1.9224, 1.6934, 1.4573, 1.2407, 1.0760, 0.9429, 0.8457, 0.7712},
		acc: []float64{0.1030, 0.3406, 0.5528, 0.6511, 0.6982, 0.7378, 0.7587, 0.7817, 0.7983, 0.8118},
		val: []float64{0.2640, 0.5155, 0.6297, 0.6805, 0.7158, 0.7492, 0.7707, 0.7878, 0.8012, 0.8137}, test: 0.8245},
	"momentum": {loss: []float64{1.8910, 0.6355, 0.4415, 0.3787, 0.3389, 0.3117, 0.2987, 0.2896, 0.2726, 0.2632},
		acc: []float64{0.4416, 0.8498, 0.8814, 0.8962, 0.9043, 0.9121, 0.9161, 0.9168, 0.9236, 0.9254},
		val: []float64{0.8352, 0.8778, 0.8958, 0.9043, 0.9120, 0.9163, 0.9202, 0.9232, 0.9257, 0.9285}, test: 0.9318},
	"rmsprop": {loss: []float64{0.5590, 0.1448, 0.0923, 0.0702, 0.0554, 0.0427, 0.0352, 0.0274, 0.0219, 0.0198},
		acc: []float64{0.8418, 0.9565, 0.9725, 0.9789, 0.9830, 0.9871, 0.9895, 0.9918, 0.9937, 0.9938},
		val: []float64{0.9522, 0.9637, 0.9742, 0.9748, 0.9752, 0.9777, 0.9792, 0.9770, 0.9792, 0.9820}, test: 0.9803},
	"adam": {loss: []float64{0.6298, 0.1555, 0.0978, 0.0752, 0.0587, 0.0431, 0.0354, 0.0291, 0.0213, 0.0204},
		acc: []float64{0.8171, 0.9535, 0.9706, 0.9765, 0.9826, 0.9878, 0.9895, 0.9909, 0.9941, 0.9941},
		val: []float64{0.9480, 0.9703, 0.9683, 0.9720, 0.9775, 0.9780, 0.9787, 0.9803, 0.9830, 0.9820}, test: 0.9775},
}

// netConfig is the part of a run's configuration the tables group by.
type netConfig struct {
	Optimizer string  `json:"optimizer"`
	LR        float64 `json:"lr"`
	Momentum  float64 `json:"momentum"`
	BatchSize int     `json:"batch_size"`
	Epochs    int     `json:"epochs"`
	Seed      uint64  `json:"seed"`
}

type key struct {
	opt    string
	lr     float64
	batch  int
	epochs int
}

type run struct {
	cfg netConfig
	r   *report.Run
}

func main() {
	figure := flag.String("figure", "", "also write the SGD/Momentum comparison figure to this PNG")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: go run ./scripts/reproduction [-figure PNG] ROOT (the folder scripts/reproduction.sh wrote)")
		os.Exit(2)
	}
	root := flag.Arg(0)
	groups := map[key][]run{}
	summaries, _ := filepath.Glob(filepath.Join(root, "*", report.SummaryFile))
	if len(summaries) == 0 {
		fmt.Fprintf(os.Stderr, "reproduction: no experiment folders under %s\n", root)
		os.Exit(1)
	}
	for _, s := range summaries {
		e, err := report.Load(filepath.Dir(s))
		if err != nil {
			fmt.Fprintln(os.Stderr, "reproduction:", err)
			os.Exit(1)
		}
		for _, r := range e.Runs {
			var c netConfig
			if err := json.Unmarshal(r.Config, &c); err != nil {
				fmt.Fprintln(os.Stderr, "reproduction:", r.Name, err)
				os.Exit(1)
			}
			k := key{c.Optimizer, c.LR, c.BatchSize, c.Epochs}
			groups[k] = append(groups[k], run{c, r})
		}
	}
	printSweep(groups)
	printCompare(groups)
	printFit(groups)
	if *figure != "" {
		if err := drawFigure(*figure, groups); err != nil {
			fmt.Fprintln(os.Stderr, "reproduction:", err)
			os.Exit(1)
		}
	}
}

// drawFigure draws the tutorial's SGD and Momentum validation accuracy and
// descent's seed-1 runs at lr 0.001 and 0.015.
func drawFigure(path string, groups map[key][]run) error {
	var runs []*report.Run
	for _, opt := range []string{"sgd", "momentum"} {
		name := map[string]string{"sgd": "SGD", "momentum": "Momentum"}[opt]
		runs = append(runs, &report.Run{Name: "tutorial " + name, Dir: "t",
			History: report.History{ValAccuracy: compareTutorial[opt].val}})
		for _, lr := range []float64{0.001, 0.015} {
			for _, r := range groups[key{opt, lr, 128, 10}] {
				if r.cfg.Seed == 1 {
					runs = append(runs, &report.Run{Name: fmt.Sprintf("descent %s lr %g", name, lr), Dir: "d", History: r.r.History})
				}
			}
		}
	}
	png, _, err := report.RenderFigure(runs, report.Figure{Name: "reproduction", Metric: "val_accuracy",
		Title: "SGD and Momentum: the tutorial vs descent", XLabel: "epoch", YLabel: "validation accuracy"})
	if err != nil {
		return err
	}
	return os.WriteFile(path, png, 0o644)
}

// stats formats the mean of f over runs, with the range when there are
// several.
func stats(runs []run, f func(run) float64) string {
	lo, hi, sum := math.Inf(1), math.Inf(-1), 0.0
	for _, r := range runs {
		v := f(r)
		lo, hi, sum = math.Min(lo, v), math.Max(hi, v), sum+v
	}
	if len(runs) == 1 {
		return fmt.Sprintf("%.4f", sum)
	}
	return fmt.Sprintf("%.4f (%.4f–%.4f)", sum/float64(len(runs)), lo, hi)
}

func at(s report.Series, i int) float64 {
	if i < 0 {
		i += len(s)
	}
	if i < 0 || i >= len(s) {
		return math.NaN()
	}
	return s[i]
}

func seeds(runs []run) string {
	var ss []string
	for _, r := range runs {
		ss = append(ss, fmt.Sprint(r.cfg.Seed))
	}
	sort.Strings(ss)
	return strings.Join(ss, ",")
}

func printSweep(groups map[key][]run) {
	fmt.Println("### Learning-rate sweep: SGD, batch 128, 5 epochs (the tutorial's settings)")
	fmt.Println()
	fmt.Println("| lr | seeds | val_accuracy, tutorial | val_accuracy, descent | accuracy, tutorial | accuracy, descent | loss, tutorial | loss, descent | test accuracy, descent |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|")
	for _, lr := range []float64{100, 1, 0.1, 0.001} {
		runs := groups[key{"sgd", lr, 128, 5}]
		t := sweepTutorial[lr]
		if len(runs) == 0 {
			continue
		}
		fmt.Printf("| %g | %s | %.4f | %s | %.4f | %s | %.4f | %s | %s |\n", lr, seeds(runs),
			t.val[4], stats(runs, func(r run) float64 { return at(r.r.History.ValAccuracy, -1) }),
			t.acc[4], stats(runs, func(r run) float64 { return at(r.r.History.Accuracy, -1) }),
			t.loss[4], stats(runs, func(r run) float64 { return at(r.r.History.Loss, -1) }),
			stats(runs, func(r run) float64 { return r.r.Test.Accuracy.Value() }))
	}
	fmt.Println()
}

func printCompare(groups map[key][]run) {
	fmt.Println("### Optimizer comparison: lr 0.001, batch 128, 10 epochs (the tutorial's stated settings)")
	fmt.Println()
	fmt.Println("| optimizer | seeds | val_accuracy, tutorial | val_accuracy, descent | test accuracy, tutorial | test accuracy, descent | loss, tutorial | loss, descent |")
	fmt.Println("|---|---|---|---|---|---|---|---|")
	for _, opt := range []string{"sgd", "momentum", "rmsprop", "adam"} {
		runs := groups[key{opt, 0.001, 128, 10}]
		t := compareTutorial[opt]
		if len(runs) == 0 {
			continue
		}
		fmt.Printf("| %s | %s | %.4f | %s | %.4f | %s | %.4f | %s |\n", opt, seeds(runs),
			t.val[9], stats(runs, func(r run) float64 { return at(r.r.History.ValAccuracy, -1) }),
			t.test, stats(runs, func(r run) float64 { return r.r.Test.Accuracy.Value() }),
			t.loss[9], stats(runs, func(r run) float64 { return at(r.r.History.Loss, -1) }))
	}
	fmt.Println()
}

// rmse is the root-mean-square difference between the tutorial's curve
// and the run's, over epochs [from, len(want)), reading the run from
// epoch offset on; with logs, of the logarithms.
func rmse(want []float64, got report.Series, from, offset int, logs bool) float64 {
	s, n := 0.0, 0
	for i := from; i < len(want); i++ {
		a, b := want[i], at(got, i+offset)
		if logs {
			a, b = math.Log(a), math.Log(b)
		}
		s += (a - b) * (a - b)
		n++
	}
	return math.Sqrt(s / float64(n))
}

func printFit(groups map[key][]run) {
	fmt.Println("### Which settings give the tutorial's comparison curves")
	fmt.Println()
	fmt.Println("RMSE against the tutorial's 10 printed epochs: of validation accuracy, and of log training loss over")
	fmt.Println("epochs 2–10 (Keras's epoch-1 training figures are averages of running averages). Mean over seeds.")
	fmt.Println("A 15-epoch run is read from epoch 6 on: SGD continuing the sweep's lr=0.001 network.")
	fmt.Println()
	fmt.Println("| optimizer | lr | batch | epochs read | seeds | val_accuracy ep. 1 | val_accuracy ep. 10 | test accuracy | RMSE val_accuracy | RMSE log loss |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|---|")
	var keys []key
	for k := range groups {
		if _, ok := compareTutorial[k.opt]; ok && (k.epochs == 10 || k.epochs == 15) {
			keys = append(keys, k)
		}
	}
	order := map[string]int{"sgd": 0, "momentum": 1, "rmsprop": 2, "adam": 3}
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		if a.opt != b.opt {
			return order[a.opt] < order[b.opt]
		}
		if a.batch != b.batch {
			return a.batch > b.batch
		}
		if a.epochs != b.epochs {
			return a.epochs < b.epochs
		}
		return a.lr < b.lr
	})
	for _, k := range keys {
		runs := groups[k]
		t := compareTutorial[k.opt]
		off := k.epochs - 10
		read := "1–10"
		if off > 0 {
			read = fmt.Sprintf("%d–%d", off+1, k.epochs)
		}
		fmt.Printf("| %s | %g | %d | %s | %s | %s | %s | %s | %s | %s |\n", k.opt, k.lr, k.batch, read, seeds(runs),
			stats(runs, func(r run) float64 { return at(r.r.History.ValAccuracy, off) }),
			stats(runs, func(r run) float64 { return at(r.r.History.ValAccuracy, -1) }),
			stats(runs, func(r run) float64 { return r.r.Test.Accuracy.Value() }),
			mean(runs, func(r run) float64 { return rmse(t.val, r.r.History.ValAccuracy, 0, off, false) }),
			mean(runs, func(r run) float64 { return rmse(t.loss, r.r.History.Loss, 1, off, true) }))
	}
	fmt.Println()
}

func mean(runs []run, f func(run) float64) string {
	s := 0.0
	for _, r := range runs {
		s += f(r)
	}
	return fmt.Sprintf("%.3f", s/float64(len(runs)))
}
