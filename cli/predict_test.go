package cli_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/csv"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/descent-ml/descent/backend/registry"
	"github.com/descent-ml/descent/cli"
	"github.com/descent-ml/descent/data"
	"github.com/descent-ml/descent/model"
	"github.com/descent-ml/descent/predict"
)

// Issue 9: descent predict writes, for every input row and in input order,
// what the model outputs for it, checked here against a forward pass
// computed independently in float64 from the model's parameters.

const (
	predFeatures = 5
	predRows     = 23 // with --batch-size 4: five full batches and one of 3
	predBatch    = "4"
)

// predTol bounds |descent's float32 output − the float64 reference|. With
// u = 2⁻²⁴ (float32's unit roundoff), the standardized features |x′| ≤ 3
// and a layer of n inputs and Glorot weights |w| ≤ √(6/(n+m)) < 1:
// preprocessing errs by ≤ 2u|x′|; a float32 dot product of n terms by
// ≤ (n+1)u·Σ|wᵢxᵢ| whatever the summation order (Higham, γₙ), so the hidden
// pre-activations (n = 5, Σ|wx| ≤ 5·3·0.82 ≈ 12) err by ≤ 7u·12 ≈ 5·10⁻⁶;
// ReLU and tanh pass that on at most unchanged; the output layer (n = 4,
// Σ|w| ≤ 4·0.93) multiplies it by ≤ 3.7 and adds its own ≤ 6u·3.7·12 ≈
// 1.6·10⁻⁵: ≤ 3.5·10⁻⁵ in the logits. Softmax and sigmoid change a
// probability by at most half the largest change of a logit, and exp32 errs
// by a few ulps (≤ 10⁻⁶ here). 5·10⁻⁵ covers all of it; the real errors are
// some 10⁻⁷, and any slip (a row out of order, preprocessing skipped or
// applied twice, a wrong weight) is off by 10⁻² or more.
const predTol = 5e-5

// predModel builds a 5 → 4 → out model of the given output activation,
// Glorot-initialised from a fixed seed, with per-feature standardization
// and the given labels, saves it in dir and returns it and its path.
func predModel(t *testing.T, dir string, hidden model.Activation, out int, act model.Activation, labels []string) (*model.Sequential, string) {
	t.Helper()
	m, err := model.NewSequential(predFeatures, model.Dense(4, hidden), model.Dense(out, act))
	require.NoError(t, err)
	m.Init(rand.New(rand.NewPCG(7, 9)))
	for i := range m.Params { // non-zero biases too, so that they are tested
		if m.Params[i] == 0 {
			m.Params[i] = 0.1 * float32(i%5-2)
		}
	}
	m.Preprocessing = model.Preprocessing{Kind: "standardize",
		Shift: []float32{10, -5, 0, 100, 2}, Divisor: []float32{2, 0.5, 1, 50, 4}}
	m.Labels = labels
	path := filepath.Join(dir, "m.descent")
	require.NoError(t, m.Save(path))
	return m, path
}

// predInputs returns predRows rows of raw features whose standardized
// values lie in [−3, 3], distinct from row to row, each exactly as a CSV
// prints it back.
func predInputs() []float32 {
	rng := rand.New(rand.NewPCG(3, 4))
	shift := []float64{10, -5, 0, 100, 2}
	div := []float64{2, 0.5, 1, 50, 4}
	x := make([]float32, predRows*predFeatures)
	for i := range x {
		j := i % predFeatures
		x[i] = float32(shift[j] + div[j]*(6*rng.Float64()-3))
	}
	return x
}

