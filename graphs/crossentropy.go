package graphs

import (
	"fmt"
	"math"

	"github.com/chewxy/hm"
	"github.com/gorgonet/gorgonet/kernels"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// crossEntropyOp is the fused loss −Σᵢⱼ Tᵢⱼ·log softmax(logits)ᵢⱼ of (N, C) logits and
// targets, a scalar. Gorgonia's LogSoftMax starts a goroutine per row and allocates on every
// run, which language models with (B·T, vocab) logits cannot afford; this op keeps the
// softmax of the last run for its gradient and allocates nothing after the first run.
type crossEntropyOp struct {
	fusedOp
	rows, classes int
	workers       int
	prob          buffer    // softmax(logits) of the last run, (N, C)
	rowWeight     []float64 // Σⱼ Tᵢⱼ of the last run
	partial       []float64 // each worker's share of the loss
	loss32        G.F32
	loss64        G.F64
}

func newCrossEntropyOp(rows, classes int) *crossEntropyOp {
	workers := defaultWorkers()
	if rows*classes < 1<<14 { // too small to pay for goroutines
		workers = 1
	}
	return &crossEntropyOp{fusedOp: newFusedOp("softmax-cross-entropy"), rows: rows, classes: classes, workers: workers,
		rowWeight: make([]float64, rows), partial: make([]float64, workers)}
}

func (op *crossEntropyOp) Arity() int { return 2 }
func (op *crossEntropyOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	return hm.NewFnType(G.TensorType{Dims: 2, Of: a}, G.TensorType{Dims: 2, Of: a}, a)
}
func (op *crossEntropyOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return tensor.ScalarShape(), nil
}
func (op *crossEntropyOp) DiffWRT(int) []bool { return []bool{true, false} }

// SymDiff gives the gradient op the loss node as an input as well: the incoming gradient of
// a loss is often a constant, and the dependency makes the gradient run after the forward
// op whose softmax it reads.
func (op *crossEntropyOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	n, err := G.ApplyOp(&crossEntropyGradOp{fusedOp: newFusedOp("softmax-cross-entropy-grad"), fwd: op}, inputs[0], inputs[1], output, grad)
	return G.Nodes{n, nil}, err
}

func (op *crossEntropyOp) Do(vals ...G.Value) (G.Value, error) {
	dt := vals[0].Dtype()
	prob := op.prob.get(dt, tensor.Shape{op.rows, op.classes})
	switch dt {
	case tensor.Float32:
		op.loss32 = G.F32(crossEntropyForward(op, data[float32](vals[0]), data[float32](vals[1]), data[float32](prob)))
		return &op.loss32, nil
	case tensor.Float64:
		op.loss64 = G.F64(crossEntropyForward(op, data[float64](vals[0]), data[float64](vals[1]), data[float64](prob)))
		return &op.loss64, nil
	}
	return nil, fmt.Errorf("softmax-cross-entropy: unsupported type %v", dt)
}

// crossEntropyForward writes softmax(logits) into prob and returns the loss, summed in
// float64 in a fixed order. Each term Tᵢⱼ·(max−xᵢⱼ + log Σ exp(x−max)) is a product of
// non-negative numbers, so nothing overflows or cancels for any finite logits.
func crossEntropyForward[T float](op *crossEntropyOp, logits, targets, prob []T) float64 {
	c := op.classes
	parallel(op.rows, op.workers, func(w, lo, hi int) {
		var loss float64
		for i := lo; i < hi; i++ {
			x, tg, p := logits[i*c:][:c], targets[i*c:][:c], prob[i*c:][:c]
			mx := rowMax(x)
			sum := expRow(x, p, mx)
			logSum, inv := math.Log(sum), 1/sum
			var weight float64
			for j, tv := range tg {
				weight += float64(tv)
				if tv != 0 {
					loss += float64(tv) * (float64(mx) - float64(x[j]) + logSum)
				}
				p[j] = T(float64(p[j]) * inv)
			}
			op.rowWeight[i] = weight
		}
		op.partial[w] = loss
	})
	var loss float64
	for _, l := range op.partial[:min(op.workers, op.rows)] {
		loss += l
	}
	return loss
}

// expRow sets p[j] = e^(x[j]−mx) for the row's maximum mx and returns their sum: in float32
// with the vectorised kernel, in float64 with math.Exp for the gradient checks.
func expRow[T float](x, p []T, mx T) float64 {
	if x32, ok := any(x).([]float32); ok {
		return float64(kernels.ExpShiftedSum(any(p).([]float32), x32, float32(mx)))
	}
	var sum float64
	for j, v := range x {
		e := math.Exp(float64(v) - float64(mx))
		p[j] = T(e)
		sum += e
	}
	return sum
}

// crossEntropyGradOp is the loss's gradient w.r.t. the logits, (softmax·Σⱼ Tᵢⱼ − T)·g; its
// inputs are the logits, the targets, the loss and the loss's gradient g.
type crossEntropyGradOp struct {
	fusedOp
	fwd *crossEntropyOp
	out buffer
}

func (op *crossEntropyGradOp) Arity() int { return 4 }
func (op *crossEntropyGradOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	m := G.TensorType{Dims: 2, Of: a}
	return hm.NewFnType(m, m, a, a, m)
}
func (op *crossEntropyGradOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return tensor.Shape{op.fwd.rows, op.fwd.classes}, nil
}

func (op *crossEntropyGradOp) Do(vals ...G.Value) (G.Value, error) {
	dt := vals[0].Dtype()
	out := op.out.get(dt, tensor.Shape{op.fwd.rows, op.fwd.classes})
	switch dt {
	case tensor.Float32:
		g, err := scalarOf[float32](vals[3])
		if err != nil {
			return nil, err
		}
		crossEntropyBackward(op.fwd, data[float32](vals[1]), g, data[float32](out))
	case tensor.Float64:
		g, err := scalarOf[float64](vals[3])
		if err != nil {
			return nil, err
		}
		crossEntropyBackward(op.fwd, data[float64](vals[1]), g, data[float64](out))
	default:
		return nil, fmt.Errorf("softmax-cross-entropy-grad: unsupported type %v", dt)
	}
	return out, nil
}

func crossEntropyBackward[T float](op *crossEntropyOp, targets []T, g T, grad []T) {
	c := op.classes
	prob := data[T](op.prob.t)
	parallel(op.rows, op.workers, func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			w := T(op.rowWeight[i])
			p, tg, d := prob[i*c:][:c], targets[i*c:][:c], grad[i*c:][:c]
			for j := range d {
				d[j] = (p[j]*w - tg[j]) * g
			}
		}
	})
}

// scalarOf reads a one-element value: a Gorgonia scalar or a tensor of size 1.
func scalarOf[T float](v G.Value) (T, error) {
	switch v := v.(type) {
	case *G.F32:
		return T(*v), nil
	case *G.F64:
		return T(*v), nil
	case tensor.Tensor:
		if v.Shape().TotalSize() == 1 {
			switch d := v.Data().(type) {
			case float32:
				return T(d), nil
			case float64:
				return T(d), nil
			case []float32:
				return T(d[0]), nil
			case []float64:
				return T(d[0]), nil
			}
		}
	}
	return 0, fmt.Errorf("graphs: want a scalar gradient, got %T of shape %v", v, v.Shape())
}
