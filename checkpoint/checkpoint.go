package checkpoint

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/descent-ml/descent/data"
	"github.com/descent-ml/descent/model"
	"github.com/descent-ml/descent/train"
)

// FormatVersion is the version written in every MANIFEST.json. Load
// refuses a newer one.
const FormatVersion = 1

// File names inside one checkpoint folder, and of the pointer to the latest.
const (
	ManifestFile  = "MANIFEST.json"
	ModelFile     = "model.safetensors"
	OptimizerFile = "optimizer.safetensors"
	StateFile     = "state.json"
	LatestFile    = "LATEST"
)

// maxFileSize caps every file of a checkpoint (4 GiB): a manifest that
// lies about a size is refused before reading.
const maxFileSize = 4 << 30

// ErrCorrupt is wrapped by every error about a damaged checkpoint (bad
// checksum, truncated or malformed file).
var ErrCorrupt = errors.New("corrupt checkpoint")

// ErrMismatch is wrapped by every refusal of a checkpoint made by another
// run (data, network, optimizer, backend...).
var ErrMismatch = errors.New("checkpoint of another run")

// Identity is what a checkpoint must share with the run that resumes it
// for the resumed run to be bit-identical to one never stopped.
type Identity struct {
	// Data is data.Hash of the training set (after the validation split),
	// Split describes the split ("val_split=0.1 train_test_split(random_state=42)").
	Data  string `json:"data_sha256"`
	Split string `json:"split"`
	// Backend and Threads are the engine's name and thread count.
	Backend string `json:"backend"`
	Threads int    `json:"threads"`
	// Optimizer is the optimizer's name and OptimizerConfig its
	// configuration (learning rate, momentum...), as the caller spells it.
	Optimizer       string            `json:"optimizer"`
	OptimizerConfig map[string]string `json:"optimizer_config"`
	// Seed seeds the shuffle; BatchSize is the trainer's batch size.
	Seed      uint64 `json:"seed"`
	BatchSize int    `json:"batch_size"`
}

// A Checkpoint is everything a Fit needs to continue exactly.
type Checkpoint struct {
	Identity Identity
	// Model is the network: architecture, preprocessing, labels, weights.
	Model *model.Sequential
	// Optimizer is the optimizer's state (iterations and slots).
	Optimizer train.OptimizerState
	// Fit is the position: epoch, step, running sums, history so far.
	Fit train.FitState
	// Config is the caller's own description of the run (descent train
	// stores its flags), kept verbatim.
	Config json.RawMessage
}

// stateJSON is state.json.
type stateJSON struct {
	Identity Identity        `json:"identity"`
	Epoch    int             `json:"epoch"`
	Step     int             `json:"step"`
	Steps    int             `json:"steps"`
	LossSum  float64         `json:"loss_sum"`
	Correct  int             `json:"correct"`
	AbsError float64         `json:"abs_error_sum,omitempty"` // a regression's running sum
	Seen     int             `json:"seen"`
	Done     bool            `json:"epoch_done"`
	History  historyJSON     `json:"history"`
	Shuffle  shuffleJSON     `json:"shuffle"`
	Config   json.RawMessage `json:"config,omitempty"`
}

// historyJSON is the history with exact float64 values (Go writes the
// shortest decimal that reads back to the same bits).
type historyJSON struct {
	Loss        []float64 `json:"loss"`
	Accuracy    []float64 `json:"accuracy"`
	ValLoss     []float64 `json:"val_loss"`
	ValAccuracy []float64 `json:"val_accuracy"`
	// A regression's metrics (absent for a classifier).
	MAE    []float64 `json:"mae,omitempty"`
	ValMAE []float64 `json:"val_mae,omitempty"`
	ValR2  []float64 `json:"val_r2,omitempty"`
	// LR is each epoch's learning rate, when the Fit records it (a
	// schedule, ReduceLROnPlateau): a resumed history keeps it.
	LR []float64 `json:"lr,omitempty"`
}

