package experiment

import (
	"context"
	"fmt"

	"github.com/gorgonet/gorgonet/config"
	"github.com/gorgonet/gorgonet/datasets"
	"github.com/gorgonet/gorgonet/graphs"
	"github.com/gorgonet/gorgonet/models"
	"github.com/gorgonet/gorgonet/snapshot"
)

// ImageData is the data of an image-classification run, split three ways.
type ImageData struct {
	Train, Val, Test *datasets.Images
	Info             snapshot.DataInfo
}

// loadImageData loads the images of d with load and splits off the validation set with seed.
func loadImageData(load datasets.ImageLoader, norm datasets.Normalization, d config.Data, seed uint64) (*ImageData, error) {
	train, test, err := load(d.Path)
	if err != nil {
		return nil, err
	}
	tr, val := datasets.SplitValidation(train, d.ValFraction, seed)
	tr = tr.Limit(d.Limit)
	info := snapshot.DataInfo{Input: [3]int{1, train.Rows, train.Cols}, Classes: train.Classes, Norm: norm}
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

// imageTask classifies images.
type imageTask struct {
	*ImageData
	spec models.Spec
	cfg  config.Experiment

	batch  models.Batch // training batches, written by Batch
	labels []int
}

// imageSet is the task of an image data set that load reads and norm normalises.
func imageSet(load datasets.ImageLoader, norm datasets.Normalization) TaskLoader {
	return func(cfg config.Experiment, saved *snapshot.DataInfo) (Task, error) {
		return loadImageTask(load, norm, cfg, saved)
	}
}

func loadImageTask(load datasets.ImageLoader, norm datasets.Normalization, cfg config.Experiment, saved *snapshot.DataInfo) (Task, error) {
	d, err := loadImageData(load, norm, cfg.Data, cfg.Seed)
	if err != nil {
		return nil, err
	}
	if err := checkSaved(saved, d.Info, cfg.Data.Name); err != nil {
		return nil, err
	}
	spec, err := ModelSpec(cfg.Model, d.Info)
	if err != nil {
		return nil, err
	}
	return &imageTask{ImageData: d, spec: spec, cfg: cfg}, nil
}

func (t *imageTask) Info() snapshot.DataInfo { return t.ImageData.Info }
func (t *imageTask) Sizes() (train, val int) { return t.Train.N, t.Val.N }
func (t *imageTask) Batches(epoch int) [][]int {
	return datasets.Batches(datasets.EpochOrder(t.Train.N, t.cfg.Seed, epoch), t.cfg.Train.BatchSize)
}

func (t *imageTask) NewGraph(_ int, shared []*graphs.Param, seed uint64) (*models.Graph, error) {
	return classifierGraph(t.spec, t.cfg.Train.BatchSize, shared, seed)
}

// classifierGraph is the training graph of a classifier task (images, text): one shape.
func classifierGraph(spec models.Spec, batch int, shared []*graphs.Param, seed uint64) (*models.Graph, error) {
	net, err := models.BuildClassifier(spec, models.BuildOptions{Batch: batch, Training: true, Seed: seed, Shared: shared})
	if err != nil {
		return nil, err
	}
	return net.Graph, nil
}

// Batch writes images idx, normalised, as (B, C, H, W) with their one-hot targets; the
// padding rows of a short last batch are zero.
func (t *imageTask) Batch(idx []int) models.Batch {
	b, per := t.cfg.Train.BatchSize, t.ImageData.Info.Input[0]*t.ImageData.Info.Input[1]*t.ImageData.Info.Input[2]
	if t.batch.Inputs == nil {
		t.batch = models.Batch{Inputs: map[string][]float32{"input": make([]float32, b*per), "targets": make([]float32, b*t.spec.Classes)}}
		t.labels = make([]int, b)
	}
	x := t.batch.Inputs["input"]
	t.Train.FillNCHW(x[:len(idx)*per], idx, t.ImageData.Info.Norm)
	clear(x[len(idx)*per:])
	for i, j := range idx {
		t.labels[i] = int(t.Train.Labels[j])
	}
	graphs.FillTargets(t.batch.Inputs["targets"], t.labels, len(idx), t.spec.Classes)
	t.batch.Examples = len(idx)
	return t.batch
}

func (t *imageTask) NewEvaluator(params []*graphs.Param, batch int) (Evaluator, error) {
	ev, err := NewClassifierEvaluator(t.spec, params, batch)
	if err != nil {
		return nil, err
	}
	return &imageSplits{ClassifierEvaluator: ev, data: t.ImageData}, nil
}

// imageSplits evaluates on the task's splits by name.
type imageSplits struct {
	*ClassifierEvaluator
	data *ImageData
}

func (e *imageSplits) Evaluate(ctx context.Context, split string, o EvalOptions) (Metrics, error) {
	im, err := e.data.Split(split)
	if err != nil {
		return Metrics{}, err
	}
	keep := 0
	if o.Plots {
		keep = plotMistakes
	}
	return e.evaluateImages(ctx, split, im, e.data.Info.Norm, keep)
}
