package models

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gorgonet/gorgonet/graphs"
)

// Classifier is a built classification graph for a fixed batch size: inputs the caller fills
// before each run, the logits, and in training graphs the loss.
type Classifier struct {
	Scope   *graphs.Scope
	Input   *G.Node // (B, …) the examples
	Targets *G.Node // (B, classes) weighted one-hot rows, see graphs.SoftmaxCrossEntropy
	Logits  *G.Node // (B, classes)
	Loss    *G.Node // scalar mean loss of the real rows; nil in evaluation graphs
}

// Builder adds a network to s for inputs x and returns its logits.
type Builder func(s *graphs.Scope, x *G.Node) *G.Node

// Spec says how to build one classifier: the network, the shape of one example and the
// number of classes.
type Spec struct {
	Build   Builder
	Example []int
	Classes int
}

// CNNSpec is the Spec of a CNN classifier.
func CNNSpec(c CNNConfig) Spec {
	return Spec{Build: func(s *graphs.Scope, x *G.Node) *G.Node { return CNN(s, x, c) }, Example: c.Input[:], Classes: c.Classes}
}

// BuildOptions are the choices made per graph: batch size, training or evaluation, and
// where the parameter values come from.
type BuildOptions struct {
	Batch    int
	Training bool
	Dtype    tensor.Dtype    // default Float32
	Seed     uint64          // initialises new parameters
	Shared   []*graphs.Param // reuse these values instead of initialising (evaluation graphs)
}

// BuildClassifier builds the classification graph of spec. Graph-building panics (misuse
// that Validate should have caught) come back as errors.
func BuildClassifier(spec Spec, o BuildOptions) (c *Classifier, err error) {
	defer func() {
		if r := recover(); r != nil {
			c, err = nil, fmt.Errorf("models: building the graph: %v", r)
		}
	}()
	if o.Dtype == (tensor.Dtype{}) {
		o.Dtype = tensor.Float32
	}
	s := graphs.NewScope(o.Dtype, o.Seed, o.Training)
	if o.Shared != nil {
		s = graphs.NewSharedScope(o.Dtype, o.Shared, o.Training)
	}
	c = &Classifier{Scope: s}
	c.Input = s.Input("input", append([]int{o.Batch}, spec.Example...)...)
	c.Logits = spec.Build(s, c.Input)
	if o.Training {
		c.Targets = s.Input("targets", o.Batch, spec.Classes)
		c.Loss = graphs.SoftmaxCrossEntropy(c.Logits, c.Targets)
		if _, err := G.Grad(c.Loss, c.ParamNodes()...); err != nil {
			return nil, fmt.Errorf("models: gradients: %w", err)
		}
	}
	return c, nil
}

// Params lists the learnable parameters in creation order.
func (c *Classifier) Params() []*graphs.Param { return c.Scope.Params() }

// ParamNodes lists the parameter nodes, for differentiation and BindDualValues.
func (c *Classifier) ParamNodes() []*G.Node {
	ns := make([]*G.Node, 0, len(c.Params()))
	for _, p := range c.Params() {
		ns = append(ns, p.Node)
	}
	return ns
}
