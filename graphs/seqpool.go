package graphs

import (
	"fmt"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// MeanPool averages x (B, T, d) over its real steps, mask (B, T) being 1 for real steps and 0
// for padding, giving (B, d); nil mask averages all steps (x.mean(dim=1)). A row without real
// steps gives zeros.
func MeanPool(x, mask *G.Node) *G.Node {
	if x.Dims() != 3 {
		panic(fmt.Sprintf("graphs: MeanPool wants a (B, T, d) input, got %v", x.Shape()))
	}
	b, t, d := x.Shape()[0], x.Shape()[1], x.Shape()[2]
	if mask == nil {
		ones := tensor.New(tensor.WithShape(b, t), tensor.Of(x.Dtype()))
		fill(ones, func() float64 { return 1 }) // all steps real
		mask = G.NewConstant(ones)
	}
	if !mask.Shape().Eq(tensor.Shape{b, t}) {
		panic(fmt.Sprintf("graphs: MeanPool mask has shape %v, want (%d, %d)", mask.Shape(), b, t))
	}
	return must(G.ApplyOp(newMeanPoolOp("mean-pool", b, t, d, false), x, mask))
}

// meanPoolOp is MeanPool; its gradient op (grad = true) maps (x, mask, dOut) to dx.
type meanPoolOp struct {
	fusedOp
	b, t, d  int
	grad     bool
	outShape tensor.Shape // (B, d), or (B, T, d) for the gradient
	out      buffer
}

func (op *meanPoolOp) Arity() int {
	if op.grad {
		return 3
	}
	return 2
}

func (op *meanPoolOp) Type() hm.Type {
	if op.grad {
		return fnType(3, 3, 2, 2)
	}
	return fnType(2, 3, 2)
}

func (op *meanPoolOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return op.outShape.Clone(), nil
}

// newMeanPoolOp is MeanPool's op over x (B, T, d), or its gradient op (dx: (B, T, d)).
func newMeanPoolOp(name string, b, t, d int, grad bool) *meanPoolOp {
	op := &meanPoolOp{fusedOp: newFusedOp(name), b: b, t: t, d: d, grad: grad, outShape: tensor.Shape{b, d}}
	if grad {
		op.outShape = tensor.Shape{b, t, d}
	}
	return op
}

func (op *meanPoolOp) DiffWRT(int) []bool { return []bool{true, false} }

func (op *meanPoolOp) SymDiff(inputs G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	g := newMeanPoolOp("mean-pool-grad", op.b, op.t, op.d, true)
	dx, err := G.ApplyOp(g, inputs[0], inputs[1], grad)
	return G.Nodes{dx, nil}, err
}

func (op *meanPoolOp) Do(vals ...G.Value) (G.Value, error) {
	dt := vals[0].Dtype()
	out := op.out.get(dt, op.outShape)
	switch dt {
	case tensor.Float32:
		meanPool(op, data[float32](vals[0]), data[float32](vals[1]), vals, data[float32](out))
	case tensor.Float64:
		meanPool(op, data[float64](vals[0]), data[float64](vals[1]), vals, data[float64](out))
	default:
		return nil, fmt.Errorf("mean-pool: unsupported type %v", dt)
	}
	return out, nil
}

func meanPool[T float](op *meanPoolOp, x, mask []T, vals []G.Value, out []T) {
	clear(out)
	for b := 0; b < op.b; b++ {
		var n T
		for t := 0; t < op.t; t++ {
			n += mask[b*op.t+t]
		}
		if n == 0 {
			continue
		}
		for t := 0; t < op.t; t++ {
			w := mask[b*op.t+t] / n
			if w == 0 {
				continue
			}
			if op.grad { // out is dx (B, T, d); vals[2] is dOut (B, d)
				g := data[T](vals[2])[b*op.d:][:op.d]
				row := out[(b*op.t+t)*op.d:][:op.d]
				for j := range row {
					row[j] = w * g[j]
				}
				continue
			}
			row, o := x[(b*op.t+t)*op.d:][:op.d], out[b*op.d:][:op.d]
			for j := range o {
				o[j] += w * row[j]
			}
		}
	}
}