// shuffleJSON documents how the sample order is derived.
type shuffleJSON struct {
	Algorithm string `json:"algorithm"`
	Seed      uint64 `json:"seed"`
}

type manifestJSON struct {
	Format  int                  `json:"format"`
	Kind    string               `json:"kind"`
	Files   map[string]fileEntry `json:"files"`
	Created string               `json:"created,omitempty"`
}

type fileEntry struct {
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
}

// modelMeta is the model's configuration, in model.safetensors' __metadata__.
type modelMeta struct {
	Input         int                 `json:"input"`
	Layers        []layerMeta         `json:"layers"`
	Preprocessing model.Preprocessing `json:"preprocessing"`
	Labels        []string            `json:"labels,omitempty"`
}

type layerMeta struct {
	Units      int     `json:"units"`
	Activation string  `json:"activation"`
	Dropout    float64 `json:"dropout,omitempty"` // the layer's dropout rate, when above 0
}

// Name is the folder name of the checkpoint after global step n.
func Name(n int) string { return fmt.Sprintf("ckpt-%09d", n) }

var nameRE = regexp.MustCompile(`^ckpt-[0-9]{9}(\.[0-9]{1,6})?$`)

// globalStep is the number of steps done at the checkpoint's position.
func (c *Checkpoint) globalStep() int { return (c.Fit.Epoch-1)*c.Fit.Steps + c.Fit.Step }

// encode returns the files of c, by name.
func (c *Checkpoint) encode() (map[string][]byte, error) {
	m := c.Model
	meta := modelMeta{Input: m.Input(), Preprocessing: m.Preprocessing, Labels: m.Labels}
	var tensors []Tensor
	in := m.Input()
	for l, layer := range m.Layers() {
		meta.Layers = append(meta.Layers, layerMeta{layer.Units, layer.Activation.String(), layer.Dropout})
		w, b := m.Layer(l)
		tensors = append(tensors,
			Tensor{Name: fmt.Sprintf("layers.%d.kernel", l), Shape: []int{in, layer.Units}, Data: w},
			Tensor{Name: fmt.Sprintf("layers.%d.bias", l), Shape: []int{layer.Units}, Data: b})
		in = layer.Units
	}
	mj, err := json.Marshal(meta)
	if err != nil {
		return nil, err
	}
	files := map[string][]byte{}
	if files[ModelFile], err = EncodeSafetensors(tensors, map[string]string{"format": "descent-checkpoint", "model": string(mj)}); err != nil {
		return nil, err
	}
	var slots []Tensor
	for i, s := range c.Optimizer.Slots {
		slots = append(slots, Tensor{Name: fmt.Sprintf("slot.%d", i), Shape: []int{len(s)}, Data: s})
	}
	if files[OptimizerFile], err = EncodeSafetensors(slots, map[string]string{
		"optimizer": c.Identity.Optimizer, "iterations": strconv.FormatInt(c.Optimizer.Iterations, 10),
		"slots": strconv.Itoa(len(slots))}); err != nil {
		return nil, err
	}
	h := c.Fit.History
	if h == nil {
		h = &train.History{}
	}
	st := stateJSON{Identity: c.Identity, Epoch: c.Fit.Epoch, Step: c.Fit.Step, Steps: c.Fit.Steps,
		LossSum: c.Fit.LossSum, Correct: c.Fit.Correct, AbsError: c.Fit.AbsErrorSum, Seen: c.Fit.Seen, Done: c.Fit.Done,
		History: historyJSON{nonNil(h.Loss), nonNil(h.Accuracy), nonNil(h.ValLoss), nonNil(h.ValAccuracy), h.MAE, h.ValMAE, h.ValR2, h.LR},
		Shuffle: shuffleJSON{Algorithm: "PCG(seed, 0x5eed5eed), one Fisher-Yates shuffle per epoch, replayed from epoch 1", Seed: c.Identity.Seed},
		Config:  c.Config}
	if files[StateFile], err = json.MarshalIndent(st, "", "  "); err != nil {
		return nil, fmt.Errorf("checkpoint: state: %w", err)
	}
	return files, nil
}

