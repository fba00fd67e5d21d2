package data

// The canonical MNIST file names (without ".gz").
const (
	mnistTrainImages = "train-images-idx3-ubyte"
	mnistTrainLabels = "train-labels-idx1-ubyte"
	mnistTestImages  = "t10k-images-idx3-ubyte"
	mnistTestLabels  = "t10k-labels-idx1-ubyte"
)

// MNISTFiles returns the FileSet of MNIST with the SHA-256 of the canonical
// files, both the ".gz" files as distributed and their decompressed forms.
// Each call returns a fresh map, so callers may modify it.
func MNISTFiles() FileSet {
	return FileSet{
		Name:        "mnist",
		TrainImages: mnistTrainImages,
		TrainLabels: mnistTrainLabels,
		TestImages:  mnistTestImages,
		TestLabels:  mnistTestLabels,
		NumClasses:  10,
		SHA256: map[string]string{
			mnistTrainImages + gzSuffix: "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
			mnistTrainLabels + gzSuffix: "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
			mnistTestImages + gzSuffix:  "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
			mnistTestLabels + gzSuffix:  "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
			mnistTrainImages:            "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
			mnistTrainLabels:            "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
			mnistTestImages:             "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
			mnistTestLabels:             "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
		},
	}
}

// MNISTOption changes how LoadMNIST loads.
type MNISTOption func(*mnistConfig)

// mnistConfig holds the settings of one LoadMNIST call.
type mnistConfig struct {
	verify bool
}

// SkipChecksums makes LoadMNIST skip SHA-256 verification, for example to
// load MNIST-format files that are not the canonical ones.
func SkipChecksums() MNISTOption {
	return func(c *mnistConfig) { c.verify = false }
}

// LoadMNIST loads the MNIST train (60000 samples) and test (10000 samples)
// sets from dir, which must hold the four canonical files, each raw or
// gzip-compressed. Each file's SHA-256 is verified unless SkipChecksums is
// given. Images are 28×28 (784 features) and there are 10 classes.
// LocateMNIST finds a suitable dir.
func LoadMNIST(dir string, opts ...MNISTOption) (train, test *Dataset, err error) {
	cfg := mnistConfig{verify: true}
	for _, o := range opts {
		o(&cfg)
	}
	return LoadIDXDir(dir, MNISTFiles(), cfg.verify)
}
