package data

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// ErrIDXFolder means a folder given as an IDX data set does not hold one
// file for each role (training images and labels, optionally test images
// and labels): one is missing, or two files could fill the same role.
var ErrIDXFolder = errors.New("not an IDX data set folder")

// idxRole is one of the four files of an IDX data set folder.
type idxRole struct {
	what     string   // for messages: "training images"
	prefixes []string // a file's name (less ".gz") starts with one of these
}

// The roles, in the order of idxFolderFiles.paths.
const (
	roleTrainImages = iota
	roleTrainLabels
	roleTestImages
	roleTestLabels
	numIDXRoles
)

// idxRoles returns the four roles, indexed by the role constants.
func idxRoles() [numIDXRoles]idxRole {
	return [numIDXRoles]idxRole{
		{what: "training images", prefixes: []string{"train-images"}},
		{what: "training labels", prefixes: []string{"train-labels"}},
		{what: "test images", prefixes: []string{"t10k-images", "test-images"}},
		{what: "test labels", prefixes: []string{"t10k-labels", "test-labels"}},
	}
}

// idxFolderFiles are the paths of the files found for each role; the test
// ones are "" when the folder holds only a training pair.
type idxFolderFiles struct {
	dir   string
	paths [numIDXRoles]string
}

// hasTest reports whether a test pair was found.
func (f idxFolderFiles) hasTest() bool { return f.paths[roleTestImages] != "" }

// findIDXFolderFiles finds the files of an IDX data set in dir by name:
// train-images* and train-labels*, and optionally t10k-images* or
// test-images* with t10k-labels* or test-labels*, each raw or ".gz" (the
// raw one when both are there). A role with two candidates, a missing
// training file, or half a test pair is refused with ErrIDXFolder and a
// message listing the IDX-looking files found and the names expected.
func findIDXFolderFiles(dir string) (idxFolderFiles, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return idxFolderFiles{}, fmt.Errorf("IDX folder: %w", err)
	}
	roles := idxRoles()
	var stems [numIDXRoles][]string // distinct names less ".gz", per role
	present := map[string]bool{}
	var looking []string
	for _, e := range entries {
		name := e.Name()
		present[name] = true
		stem := strings.TrimSuffix(name, gzSuffix)
		matched := false
		for r, role := range roles {
			for _, p := range role.prefixes {
				if strings.HasPrefix(stem, p) {
					matched = true
					if !slices.Contains(stems[r], stem) {
						stems[r] = append(stems[r], stem)
					}
				}
			}
		}
		if matched || strings.Contains(strings.ToLower(name), "idx") {
			looking = append(looking, name)
		}
	}
	files := idxFolderFiles{dir: dir}
	for r, role := range roles {
		switch len(stems[r]) {
		case 0:
		case 1:
			files.paths[r] = filepath.Join(dir, stems[r][0])
			if !present[stems[r][0]] {
				files.paths[r] += gzSuffix
			}
		default:
			return files, idxFolderError(dir, looking, nil,
				fmt.Sprintf("%d files could be the %s: %s", len(stems[r]), role.what, strings.Join(stems[r], ", ")))
		}
	}
	for _, r := range []int{roleTrainImages, roleTrainLabels} {
		if files.paths[r] == "" {
			return files, idxFolderError(dir, looking, fs.ErrNotExist, "no "+roles[r].what+" file")
		}
	}
	if (files.paths[roleTestImages] == "") != (files.paths[roleTestLabels] == "") {
		missing, other := roleTestImages, roleTestLabels
		if files.paths[roleTestImages] != "" {
			missing, other = roleTestLabels, roleTestImages
		}
		return files, idxFolderError(dir, looking, fs.ErrNotExist,
			fmt.Sprintf("no %s file to go with %s", roles[missing].what, filepath.Base(files.paths[other])))
	}
	return files, nil
}

// idxFolderError is the refusal of a folder: what is wrong, the
// IDX-looking files found and the names expected. It wraps ErrIDXFolder,
// and also, when not nil (fs.ErrNotExist for a missing file).
func idxFolderError(dir string, looking []string, also error, problem string) error {
	found := "no IDX-looking files"
	if len(looking) > 0 {
		slices.Sort(looking)
		found = "IDX-looking files found: " + strings.Join(looking, ", ")
	}
	expected := "expected train-images* and train-labels*, and optionally t10k-images* (or test-images*) and t10k-labels* (or test-labels*), each raw or .gz, " +
		"such as MNIST's " + strings.Join([]string{mnistTrainImages, mnistTrainLabels, mnistTestImages, mnistTestLabels}, ", ")
	if also != nil {
		return fmt.Errorf("IDX folder %s: %w: %s (%w); %s; %s", dir, ErrIDXFolder, problem, also, found, expected)
	}
	return fmt.Errorf("IDX folder %s: %w: %s; %s; %s", dir, ErrIDXFolder, problem, found, expected)
}
