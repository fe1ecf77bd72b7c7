package datasets

import "fmt"

// Images is a labelled set of single-channel images kept as raw bytes (0..255) to save memory
// (60k MNIST images = 47 MB as bytes).
type Images struct {
	N, Rows, Cols int
	Pixels        []byte   // N*Rows*Cols, row-major
	Labels        []uint8  // N
	Classes       []string // class names, index = label
}

// Normalization maps a pixel p in 0..255 to (p/255 - Mean)/Std. The zero value leaves p/255 as is.
type Normalization struct{ Mean, Std float32 }

// LoadImages reads an IDX image file [N,rows,cols] and an IDX label file [N], gzipped or raw,
// and checks that the counts agree and every label names one of classes.
func LoadImages(imagesPath, labelsPath string, classes []string) (*Images, error) {
	images, err := OpenIDX(imagesPath)
	if err != nil {
		return nil, err
	}
	labels, err := OpenIDX(labelsPath)
	if err != nil {
		return nil, err
	}
	return newImages(imagesPath, images, labelsPath, labels, classes)
}

// newImages checks decoded image and label files against each other and wraps them without copying.
func newImages(imagesName string, images *IDX, labelsName string, labels *IDX, classes []string) (*Images, error) {
	if len(images.Dims) != 3 {
		return nil, fmt.Errorf("datasets: %s: want 3 dimensions (images, rows, columns), got shape %v", imagesName, images.Dims)
	}
	if len(labels.Dims) != 1 {
		return nil, fmt.Errorf("datasets: %s: want 1 dimension (labels), got shape %v", labelsName, labels.Dims)
	}
	n := images.Dims[0]
	if labels.Dims[0] != n {
		return nil, fmt.Errorf("datasets: %s has %d images but %s has %d labels", imagesName, n, labelsName, labels.Dims[0])
	}
	for i, label := range labels.Data {
		if int(label) >= len(classes) {
			return nil, fmt.Errorf("datasets: %s: label %d of example %d is out of range for %d classes", labelsName, label, i, len(classes))
		}
	}
	return &Images{
		N: n, Rows: images.Dims[1], Cols: images.Dims[2],
		Pixels: images.Data, Labels: labels.Data, Classes: classes,
	}, nil
}

// Image returns the Rows*Cols pixels of example i (shared with im, not copied).
func (im *Images) Image(i int) []byte {
	size := im.Rows * im.Cols
	return im.Pixels[i*size : (i+1)*size : (i+1)*size]
}

// Subset copies the examples idx, in that order, into a new set sharing im's Classes.
func (im *Images) Subset(idx []int) *Images {
	size := im.Rows * im.Cols
	out := &Images{
		N: len(idx), Rows: im.Rows, Cols: im.Cols,
		Pixels:  make([]byte, len(idx)*size),
		Labels:  make([]uint8, len(idx)),
		Classes: im.Classes,
	}
	for j, i := range idx {
		copy(out.Pixels[j*size:(j+1)*size], im.Image(i))
		out.Labels[j] = im.Labels[i]
	}
	return out
}

// Limit keeps the first n examples (n <= 0 or n >= N keeps all). Apply it after SplitValidation,
// whose training set is shuffled, so a limited run is still class-balanced in expectation.
// The result shares memory with im.
func (im *Images) Limit(n int) *Images {
	if n <= 0 || n >= im.N {
		return im
	}
	end := n * im.Rows * im.Cols
	out := *im
	out.N = n
	out.Pixels = im.Pixels[:end:end]
	out.Labels = im.Labels[:n:n]
	return &out
}

// FillNCHW writes the images idx as float32 into dst (len(idx)*Rows*Cols values, layout [B,1,H,W])
// as (pixel/255 - mean)/std. It does not allocate; it panics if dst has the wrong length.
func (im *Images) FillNCHW(dst []float32, idx []int, norm Normalization) {
	size := im.Rows * im.Cols
	if len(dst) != len(idx)*size {
		panic(fmt.Sprintf("datasets: FillNCHW: dst has %d values, want %d (%d images of %dx%d)",
			len(dst), len(idx)*size, len(idx), im.Rows, im.Cols))
	}
	std := norm.Std
	if std == 0 {
		std = 1
	}
	var table [256]float32 // one entry per byte value: cheaper than a division per pixel
	for p := range table {
		table[p] = (float32(p)/255 - norm.Mean) / std
	}
	for j, i := range idx {
		out := dst[j*size : (j+1)*size]
		for k, p := range im.Image(i) {
			out[k] = table[p]
		}
	}
}
