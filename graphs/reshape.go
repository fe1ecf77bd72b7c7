package graphs

import (
	"fmt"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Reshape is x seen with shape (the same elements in the same order). Unlike Gorgonia's
// Reshape, which clones the tensor's header on every run, its op keeps one view of its input's
// data and returns it again while the input's buffer stays the same.
func Reshape(x *G.Node, shape tensor.Shape) *G.Node {
	if x.Shape().TotalSize() != shape.TotalSize() {
		panic(fmt.Sprintf("graphs: cannot reshape %v to %v", x.Shape(), shape))
	}
	op := &reshapeOp{fusedOp: newFusedOp("reshape"), from: x.Shape().Clone(), to: shape.Clone()}
	return must(G.ApplyOp(op, x))
}

type reshapeOp struct {
	fusedOp
	from, to tensor.Shape
	src      *tensor.Dense // the input the view was made of
	view     *tensor.Dense
}

func (op *reshapeOp) Arity() int                                     { return 1 }
func (op *reshapeOp) Type() hm.Type                                  { return fnType(len(op.to), len(op.from)) }
func (op *reshapeOp) InferShape(...G.DimSizer) (tensor.Shape, error) { return op.to.Clone(), nil }
func (op *reshapeOp) DiffWRT(int) []bool                             { return []bool{true} }
func (op *reshapeOp) ReturnsPtr() bool                               { return true } // a view of its input

func (op *reshapeOp) SymDiff(_ G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	return G.Nodes{Reshape(grad, op.from)}, nil
}

func (op *reshapeOp) Do(vals ...G.Value) (G.Value, error) {
	d, ok := vals[0].(*tensor.Dense)
	if !ok || d.IsScalar() {
		return nil, fmt.Errorf("reshape: unsupported value %T", vals[0])
	}
	if d.IsView() { // a slice of another tensor: its elements in order, copied
		d = d.Materialize().(*tensor.Dense)
	}
	if d != op.src || op.view == nil || op.view.Uintptr() != d.Uintptr() {
		op.src = d
		op.view = tensor.New(tensor.WithShape(op.to...), tensor.WithBacking(d.Data()))
	}
	return op.view, nil
}