func nonNil(v []float64) []float64 {
	if v == nil {
		return []float64{}
	}
	return v
}

// Write writes c into dir as a new checkpoint folder and points dir/LATEST
// at it, crash-safely (see the package documentation): a kill at any
// moment leaves LATEST naming a complete checkpoint (or no LATEST before
// the first). It returns the folder.
func Write(dir string, c *Checkpoint) (string, error) {
	files, err := c.encode()
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("checkpoint: %w", err)
	}
	name := Name(c.globalStep())
	tmp, err := os.MkdirTemp(dir, ".tmp-"+name+"-")
	if err != nil {
		return "", fmt.Errorf("checkpoint: %w", err)
	}
	defer os.RemoveAll(tmp) // a no-op once renamed
	if err := os.Chmod(tmp, 0o755); err != nil {
		return "", fmt.Errorf("checkpoint: %w", err)
	}
	man := manifestJSON{Format: FormatVersion, Kind: "descent-checkpoint", Files: map[string]fileEntry{}}
	for _, f := range []string{ModelFile, OptimizerFile, StateFile} {
		sum := sha256.Sum256(files[f])
		man.Files[f] = fileEntry{SHA256: hex.EncodeToString(sum[:]), Size: int64(len(files[f]))}
	}
	mb, err := json.MarshalIndent(man, "", "  ")
	if err != nil {
		return "", err
	}
	files[ManifestFile] = append(mb, '\n')
	// Every file, and LATEST's replacement, is written and fsynced at
	// once (the fsyncs overlap: fewer journal commits). Nothing is visible
	// before the renames below, so their order does not matter.
	final := filepath.Join(dir, name)
	for i := 1; exists(final); i++ {
		// The same position again (a resumed run): a new name, so that
		// LATEST never names a folder being replaced.
		name = fmt.Sprintf("%s.%d", Name(c.globalStep()), i)
		final = filepath.Join(dir, name)
	}
	latestTmp := filepath.Join(dir, ".tmp-"+LatestFile+"-"+randSuffix())
	defer os.Remove(latestTmp) // a no-op once renamed
	paths := map[string][]byte{latestTmp: []byte(name + "\n")}
	for f, b := range files {
		paths[filepath.Join(tmp, f)] = b
	}
	errs := make(chan error, len(paths))
	for p, b := range paths {
		go func() { errs <- writeSynced(p, b) }()
	}
	var werr error
	for range paths {
		werr = errors.Join(werr, <-errs)
	}
	if werr != nil {
		return "", werr
	}
	if err := syncDir(tmp); err != nil {
		return "", err
	}
	if err := os.Rename(tmp, final); err != nil {
		return "", fmt.Errorf("checkpoint: %w", err)
	}
	if err := syncDir(dir); err != nil {
		return "", err
	}
	if err := os.Rename(latestTmp, filepath.Join(dir, LatestFile)); err != nil {
		return "", fmt.Errorf("checkpoint: %w", err)
	}
	if err := syncDir(dir); err != nil {
		return "", err
	}
	prune(dir, name)
	return final, nil
}

// prune removes every checkpoint folder and leftover temporary in dir but keep.
func prune(dir, keep string) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range ents {
		n := e.Name()
		if n != keep && ((e.IsDir() && (nameRE.MatchString(n) || strings.HasPrefix(n, ".tmp-ckpt-"))) || strings.HasPrefix(n, ".tmp-"+LatestFile+"-")) {
			os.RemoveAll(filepath.Join(dir, n))
		}
	}
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

func randSuffix() string {
	var b [6]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// writeSynced creates path with b and fsyncs it.
func writeSynced(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return fmt.Errorf("checkpoint: writing %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("checkpoint: syncing %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("checkpoint: syncing folder %s: %w", dir, err)
	}
	return nil
}

// Latest returns the folder dir/LATEST names.
func Latest(dir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dir, LatestFile))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return "", fmt.Errorf("checkpoint: %s holds no complete checkpoint (no %s)", dir, LatestFile)
		}
		return "", fmt.Errorf("checkpoint: %w", err)
	}
	name := strings.TrimSpace(string(b))
	if !nameRE.MatchString(name) {
		return "", fmt.Errorf("checkpoint: %s: %q is not a checkpoint name: %w", filepath.Join(dir, LatestFile), name, ErrCorrupt)
	}
	return filepath.Join(dir, name), nil
}

