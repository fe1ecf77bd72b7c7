package datasets

// ImageLoader loads the training and test sets from dir ("" means the set's default location).
type ImageLoader func(dir string) (train, test *Images, err error)

// ImageSource is a named image-classification data set and how to normalise its pixels.
type ImageSource struct {
	Load        ImageLoader
	Norm        Normalization
	Description string
}

// ImageSets lists the image data sets by the name used in configs (data.name).
var ImageSets = map[string]ImageSource{
	"mnist": {
		Load:        LoadMNIST,
		Norm:        MNISTNorm,
		Description: "MNIST handwritten digits, 60k train / 10k test, 28x28, embedded in the binary",
	},
	"fashion-mnist": {
		Load:        LoadFashionMNIST,
		Norm:        FashionMNISTNorm,
		Description: "Fashion-MNIST Zalando article images, 60k train / 10k test, 28x28, from " + FashionMNISTDir,
	},
}
