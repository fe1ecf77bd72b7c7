package experiment

import (
	"fmt"
	"sort"
	"strings"

	"github.com/gorgonet/gorgonet/config"
	"github.com/gorgonet/gorgonet/datasets"
	"github.com/gorgonet/gorgonet/models"
)

// DataInfo is what a trained model needs to know about its data to run on new inputs. It
// travels inside checkpoints so that eval and predict need nothing else.
type DataInfo struct {
	Input   [3]int                 `json:"input"`   // channels, height, width
	Classes []string               `json:"classes"` // label names, index = label
	Norm    datasets.Normalization `json:"normalization"`
}

// ImageData is the data of an image-classification run, split three ways.
type ImageData struct {
	Train, Val, Test *datasets.Images
	Info             DataInfo
}

// LoadImageData loads the data set d names and splits off the validation set with seed.
func LoadImageData(d config.Data, seed uint64) (*ImageData, error) {
	src, ok := datasets.ImageSets[d.Name]
	if !ok {
		return nil, fmt.Errorf("data.name: unknown data set %q (known: %s)", d.Name, strings.Join(sortedKeys(datasets.ImageSets), ", "))
	}
	train, test, err := src.Load(d.Path)
	if err != nil {
		return nil, err
	}
	tr, val := datasets.SplitValidation(train, d.ValFraction, seed)
	tr = tr.Limit(d.Limit)
	info := DataInfo{Input: [3]int{1, train.Rows, train.Cols}, Classes: train.Classes, Norm: src.Norm}
	return &ImageData{Train: tr, Val: val, Test: test, Info: info}, nil
}

// Split returns the named evaluation split.
func (d *ImageData) Split(name string) (*datasets.Images, error) {
	switch name {
	case "test":
		return d.Test, nil
	case "val":
		if d.Val.N == 0 {
			return nil, fmt.Errorf("the run has no validation split (data.val_fraction is 0)")
		}
		return d.Val, nil
	case "train":
		return d.Train, nil
	}
	return nil, fmt.Errorf("unknown split %q: want test, val or train", name)
}

// ModelBuilder turns the model section of a config into a classifier sized for the data.
type ModelBuilder func(m config.Model, info DataInfo) (models.Spec, error)

// Models lists the model kinds by the name used in configs (model.kind).
var Models = map[string]ModelBuilder{
	"cnn": cnnSpec,
}

// ModelSpec is the classifier the experiment's model section describes, sized for info.
func ModelSpec(m config.Model, info DataInfo) (models.Spec, error) {
	build, ok := Models[m.Kind]
	if !ok {
		return models.Spec{}, fmt.Errorf("model.kind: unknown model %q (known: %s)", m.Kind, strings.Join(sortedKeys(Models), ", "))
	}
	return build(m, info)
}

func cnnSpec(m config.Model, info DataInfo) (models.Spec, error) {
	c := models.CNNConfig{
		Input: info.Input, Classes: len(info.Classes),
		Channels: m.CNN.Channels, Kernel: m.CNN.Kernel, Hidden: m.CNN.Hidden, Dropout: m.CNN.Dropout,
	}
	if err := c.Validate(); err != nil {
		return models.Spec{}, fmt.Errorf("model.%v", err)
	}
	return models.CNNSpec(c), nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
