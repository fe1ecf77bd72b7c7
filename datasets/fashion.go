package datasets

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// Fashion-MNIST: Zalando Research's article images (Han Xiao, Kashif Rasul, Roland Vollgraf,
// arXiv:1708.07747), Copyright (c) 2017 Zalando SE, MIT license. Not embedded: Debian's
// dataset-fashion-mnist package installs it in FashionMNISTDir.

// FashionMNISTDir is where the Debian package FashionMNISTPackage installs Fashion-MNIST.
const (
	FashionMNISTDir     = "/usr/share/datasets/fashion-mnist"
	FashionMNISTPackage = "dataset-fashion-mnist"
)

// FashionMNISTNorm is the mean and standard deviation of the Fashion-MNIST training pixels (scaled to 0..1).
var FashionMNISTNorm = Normalization{Mean: 0.2860, Std: 0.3530}

// FashionMNISTClasses names the Fashion-MNIST labels.
var FashionMNISTClasses = []string{
	"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
	"Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
}

// LoadFashionMNIST loads the 60k training and 10k test images from dir ("" means FashionMNISTDir),
// which holds the same four file names as MNIST, each gzipped (.gz) or raw.
func LoadFashionMNIST(dir string) (train, test *Images, err error) {
	if dir == "" {
		dir = FashionMNISTDir
	}
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return nil, nil, fmt.Errorf("datasets: Fashion-MNIST directory %s does not exist; the Debian package %s provides %s (apt-get install %s)",
			dir, FashionMNISTPackage, FashionMNISTDir, FashionMNISTPackage)
	}
	return loadIDXDir(dir, FashionMNISTClasses)
}