// reference is the forward pass of m on the raw rows x, in float64: the
// preprocessing, then each layer's x·W + b (W (in, out) row-major, the
// bias after it in Params) and activation.
func reference(t *testing.T, m *model.Sequential, x []float32, rows int) [][]float64 {
	t.Helper()
	out := make([][]float64, rows)
	layers := m.Layers()
	for r := range rows {
		in := make([]float64, m.Input())
		for j := range in {
			in[j] = (float64(x[r*m.Input()+j]) - float64(m.Preprocessing.Shift[j])) / float64(m.Preprocessing.Divisor[j])
		}
		for l, layer := range layers {
			w, b := m.Layer(l)
			z := make([]float64, layer.Units)
			for o := range z {
				z[o] = float64(b[o])
				for i, v := range in {
					z[o] += v * float64(w[i*layer.Units+o])
				}
			}
			switch layer.Activation {
			case model.Linear:
			case model.ReLU:
				for o := range z {
					z[o] = math.Max(z[o], 0)
				}
			case model.Tanh:
				for o := range z {
					z[o] = math.Tanh(z[o])
				}
			case model.Sigmoid:
				for o := range z {
					z[o] = 1 / (1 + math.Exp(-z[o]))
				}
			case model.Softmax:
				top, sum := math.Inf(-1), 0.0
				for _, v := range z {
					top = math.Max(top, v)
				}
				for o := range z {
					z[o] = math.Exp(z[o] - top)
					sum += z[o]
				}
				for o := range z {
					z[o] /= sum
				}
			default:
				t.Fatalf("activation %v", layer.Activation)
			}
			in = z
		}
		out[r] = in
	}
	return out
}

// writeCSVInput writes x as a CSV with a header f0…f4 and, when labelAt ≥
// 0, a "label" column at that position.
func writeCSVInput(t *testing.T, path string, x []float32, labelAt int) {
	t.Helper()
	var cols []string
	for j := range predFeatures {
		cols = append(cols, "f"+strconv.Itoa(j))
	}
	if labelAt >= 0 {
		cols = append(cols[:labelAt], append([]string{"label"}, cols[labelAt:]...)...)
	}
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	require.NoError(t, w.Write(cols))
	for r := range len(x) / predFeatures {
		var rec []string
		for _, v := range x[r*predFeatures : (r+1)*predFeatures] {
			rec = append(rec, strconv.FormatFloat(float64(v), 'g', -1, 32))
		}
		if labelAt >= 0 {
			rec = append(rec[:labelAt], append([]string{"7"}, rec[labelAt:]...)...)
		}
		require.NoError(t, w.Write(rec))
	}
	w.Flush()
	require.NoError(t, os.WriteFile(path, b.Bytes(), 0o644))
}

// npyBytes encodes x as a float32 .npy of the given shape.
func npyBytes(t *testing.T, x []float32, shape ...int) []byte {
	t.Helper()
	var b bytes.Buffer
	w, err := data.NewNPYWriter(&b, "<f4", shape...)
	require.NoError(t, err)
	require.NoError(t, w.WriteFloat32(x))
	require.NoError(t, w.Close())
	return b.Bytes()
}

// writeNPZInput writes a .npz whose x_test is x, beside a decoy x_train.
func writeNPZInput(t *testing.T, path string, x []float32) {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for name, content := range map[string][]byte{
		"x_train.npy": npyBytes(t, make([]float32, 2*predFeatures), 2, predFeatures),
		"x_test.npy":  npyBytes(t, x, predRows, predFeatures),
	} {
		w, err := zw.Create(name)
		require.NoError(t, err)
		_, err = w.Write(content)
		require.NoError(t, err)
	}
	require.NoError(t, zw.Close())
	require.NoError(t, os.WriteFile(path, b.Bytes(), 0o644))
}

// readCSVOutput parses a predictions CSV into its header and rows.
func readCSVOutput(t *testing.T, path string) ([]string, [][]string) {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	require.NoError(t, err)
	require.NotEmpty(t, recs)
	return recs[0], recs[1:]
}

