package models

import (
	G "gorgonia.org/gorgonia"

	"github.com/gorgonet/gorgonet/graphs"
)

// Classifier is a built classification graph for a fixed batch size: inputs the caller fills
// before each run, the logits, and in training graphs the loss.
type Classifier struct {
	*Graph
	Input   *G.Node // (B, …) the examples: pixels, feature rows or token ids
	Mask    *G.Node // (B, T) 1 for real steps, 0 for padding; nil unless the Spec is Masked
	Targets *G.Node // (B, classes) weighted one-hot rows, see graphs.SoftmaxCrossEntropy
	Logits  *G.Node // (B, classes)
}

// Builder adds a network to s for inputs x (and their mask, nil for unmasked inputs) and
// returns its logits.
type Builder func(s *graphs.Scope, x, mask *G.Node) *G.Node

// Spec says how to build one classifier: the network, the shape of one example, whether
// examples are padded sequences with a mask, and the number of classes.
type Spec struct {
	Build   Builder
	Example []int
	Masked  bool
	Classes int
	// Name and size name the network in the memory check made before building it; a Spec
	// without a size is not checked.
	Name string
	size footprint
}

// CNNSpec is the Spec of a CNN classifier.
func CNNSpec(c CNNConfig) Spec {
	return Spec{Build: func(s *graphs.Scope, x, _ *G.Node) *G.Node { return CNN(s, x, c) }, Example: c.Input[:], Classes: c.Classes,
		Name: "cnn", size: c.footprint()}
}

// BuildClassifier builds the classification graph of spec.
func BuildClassifier(spec Spec, o BuildOptions) (*Classifier, error) {
	if err := checkMemory(spec.Name, spec.size, o); err != nil {
		return nil, err
	}
	c := &Classifier{}
	g, err := build(o, func(s *graphs.Scope) *G.Node {
		c.Input = s.Input("input", append([]int{o.Batch}, spec.Example...)...)
		if spec.Masked {
			c.Mask = s.Input("mask", o.Batch, spec.Example[0])
		}
		c.Logits = spec.Build(s, c.Input, c.Mask)
		if !o.Training {
			return nil
		}
		c.Targets = s.Input("targets", o.Batch, spec.Classes)
		return graphs.SoftmaxCrossEntropy(c.Logits, c.Targets)
	})
	if err != nil {
		return nil, err
	}
	c.Graph = g
	return c, nil
}
