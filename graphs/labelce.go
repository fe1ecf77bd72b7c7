package graphs

import (
	"fmt"
	"math"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// LabelCrossEntropy is SoftmaxCrossEntropy with the targets given as class indices: labels
// (N) holds each row's class as a float, weights (N) its weight wᵢ, and smoothing ε spreads
// ε of each row's weight evenly over the C classes, as F.cross_entropy's label_smoothing:
//
//	loss = Σᵢ wᵢ·[(1−ε)·(lseᵢ − xᵢ,yᵢ) + ε·(lseᵢ − mean_j xᵢⱼ)],  lseᵢ = log Σⱼ exp xᵢⱼ
//
// It is exactly SoftmaxCrossEntropy of the targets wᵢ·((1−ε)·onehot(yᵢ) + ε/C), without the
// (N, C) target matrix, which for a vocabulary of thousands is as large as the logits and
// costs a pass to fill and one to read at every step. A row of weight 0 (padding) adds
// nothing, whatever its label; a label that is not an integer in [0, C) fails the run with an
// error naming its row. labels and weights get no gradient.
func LabelCrossEntropy(logits, labels, weights *G.Node, smoothing float64) *G.Node {
	if logits.Dims() != 2 || labels.Dims() != 1 || weights.Dims() != 1 ||
		labels.Shape()[0] != logits.Shape()[0] || weights.Shape()[0] != logits.Shape()[0] {
		panic(fmt.Sprintf("graphs: LabelCrossEntropy wants (N, C) logits and (N) labels and weights, got %v, %v and %v",
			logits.Shape(), labels.Shape(), weights.Shape()))
	}
	if !(smoothing >= 0 && smoothing < 1) {
		panic(fmt.Sprintf("graphs: LabelCrossEntropy smoothing must be in [0, 1), got %v", smoothing))
	}
	rows, classes := logits.Shape()[0], logits.Shape()[1]
	op := &labelCrossEntropyOp{crossEntropyOp: *newCrossEntropyOp(rows, classes), eps: smoothing, labels: make([]int32, rows)}
	op.fusedOp = newFusedOp("label-cross-entropy")
	op.bad = make([]int, op.workers)
	return must(G.ApplyOp(op, logits, labels, weights))
}

// labelCrossEntropyOp keeps, as crossEntropyOp does, the softmax of its last run and each
// row's weight for the gradient, and the labels it checked.
type labelCrossEntropyOp struct {
	crossEntropyOp
	eps    float64
	labels []int32
	bad    []int // per worker: the first row whose label is bad, or -1
}

func (op *labelCrossEntropyOp) Arity() int { return 3 }
func (op *labelCrossEntropyOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	return hm.NewFnType(G.TensorType{Dims: 2, Of: a}, G.TensorType{Dims: 1, Of: a}, G.TensorType{Dims: 1, Of: a}, a)
}
func (op *labelCrossEntropyOp) DiffWRT(int) []bool { return []bool{true, false, false} }

func (op *labelCrossEntropyOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	n, err := G.ApplyOp(&labelCrossEntropyGradOp{fusedOp: newFusedOp("label-cross-entropy-grad"), fwd: op},
		inputs[0], inputs[1], inputs[2], output, grad)
	return G.Nodes{n, nil, nil}, err
}

func (op *labelCrossEntropyOp) Do(vals ...G.Value) (G.Value, error) {
	dt := vals[0].Dtype()
	prob := op.prob.get(dt, tensor.Shape{op.rows, op.classes})
	var err error
	switch dt {
	case tensor.Float32:
		var l float64
		l, err = labelCrossEntropyForward(op, data[float32](vals[0]), data[float32](vals[1]), data[float32](vals[2]), data[float32](prob))
		op.loss32 = G.F32(l)
		if err == nil {
			return &op.loss32, nil
		}
	case tensor.Float64:
		var l float64
		l, err = labelCrossEntropyForward(op, data[float64](vals[0]), data[float64](vals[1]), data[float64](vals[2]), data[float64](prob))
		op.loss64 = G.F64(l)
		if err == nil {
			return &op.loss64, nil
		}
	default:
		err = fmt.Errorf("label-cross-entropy: unsupported type %v", dt)
	}
	return nil, err
}

// labelCrossEntropyForward writes softmax(logits) into prob and returns the loss, summed in
// float64 in a fixed order; like crossEntropyForward it subtracts each row's maximum, so every
// term is a product of non-negative numbers.
func labelCrossEntropyForward[T float](op *labelCrossEntropyOp, logits, labels, weights, prob []T) (float64, error) {
	c := op.classes
	parallel(op.rows, op.workers, func(w, lo, hi int) {
		var loss float64
		op.bad[w] = -1
		for i := lo; i < hi; i++ {
			y := labels[i]
			if !(y >= 0 && y < T(c)) || T(math.Trunc(float64(y))) != y {
				if op.bad[w] < 0 {
					op.bad[w] = i
				}
				y = 0
			}
			op.labels[i] = int32(y)
			x, p := logits[i*c:][:c], prob[i*c:][:c]
			mx := rowMax(x)
			sum := expRow(x, p, mx)
			logSum, inv := math.Log(sum), 1/sum
			var xs float64
			for j := range p {
				xs += float64(x[j])
				p[j] = T(float64(p[j]) * inv)
			}
			wt := float64(weights[i])
			op.rowWeight[i] = wt
			if wt != 0 {
				lse := float64(mx) + logSum
				loss += wt * ((1-op.eps)*(lse-float64(x[int(y)])) + op.eps*(lse-xs/float64(c)))
			}
		}
		op.partial[w] = loss
	})
	var loss float64
	for w, l := range op.partial[:min(op.workers, op.rows)] {
		if i := op.bad[w]; i >= 0 {
			return 0, fmt.Errorf("label-cross-entropy: label %v of row %d is not a class in [0, %d)", labels[i], i, c)
		}
		loss += l
	}
	return loss, nil
}

// labelCrossEntropyGradOp is the loss's gradient w.r.t. the logits,
// wᵢ·(softmax − (1−ε)·onehot(yᵢ) − ε/C)·g; its inputs are the logits, labels, weights, the loss
// and the loss's gradient g.
type labelCrossEntropyGradOp struct {
	fusedOp
	fwd *labelCrossEntropyOp
	out buffer
}

func (op *labelCrossEntropyGradOp) Arity() int { return 5 }
func (op *labelCrossEntropyGradOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	m, v := G.TensorType{Dims: 2, Of: a}, G.TensorType{Dims: 1, Of: a}
	return hm.NewFnType(m, v, v, a, a, m)
}
func (op *labelCrossEntropyGradOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return tensor.Shape{op.fwd.rows, op.fwd.classes}, nil
}

func (op *labelCrossEntropyGradOp) Do(vals ...G.Value) (G.Value, error) {
	dt := vals[0].Dtype()
	out := op.out.get(dt, tensor.Shape{op.fwd.rows, op.fwd.classes})
	switch dt {
	case tensor.Float32:
		g, err := scalarOf[float32](vals[4])
		if err != nil {
			return nil, err
		}
		labelCrossEntropyBackward(op.fwd, g, data[float32](out))
	case tensor.Float64:
		g, err := scalarOf[float64](vals[4])
		if err != nil {
			return nil, err
		}
		labelCrossEntropyBackward(op.fwd, g, data[float64](out))
	default:
		return nil, fmt.Errorf("label-cross-entropy-grad: unsupported type %v", dt)
	}
	return out, nil
}

func labelCrossEntropyBackward[T float](op *labelCrossEntropyOp, g T, grad []T) {
	c := op.classes
	prob := data[T](op.prob.t)
	spread := T(op.eps / float64(c))
	parallel(op.rows, op.workers, func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			w := T(op.rowWeight[i])
			p, d := prob[i*c:][:c], grad[i*c:][:c]
			scale, shift := w*g, spread
			for j := range d {
				d[j] = (p[j] - shift) * scale
			}
			d[op.labels[i]] -= T(1-op.eps) * scale
		}
	})
}