func TestPredict(t *testing.T) {
	x := predInputs()
	for _, kind := range []struct {
		name    string
		hidden  model.Activation
		out     int
		act     model.Activation
		labels  []string
		header  []string
		classes bool // the first column is the class
	}{
		{"softmax", model.ReLU, 3, model.Softmax, []string{"cat", "dog, big", "eel"}, []string{"class", "p_cat", "p_dog, big", "p_eel"}, true},
		{"binary", model.Tanh, 1, model.Sigmoid, []string{"no", "yes"}, []string{"class", "p_yes"}, true},
		{"regression", model.ReLU, 2, model.Linear, []string{"height", "weight"}, []string{"height", "weight"}, false},
		{"regression unnamed", model.Tanh, 1, model.Linear, nil, []string{"value"}, false},
	} {
		for _, in := range []string{"label.csv", "label_first.csv", "nolabel.csv", "x.npy", "x.npz"} {
			for _, outExt := range []string{".csv", ".npy"} {
				t.Run(kind.name+"/"+in+"/"+outExt, func(t *testing.T) {
					dir := t.TempDir()
					m, mpath := predModel(t, dir, kind.hidden, kind.out, kind.act, kind.labels)
					want := reference(t, m, x, predRows)
					inPath := filepath.Join(dir, in)
					switch in {
					case "label.csv":
						writeCSVInput(t, inPath, x, 2)
					case "label_first.csv":
						writeCSVInput(t, inPath, x, 0)
					case "nolabel.csv":
						writeCSVInput(t, inPath, x, -1)
					case "x.npy":
						require.NoError(t, os.WriteFile(inPath, npyBytes(t, x, predRows, predFeatures), 0o644))
					case "x.npz":
						writeNPZInput(t, inPath, x)
					}
					out := filepath.Join(dir, "pred"+outExt)
					status, stdout, errs := run(t, "predict", "--model", mpath, "--data", inPath, "--out", out, "--batch-size", predBatch)
					require.Equal(t, cli.ExitOK, status, errs)
					assert.Contains(t, stdout, "23 predictions")
					if in == "x.npz" {
						assert.Contains(t, errs, "x_test")
					}

					// got[r] is row r's class (or -1) and values.
					got := make([][]float64, 0, predRows)
					classOf := make([]int, 0, predRows)
					if outExt == ".csv" {
						header, rows := readCSVOutput(t, out)
						assert.Equal(t, kind.header, header)
						for _, rec := range rows {
							require.Len(t, rec, len(kind.header))
							c, vals := -1, rec
							if kind.classes {
								c = slicesIndex(kind.labels, rec[0])
								require.GreaterOrEqual(t, c, 0, "class %q is a label", rec[0])
								vals = rec[1:]
							}
							var row []float64
							for _, s := range vals {
								v, err := strconv.ParseFloat(s, 32)
								require.NoError(t, err)
								row = append(row, v)
							}
							got, classOf = append(got, row), append(classOf, c)
						}
					} else {
						tb, err := data.ReadNPYFeatures(out)
						require.NoError(t, err)
						require.Equal(t, len(kind.header), tb.F)
						for r := range tb.N {
							row := tb.X[r*tb.F : (r+1)*tb.F]
							c := -1
							if kind.classes {
								c = int(row[0])
								assert.Equal(t, float32(c), row[0], "a whole class index")
								row = row[1:]
							}
							var vals []float64
							for _, v := range row {
								vals = append(vals, float64(v))
							}
							got, classOf = append(got, vals), append(classOf, c)
						}
					}
					require.Len(t, got, predRows, "one output row per input row")
					worst := 0.0
					for r := range predRows {
						require.Len(t, got[r], len(want[r]), "row %d", r)
						for j := range want[r] {
							d := math.Abs(got[r][j] - want[r][j])
							worst = math.Max(worst, d)
							assert.LessOrEqual(t, d, predTol, "row %d, output %d: got %v, want %v", r, j, got[r][j], want[r][j])
						}
						if !kind.classes {
							continue
						}
						// The class is the arg-max of the written
						// probabilities, and of the reference's when
						// no other comes within the tolerance.
						if kind.out == 1 {
							assert.Equal(t, b2i(got[r][0] > 0.5), classOf[r], "row %d", r)
							if math.Abs(want[r][0]-0.5) > predTol {
								assert.Equal(t, b2i(want[r][0] > 0.5), classOf[r], "row %d", r)
							}
							continue
						}
						assert.Equal(t, argmax(got[r]), classOf[r], "row %d", r)
						if margin(want[r]) > 2*predTol {
							assert.Equal(t, argmax(want[r]), classOf[r], "row %d", r)
						}
					}
					t.Logf("largest difference from the float64 reference: %.2g", worst)
				})
			}
		}
	}
}