// Load reads the latest complete checkpoint of dir (see Latest), or dir
// itself when it is a checkpoint folder (it holds a MANIFEST.json).
// Every file is checked against the manifest's size and SHA-256 before it
// is parsed; a damaged file is refused naming the file and the reason
// (wrapping ErrCorrupt), a newer format version is refused too.
func Load(dir string) (*Checkpoint, string, error) {
	folder := dir
	if _, err := os.Stat(filepath.Join(dir, ManifestFile)); err != nil {
		if folder, err = Latest(dir); err != nil {
			return nil, "", err
		}
	}
	mb, err := readCapped(filepath.Join(folder, ManifestFile), 1<<20)
	if err != nil {
		return nil, folder, err
	}
	var man manifestJSON
	if err := json.Unmarshal(mb, &man); err != nil {
		return nil, folder, corrupt(folder, ManifestFile, err.Error())
	}
	if man.Format > FormatVersion {
		return nil, folder, fmt.Errorf("checkpoint: %s: format version %d is newer than this descent's %d: %w", folder, man.Format, FormatVersion, ErrMismatch)
	}
	if man.Format < 1 || man.Kind != "descent-checkpoint" {
		return nil, folder, corrupt(folder, ManifestFile, fmt.Sprintf("format %d kind %q", man.Format, man.Kind))
	}
	files := map[string][]byte{}
	for _, f := range []string{ModelFile, OptimizerFile, StateFile} {
		e, ok := man.Files[f]
		if !ok {
			return nil, folder, corrupt(folder, ManifestFile, "no entry for "+f)
		}
		if e.Size < 0 || e.Size > maxFileSize {
			return nil, folder, corrupt(folder, ManifestFile, fmt.Sprintf("size %d of %s", e.Size, f))
		}
		b, err := readCapped(filepath.Join(folder, f), e.Size+1)
		if err != nil {
			return nil, folder, err
		}
		if int64(len(b)) != e.Size {
			return nil, folder, corrupt(folder, f, fmt.Sprintf("%d bytes, the manifest says %d (truncated?)", len(b), e.Size))
		}
		sum := sha256.Sum256(b)
		if hex.EncodeToString(sum[:]) != e.SHA256 {
			return nil, folder, corrupt(folder, f, "SHA-256 differs from the manifest's")
		}
		files[f] = b
	}
	c, err := decode(folder, files)
	return c, folder, err
}

func corrupt(folder, file, why string) error {
	return fmt.Errorf("checkpoint: %s: %s: %w", filepath.Join(folder, file), why, ErrCorrupt)
}

// readCapped reads at most limit bytes of path.
func readCapped(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit))
	if err != nil {
		return nil, fmt.Errorf("checkpoint: reading %s: %w", path, err)
	}
	return b, nil
}

