package graphs

import (
	"fmt"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// linearOp is a fused x·Wᵀ + b: x (B, in), weight (out, in) and bias (1, out) give
// (B, out). The weight stays in PyTorch's layout and BLAS reads it transposed, so no
// transpose is materialised.
type linearOp struct {
	fusedOp
	batch, in, outF int
	out             buffer
}

func (op *linearOp) Arity() int    { return 3 }
func (op *linearOp) Type() hm.Type { return fnType(2, 2, 2, 2) }
func (op *linearOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return tensor.Shape{op.batch, op.outF}, nil
}
func (op *linearOp) DiffWRT(int) []bool { return []bool{true, true, true} }

func (op *linearOp) SymDiff(inputs G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	grads := make(G.Nodes, 3)
	for i := range grads {
		n, err := G.ApplyOp(&linearGradOp{fusedOp: newFusedOp("linear-grad"), fwd: op, wrt: i}, inputs[0], inputs[1], inputs[2], grad)
		if err != nil {
			return nil, err
		}
		grads[i] = n
	}
	return grads, nil
}

func (op *linearOp) Do(vals ...G.Value) (G.Value, error) {
	dt := vals[0].Dtype()
	out := op.out.get(dt, tensor.Shape{op.batch, op.outF})
	switch dt {
	case tensor.Float32:
		linearForward(op, data[float32](vals[0]), data[float32](vals[1]), data[float32](vals[2]), data[float32](out))
	case tensor.Float64:
		linearForward(op, data[float64](vals[0]), data[float64](vals[1]), data[float64](vals[2]), data[float64](out))
	default:
		return nil, fmt.Errorf("linear: unsupported type %v", dt)
	}
	return out, nil
}

func linearForward[T float](op *linearOp, x, w, bias, out []T) {
	gemm(false, true, op.batch, op.outF, op.in, 1, x, w, 0, out) // (B, out) = x · Wᵀ
	for r := 0; r < op.batch; r++ {
		row := out[r*op.outF:][:op.outF]
		for j := range row {
			row[j] += bias[j]
		}
	}
}

// linearGradOp is the gradient of a linearOp's output with respect to input wrt (0 x,
// 1 weight, 2 bias); its inputs are the forward inputs and the output's gradient.
type linearGradOp struct {
	fusedOp
	fwd *linearOp
	wrt int
	out buffer
}

func (op *linearGradOp) Arity() int    { return 4 }
func (op *linearGradOp) Type() hm.Type { return fnType(2, 2, 2, 2, 2) }
func (op *linearGradOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, ok := in[op.wrt].(tensor.Shape)
	if !ok {
		return nil, fmt.Errorf("linear-grad: input %d has no shape", op.wrt)
	}
	return s.Clone(), nil
}

func (op *linearGradOp) Do(vals ...G.Value) (G.Value, error) {
	dt := vals[0].Dtype()
	out := op.out.get(dt, vals[op.wrt].Shape())
	switch dt {
	case tensor.Float32:
		linearBackward(op, data[float32](vals[0]), data[float32](vals[1]), data[float32](vals[3]), data[float32](out))
	case tensor.Float64:
		linearBackward(op, data[float64](vals[0]), data[float64](vals[1]), data[float64](vals[3]), data[float64](out))
	default:
		return nil, fmt.Errorf("linear-grad: unsupported type %v", dt)
	}
	return out, nil
}

func linearBackward[T float](op *linearGradOp, x, w, dOut, grad []T) {
	f := op.fwd
	switch op.wrt {
	case 0: // dx (B, in) = dOut · W
		gemm(false, false, f.batch, f.in, f.outF, 1, dOut, w, 0, grad)
	case 1: // dW (out, in) = dOutᵀ · x
		gemm(true, false, f.outF, f.in, f.batch, 1, dOut, x, 0, grad)
	case 2: // db = Σ_rows dOut
		clear(grad)
		for r := 0; r < f.batch; r++ {
			for j, v := range dOut[r*f.outF:][:f.outF] {
				grad[j] += v
			}
		}
	}
}
