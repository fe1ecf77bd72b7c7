package models

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gorgonet/gorgonet/graphs"
)

// Graph is what every built model graph has: its scope (parameters, dropout masks, carried
// states) and, in training graphs, the scalar loss whose gradients the graph computes.
type Graph struct {
	Scope *graphs.Scope
	Loss  *G.Node // nil in evaluation graphs
	Batch int     // examples (sequences, for a stream) per run, BuildOptions.Batch
}

// Batch is a batch of examples written as a model's inputs, the form in which training,
// evaluation, classification and generation feed a graph (the beam decoder's encoder,
// decode.go, writes its own inputs): a buffer per input name, as long as that input (padding
// rows past the batch's examples are the writer's business), and the shape of the graph it
// fits.
type Batch struct {
	// Shape picks the graph among those of one model: 0 is the model's full graph; a task
	// with length groups gives the sequence length of a shorter one.
	Shape  int
	Inputs map[string][]float32
	// Examples is how many examples (characters, for a stream) the batch holds, for progress.
	Examples int
	// Reset starts the carried recurrent states from zeros (the first chunk of a stream).
	Reset bool
}

// Fill copies b's inputs into the graph's input nodes of the same names. The batch must
// hold every input of the graph; it may hold more (targets, which evaluation graphs lack).
func (g *Graph) Fill(b Batch) error {
	for name, n := range g.Scope.Inputs() {
		src, ok := b.Inputs[name]
		if !ok {
			return fmt.Errorf("models: the batch lacks the graph's input %q", name)
		}
		dst := graphs.Float32s(n)
		if len(src) != len(dst) {
			return fmt.Errorf("models: batch input %q holds %d values, the graph's %v needs %d", name, len(src), n.Shape(), len(dst))
		}
		copy(dst, src)
	}
	if b.Reset {
		for _, st := range g.Scope.States() {
			st.Reset()
		}
	}
	return nil
}

// NewBatch allocates a batch with a zeroed buffer for each of g's inputs, to be refilled for
// every batch: its buffers fit g and any graph with the same inputs.
func (g *Graph) NewBatch() Batch {
	b := Batch{Inputs: map[string][]float32{}}
	for name, n := range g.Scope.Inputs() {
		b.Inputs[name] = make([]float32, n.Shape().TotalSize())
	}
	return b
}

// Params lists the learnable parameters in creation order.
func (g *Graph) Params() []*graphs.Param { return g.Scope.Params() }

// ParamNodes lists the parameter nodes, for differentiation and BindDualValues.
func (g *Graph) ParamNodes() []*G.Node {
	ns := make([]*G.Node, 0, len(g.Params()))
	for _, p := range g.Params() {
		ns = append(ns, p.Node)
	}
	return ns
}

// BuildOptions are the choices made per graph: batch size, training or evaluation, and
// where the parameter values come from.
type BuildOptions struct {
	Batch    int
	Training bool
	Dtype    tensor.Dtype    // default Float32
	Seed     uint64          // initialises new parameters
	Shared   []*graphs.Param // reuse these values instead of initialising (evaluation graphs)
	// LabelSmoothing is the loss's label smoothing, in [0, 1), for the graphs whose targets
	// are class indices (BuildSeq2Seq); the others take smoothed target rows.
	LabelSmoothing float64
}

func (o BuildOptions) scope() *graphs.Scope {
	if o.Dtype == (tensor.Dtype{}) {
		o.Dtype = tensor.Float32
	}
	if o.Shared != nil {
		return graphs.NewSharedScope(o.Dtype, o.Shared, o.Training)
	}
	return graphs.NewScope(o.Dtype, o.Seed, o.Training)
}

// build runs fn on a new scope for o and, in training graphs, differentiates the loss fn
// sets. Graph-building panics (misuse that Validate should have caught) come back as errors.
func build(o BuildOptions, fn func(s *graphs.Scope) *G.Node) (g *Graph, err error) {
	defer func() {
		if r := recover(); r != nil {
			g, err = nil, fmt.Errorf("models: building the graph: %v", r)
		}
	}()
	g = &Graph{Scope: o.scope(), Batch: o.Batch}
	loss := fn(g.Scope)
	if o.Training {
		g.Loss = loss
		if _, err := G.Grad(g.Loss, g.ParamNodes()...); err != nil {
			return nil, fmt.Errorf("models: gradients: %w", err)
		}
	}
	return g, nil
}