// decode parses the files of a checkpoint whose checksums matched.
func decode(folder string, files map[string][]byte) (*Checkpoint, error) {
	m, err := DecodeModel(files[ModelFile])
	if err != nil {
		return nil, corrupt(folder, ModelFile, err.Error())
	}
	slots, meta, err := DecodeSafetensors(files[OptimizerFile])
	if err != nil {
		return nil, corrupt(folder, OptimizerFile, err.Error())
	}
	c := &Checkpoint{Model: m}
	if c.Optimizer.Iterations, err = strconv.ParseInt(meta["iterations"], 10, 64); err != nil || c.Optimizer.Iterations < 0 {
		return nil, corrupt(folder, OptimizerFile, fmt.Sprintf("iterations %q", meta["iterations"]))
	}
	for i := range slots {
		t := findTensor(slots, fmt.Sprintf("slot.%d", i))
		if t == nil || len(t.Data) != m.NumParams() {
			return nil, corrupt(folder, OptimizerFile, fmt.Sprintf("slot.%d missing or not of %d values", i, m.NumParams()))
		}
		c.Optimizer.Slots = append(c.Optimizer.Slots, t.Data)
	}
	var st stateJSON
	if err := json.Unmarshal(files[StateFile], &st); err != nil {
		return nil, corrupt(folder, StateFile, err.Error())
	}
	if meta["optimizer"] != st.Identity.Optimizer {
		return nil, corrupt(folder, OptimizerFile, fmt.Sprintf("optimizer %q, state.json says %q", meta["optimizer"], st.Identity.Optimizer))
	}
	h := &train.History{Loss: st.History.Loss, Accuracy: st.History.Accuracy, ValLoss: st.History.ValLoss, ValAccuracy: st.History.ValAccuracy,
		MAE: st.History.MAE, ValMAE: st.History.ValMAE, ValR2: st.History.ValR2, LR: st.History.LR}
	c.Identity, c.Config = st.Identity, st.Config
	c.Fit = train.FitState{Epoch: st.Epoch, Step: st.Step, Steps: st.Steps, LossSum: st.LossSum,
		Correct: st.Correct, AbsErrorSum: st.AbsError, Seen: st.Seen, Done: st.Done, History: h}
	metric, valMetric := len(h.Accuracy), len(h.ValAccuracy)
	if len(h.MAE) > 0 || len(h.ValMAE) > 0 { // a regression
		metric, valMetric = len(h.MAE), len(h.ValMAE)
		if len(h.Accuracy) != 0 || len(h.ValAccuracy) != 0 || len(h.ValR2) != valMetric {
			return nil, corrupt(folder, StateFile, "a history with both classification and regression metrics")
		}
	}
	if st.Epoch < 1 || st.Steps < 1 || st.Step < 0 || st.Step > st.Steps || h.Epochs() != st.Epoch-1+btoi(st.Done) ||
		metric != h.Epochs() || (len(h.LR) != 0 && len(h.LR) != h.Epochs()) || (len(h.ValLoss) != 0 && len(h.ValLoss) != h.Epochs()) || valMetric != len(h.ValLoss) {
		return nil, corrupt(folder, StateFile, fmt.Sprintf("inconsistent position: epoch %d step %d of %d, %d epochs of history", st.Epoch, st.Step, st.Steps, h.Epochs()))
	}
	return c, nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func findTensor(ts []Tensor, name string) *Tensor {
	for i := range ts {
		if ts[i].Name == name {
			return &ts[i]
		}
	}
	return nil
}

// DecodeModel reads a model.safetensors file: the architecture from its
// __metadata__ "model" entry, the kernel and bias of every layer.
func DecodeModel(b []byte) (*model.Sequential, error) {
	ts, meta, err := DecodeSafetensors(b)
	if err != nil {
		return nil, err
	}
	var mm modelMeta
	if err := json.Unmarshal([]byte(meta["model"]), &mm); err != nil {
		return nil, fmt.Errorf("__metadata__ model: %v", err)
	}
	if mm.Input < 1 || mm.Input > 1<<24 || len(mm.Layers) == 0 || len(mm.Layers) > 1024 {
		return nil, fmt.Errorf("__metadata__ model: input %d, %d layers", mm.Input, len(mm.Layers))
	}
	var layers []model.Layer
	in, total := mm.Input, int64(0)
	for i, l := range mm.Layers {
		act, err := model.ParseActivation(l.Activation)
		if err != nil || l.Units < 1 || l.Units > 1<<24 {
			return nil, fmt.Errorf("__metadata__ model: layer %d: %d units, activation %q", i, l.Units, l.Activation)
		}
		total += int64(in)*int64(l.Units) + int64(l.Units)
		layers = append(layers, model.Dense(l.Units, act).WithDropout(l.Dropout))
		in = l.Units
	}
	if 4*total > int64(len(b)) { // never allocate more than the file holds
		return nil, fmt.Errorf("the architecture has %d parameters, the file holds fewer", total)
	}
	m, err := model.NewSequential(mm.Input, layers...)
	if err != nil {
		return nil, err
	}
	if err := mm.Preprocessing.Validate(mm.Input); err != nil {
		return nil, err
	}
	m.Preprocessing, m.Labels = mm.Preprocessing, mm.Labels
	if len(ts) != 2*len(layers) {
		return nil, fmt.Errorf("%d tensors, the architecture has %d", len(ts), 2*len(layers))
	}
	for l := range layers {
		w, bias := m.Layer(l)
		for _, p := range []struct {
			name string
			dst  []float32
		}{{fmt.Sprintf("layers.%d.kernel", l), w}, {fmt.Sprintf("layers.%d.bias", l), bias}} {
			t := findTensor(ts, p.name)
			if t == nil || len(t.Data) != len(p.dst) {
				return nil, fmt.Errorf("tensor %s missing or not of %d values", p.name, len(p.dst))
			}
			copy(p.dst, t.Data)
		}
	}
	return m, nil
}

// Check returns nil when c can resume a run of identity want on model m
// (its architecture; m's weights are not compared), or an error wrapping
// ErrMismatch that names every difference.
func (c *Checkpoint) Check(want Identity, m *model.Sequential) error {
	var diffs []string
	got := c.Identity
	add := func(what string, ck, run any) {
		if fmt.Sprint(ck) != fmt.Sprint(run) {
			diffs = append(diffs, fmt.Sprintf("%s: checkpoint %v, this run %v", what, ck, run))
		}
	}
	add("training data (SHA-256)", got.Data, want.Data)
	add("split", got.Split, want.Split)
	add("backend", got.Backend, want.Backend)
	add("threads", got.Threads, want.Threads)
	add("optimizer", got.Optimizer, want.Optimizer)
	add("optimizer configuration", got.OptimizerConfig, want.OptimizerConfig)
	add("seed", got.Seed, want.Seed)
	add("batch size", got.BatchSize, want.BatchSize)
	if m != nil && !m.SameArchitecture(c.Model) {
		diffs = append(diffs, fmt.Sprintf("network: checkpoint %s, this run %s", arch(c.Model), arch(m)))
	}
	if len(diffs) > 0 {
		return fmt.Errorf("checkpoint: refusing to resume: %s: %w", strings.Join(diffs, "; "), ErrMismatch)
	}
	return nil
}

func arch(m *model.Sequential) string {
	s := strconv.Itoa(m.Input())
	for _, l := range m.Layers() {
		s += fmt.Sprintf("→%d %s", l.Units, l.Activation)
		if l.Dropout > 0 {
			s += fmt.Sprintf(" dropout %g", l.Dropout)
		}
	}
	return s
}

// DataHash is the SHA-256 of a data set's shape, images and labels: the
// identity of the training data in a checkpoint.
func DataHash(d *data.Dataset) string {
	h := sha256.New()
	fmt.Fprintf(h, "descent-data n=%d features=%d classes=%d\n", d.N, d.NumFeatures, d.NumClasses)
	h.Write(d.Images)
	h.Write(d.Labels)
	return hex.EncodeToString(h.Sum(nil))
}

// SourceHash is DataHash for any Source: a Dataset hashes as DataHash does;
// any other source is read through, in order, and its features and
// targets hashed as the float32 values the trainer sees (so a resumed run
// must see the same normalised values).
func SourceHash(ctx context.Context, src data.Source) (string, error) {
	if d, ok := src.(*data.Dataset); ok {
		return DataHash(d), nil
	}
	h := sha256.New()
	fmt.Fprintf(h, "descent-source n=%d features=%d targets=%d classes=%d\n", src.Len(), src.Features(), src.Targets(), src.Classes())
	err := data.InOrder(ctx, src, 1024, func(_, _ int, x, y []float32, _ []int) error {
		binary.Write(h, binary.LittleEndian, x)
		return binary.Write(h, binary.LittleEndian, y)
	})
	if err != nil {
		return "", fmt.Errorf("checkpoint: hashing the training data: %w", err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
