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
	g = &Graph{Scope: o.scope()}
	loss := fn(g.Scope)
	if o.Training {
		g.Loss = loss
		if _, err := G.Grad(g.Loss, g.ParamNodes()...); err != nil {
			return nil, fmt.Errorf("models: gradients: %w", err)
		}
	}
	return g, nil
}