func slicesIndex(xs []string, s string) int {
	for i, x := range xs {
		if x == s {
			return i
		}
	}
	return -1
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func argmax(xs []float64) int {
	best := 0
	for i, v := range xs {
		if v > xs[best] {
			best = i
		}
	}
	return best
}

// margin is the gap between the largest and the second largest of xs.
func margin(xs []float64) float64 {
	a := argmax(xs)
	second := math.Inf(-1)
	for i, v := range xs {
		if i != a {
			second = math.Max(second, v)
		}
	}
	return xs[a] - second
}

// Every number in a predictions CSV parses back to the float32 the model
// output, and the .npy holds the same values.
func TestPredictCSVRoundTripsNPY(t *testing.T) {
	dir := t.TempDir()
	_, mpath := predModel(t, dir, model.ReLU, 3, model.Softmax, nil)
	in := filepath.Join(dir, "x.npy")
	require.NoError(t, os.WriteFile(in, npyBytes(t, predInputs(), predRows, predFeatures), 0o644))
	for _, out := range []string{"p.csv", "p.npy"} {
		status, _, errs := run(t, "predict", "--model", mpath, "--data", in, "--out", filepath.Join(dir, out))
		require.Equal(t, cli.ExitOK, status, errs)
	}
	header, rows := readCSVOutput(t, filepath.Join(dir, "p.csv"))
	assert.Equal(t, []string{"class", "p_0", "p_1", "p_2"}, header)
	tb, err := data.ReadNPYFeatures(filepath.Join(dir, "p.npy"))
	require.NoError(t, err)
	require.Equal(t, predRows, tb.N)
	require.Equal(t, 4, tb.F)
	for r, rec := range rows {
		for j, s := range rec {
			v, err := strconv.ParseFloat(s, 32)
			require.NoError(t, err)
			assert.Equal(t, tb.X[r*4+j], float32(v), "row %d, column %d", r, j)
		}
	}
}

// Refusals: the exit status, a message naming what, and nothing created or
// replaced.
func TestPredictRefusals(t *testing.T) {
	dir := t.TempDir()
	_, mpath := predModel(t, dir, model.ReLU, 3, model.Softmax, nil)
	x := predInputs()
	csvIn := filepath.Join(dir, "in.csv")
	writeCSVInput(t, csvIn, x, 1)
	wide := filepath.Join(dir, "wide.npy")
	require.NoError(t, os.WriteFile(wide, npyBytes(t, make([]float32, 12), 2, 6), 0o644))
	corrupt := filepath.Join(dir, "corrupt.descent")
	good, err := os.ReadFile(mpath)
	require.NoError(t, err)
	bad := append([]byte(nil), good...)
	bad[len(bad)-9] ^= 0xff // a parameter byte: the CRC no longer matches
	require.NoError(t, os.WriteFile(corrupt, bad, 0o644))
	garbage := filepath.Join(dir, "garbage.descent")
	require.NoError(t, os.WriteFile(garbage, []byte("not a model"), 0o644))
	badCSV := filepath.Join(dir, "bad.csv")
	require.NoError(t, os.WriteFile(badCSV, []byte("f0,f1,f2,f3,f4\n1,2,x,4,5\n"), 0o644))
	out := filepath.Join(dir, "out.csv")
	hardLink := filepath.Join(dir, "link.csv")
	require.NoError(t, os.Link(csvIn, hardLink))
	fifo := filepath.Join(dir, "fifo.csv")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	before := listTree(t, dir)

	for _, tc := range []struct {
		name   string
		args   []string
		status int
		want   []string
	}{
		{"wrong feature count npy", []string{"--data", wide}, cli.ExitUsage, []string{"6 features per row", "takes 5 inputs"}},
		{"wrong feature count csv without --label column", []string{"--label", "species"}, cli.ExitUsage,
			[]string{"6 features per row", `no column "species"`, "takes 5 inputs"}},
		{"unknown --out extension", []string{"--out", filepath.Join(dir, "out.txt")}, cli.ExitUsage, []string{"--out", "must be a .csv or .npy"}},
		{"no --out extension", []string{"--out", filepath.Join(dir, "out")}, cli.ExitUsage, []string{"must be a .csv or .npy"}},
		{"unknown --data extension", []string{"--data", filepath.Join(dir, "in.json")}, cli.ExitUsage, []string{"--data", ".csv, .npy or .npz"}},
		{"--out is --data", []string{"--out", csvIn}, cli.ExitUsage, []string{"same file as --data"}},
		{"--out is --data by another path", []string{"--out", filepath.Join(dir, ".", "sub", "..", "in.csv")}, cli.ExitUsage, []string{"same file as --data"}},
		{"--out is a hard link to --data", []string{"--out", hardLink}, cli.ExitUsage, []string{"same file as --data"}},
		{"--out is a FIFO", []string{"--out", fifo}, cli.ExitUsage, []string{"--out: " + fifo, "FIFO"}},
		{"--out is --model", []string{"--model", filepath.Join(dir, "m.csv"), "--out", filepath.Join(dir, "m.csv")}, cli.ExitUsage, []string{"same file as --model"}},
		{"--out in a missing folder", []string{"--out", filepath.Join(dir, "missing", "o.csv")}, cli.ExitUsage, []string{"--out: folder"}},
		{"--batch-size 0", []string{"--batch-size", "0"}, cli.ExitUsage, []string{"--batch-size"}},
		{"corrupt model", []string{"--model", corrupt}, cli.ExitError, []string{corrupt, "corrupt model file"}},
		{"not a model", []string{"--model", garbage}, cli.ExitError, []string{garbage, "corrupt model file"}},
		{"missing model", []string{"--model", filepath.Join(dir, "none.descent")}, cli.ExitError, []string{"none.descent", "no such file"}},
		{"bad CSV", []string{"--data", badCSV}, cli.ExitError, []string{badCSV, `line 2, column "f2"`}},
		{"missing data", []string{"--data", filepath.Join(dir, "none.npy")}, cli.ExitError, []string{"none.npy"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := map[string]string{"--model": mpath, "--data": csvIn, "--out": out}
			for i := 0; i < len(tc.args); i += 2 {
				args[tc.args[i]] = tc.args[i+1]
			}
			cmd := []string{"predict"}
			for k, v := range args {
				cmd = append(cmd, k, v)
			}
			status, _, errs := runWithin(t, 30*time.Second, cmd...)
			assert.Equal(t, tc.status, status, errs)
			for _, w := range tc.want {
				assert.Contains(t, errs, w)
			}
			assert.NotContains(t, errs, "internal error")
			assert.NotContains(t, errs, "goroutine")
			assert.Equal(t, before, listTree(t, dir), "nothing created or replaced")
		})
	}
}

// A cancelled run (Ctrl-C) writes nothing: no --out, no temporary file, and
// an --out that was there is left as it was.
func TestPredictCancelled(t *testing.T) {
	dir := t.TempDir()
	_, mpath := predModel(t, dir, model.ReLU, 3, model.Softmax, nil)
	in := filepath.Join(dir, "in.npy")
	require.NoError(t, os.WriteFile(in, npyBytes(t, predInputs(), predRows, predFeatures), 0o644))
	kept := filepath.Join(dir, "kept.npy")
	require.NoError(t, os.WriteFile(kept, []byte("old predictions"), 0o644))
	before := listTree(t, dir)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, out := range []string{filepath.Join(dir, "new.csv"), kept} {
		var stdout, stderr bytes.Buffer
		status := cli.Run(ctx, []string{"descent", "predict", "--model", mpath, "--data", in, "--out", out, "--batch-size", predBatch},
			cli.Env{Stdout: &stdout, Stderr: &stderr, Getenv: os.Getenv})
		assert.Equal(t, cli.ExitError, status, stderr.String())
		assert.Contains(t, stderr.String(), "context canceled")
		assert.Contains(t, stderr.String(), "left as it was")
		assert.Equal(t, before, listTree(t, dir), "no output and no temporary file")
	}
	b, err := os.ReadFile(kept)
	require.NoError(t, err)
	assert.Equal(t, "old predictions", string(b))
}

// The usage text names every flag.
func TestPredictHelp(t *testing.T) {
	status, out, errs := run(t, "predict", "--help")
	require.Equal(t, cli.ExitOK, status, errs)
	for _, flag := range []string{"--model", "--data", "--out", "--label", "--batch-size", "--backend", "--threads"} {
		assert.True(t, strings.Contains(out, flag), flag)
	}
}

// "Predictions written by descent predict equal descent evaluate's on the
// same rows" (issue 9): evaluate runs a data set's images, scaled by 1/255
// in package data, through predict.Predictor.PredictSource (train.Evaluate)
// at its --batch-size 128; predict reads the raw 0–255 pixels and applies
// the model's ScaleBy(255). The probabilities must be the same bits.
func TestPredictEqualsEvaluate(t *testing.T) {
	const n, features, classes = 300, 20, 3
	rng := rand.New(rand.NewPCG(5, 6))
	ds := &data.Dataset{Name: "tiny", N: n, NumFeatures: features, NumClasses: classes,
		Images: make([]uint8, n*features), Labels: make([]uint8, n)}
	raw := make([]float32, n*features)
	for i := range ds.Images {
		ds.Images[i] = uint8(rng.IntN(256))
		raw[i] = float32(ds.Images[i])
	}
	for i := range ds.Labels {
		ds.Labels[i] = uint8(rng.IntN(classes))
	}
	m, err := model.NewSequential(features, model.Dense(8, model.Sigmoid), model.Dense(classes, model.Softmax))
	require.NoError(t, err)
	m.Init(rand.New(rand.NewPCG(1, 1)))
	m.Preprocessing = model.ScaleBy(255)
	dir := t.TempDir()
	mpath := filepath.Join(dir, "m.descent")
	require.NoError(t, m.Save(mpath))
	in := filepath.Join(dir, "x.npy")
	require.NoError(t, os.WriteFile(in, npyBytes(t, raw, n, features), 0o644))
	out := filepath.Join(dir, "p.npy")
	status, _, errs := run(t, "predict", "--model", mpath, "--data", in, "--out", out, "--backend", "gonum")
	require.Equal(t, cli.ExitOK, status, errs)
	got, err := data.ReadNPYFeatures(out)
	require.NoError(t, err)
	require.Equal(t, 1+classes, got.F)

	eng, _, err := registry.Open("gonum")
	require.NoError(t, err)
	p, err := predict.New(m, eng, predict.Options{MaxBatch: 128, Workers: 1})
	require.NoError(t, err)
	defer p.Close()
	require.NoError(t, p.PredictSource(context.Background(), ds, func(b predict.Batch) error {
		for r := range b.Rows {
			row := got.X[(b.Start+r)*got.F : (b.Start+r+1)*got.F]
			want := b.Outputs[r*classes : (r+1)*classes]
			assert.Equal(t, want, row[1:], "row %d", b.Start+r)
			assert.Equal(t, float32(predict.Argmax(want)), row[0], "row %d", b.Start+r)
		}
		return nil
	}))
}
