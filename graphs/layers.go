package graphs

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Linear is torch.nn.Linear: x (B, in) → x·Wᵀ + b (B, out), with parameters
// "weight" (out, in) and "bias" (out).
func Linear(s *Scope, x *G.Node, out int) *G.Node {
	if x.Dims() != 2 {
		panic(fmt.Sprintf("graphs: Linear %s wants a (batch, features) input, got shape %v", s.path, x.Shape()))
	}
	in := x.Shape()[1]
	bound := fanInBound(in)
	w := s.param("weight", []int{out, in}, []int{out, in}, bound)
	b := s.param("bias", []int{1, out}, []int{out}, bound)
	return linear(x, w, b)
}

// TiedLinear is Linear whose weight (out, in) is the given node, typically an embedding
// table read back as the output layer (torch: out.weight = emb.weight); only the bias
// (out) is a parameter of s.
func TiedLinear(s *Scope, x, w *G.Node) *G.Node {
	if x.Dims() != 2 || w.Dims() != 2 || x.Shape()[1] != w.Shape()[1] {
		panic(fmt.Sprintf("graphs: TiedLinear %s wants (batch, in) and (out, in), got %v and %v", s.path, x.Shape(), w.Shape()))
	}
	out := w.Shape()[0]
	b := s.param("bias", []int{1, out}, []int{out}, fanInBound(x.Shape()[1]))
	return linear(x, w, b)
}

func linear(x, w, b *G.Node) *G.Node {
	op := &linearOp{fusedOp: newFusedOp("linear"), batch: x.Shape()[0], in: x.Shape()[1], outF: w.Shape()[0]}
	return must(G.ApplyOp(op, x, w, b)) // (B, out)
}

// Conv2D is torch.nn.Conv2d with square kernels: x (B, C, H, W) → (B, out, H', W'), with
// parameters "weight" (out, C, k, k) and "bias" (out).
func Conv2D(s *Scope, x *G.Node, out, kernel, stride, pad int) *G.Node {
	if x.Dims() != 4 {
		panic(fmt.Sprintf("graphs: Conv2D %s wants a (B, C, H, W) input, got shape %v", s.path, x.Shape()))
	}
	in := x.Shape()[1]
	bound := fanInBound(in * kernel * kernel)
	w := s.param("weight", []int{out, in, kernel, kernel}, []int{out, in, kernel, kernel}, bound)
	b := s.param("bias", []int{1, out, 1, 1}, []int{out}, bound)
	op := newConv2dOp(x.Shape(), w.Shape(), stride, pad)
	if op.geom.outH < 1 || op.geom.outW < 1 {
		panic(fmt.Sprintf("graphs: Conv2D %s: a %d×%d kernel does not fit input %v with padding %d", s.path, kernel, kernel, x.Shape(), pad))
	}
	return must(G.ApplyOp(op, x, w, b))
}

// MaxPool2D is torch.nn.MaxPool2d(kernel, stride) without padding (floor mode).
func MaxPool2D(x *G.Node, kernel, stride int) *G.Node { return maxPool(x, kernel, stride, false) }

// ReLUMaxPool2D is MaxPool2D(ReLU(x)) in one op: the same values and gradients, one pass
// and one buffer instead of three.
func ReLUMaxPool2D(x *G.Node, kernel, stride int) *G.Node { return maxPool(x, kernel, stride, true) }

func maxPool(x *G.Node, kernel, stride int, relu bool) *G.Node {
	if x.Dims() != 4 || x.Shape()[2] < kernel || x.Shape()[3] < kernel {
		panic(fmt.Sprintf("graphs: max-pool %d×%d needs a (B, C, H, W) input at least that large, got %v", kernel, kernel, x.Shape()))
	}
	return must(G.ApplyOp(newMaxPoolOp(x.Shape(), kernel, stride, relu), x))
}

// ReLU is max(x, 0).
func ReLU(x *G.Node) *G.Node { return must(G.Rectify(x)) }

// Flatten keeps the batch axis and flattens the rest in row-major (NCHW) order, as
// torch.flatten(x, 1) does.
func Flatten(x *G.Node) *G.Node {
	shape := x.Shape()
	rest := 1
	for _, d := range shape[1:] {
		rest *= d
	}
	return Reshape(x, tensor.Shape{shape[0], rest})
}

// SoftmaxCrossEntropy is the weighted cross-entropy −Σᵢⱼ Tᵢⱼ·log softmax(logits)ᵢⱼ, a scalar.
// targets is (B, C) with row i equal to wᵢ·onehot(yᵢ); with wᵢ = 1/valid for real rows and 0
// for the padding of a short last batch it is the mean loss of the real rows, as
// F.cross_entropy is. Any non-negative targets work, such as label-smoothed distributions
// times a row weight; they get no gradient. One fused op (crossentropy.go) that subtracts
// each row's maximum, so it stays finite for any finite logits.
func SoftmaxCrossEntropy(logits, targets *G.Node) *G.Node {
	if logits.Dims() != 2 || !logits.Shape().Eq(targets.Shape()) {
		panic(fmt.Sprintf("graphs: SoftmaxCrossEntropy wants (N, C) logits and targets of the same shape, got %v and %v", logits.Shape(), targets.Shape()))
	}
	op := newCrossEntropyOp(logits.Shape()[0], logits.Shape()[1])
	return must(G.ApplyOp(op, logits, targets))
}

// FillTargets writes the (B, C) target matrix of SoftmaxCrossEntropy: row i < valid gets
// 1/valid at column labels[i]; the rows of padding are zero.
func FillTargets[T float32 | float64](dst []T, labels []int, valid, classes int) {
	clear(dst)
	w := T(1) / T(valid)
	for i := 0; i < valid; i++ {
		dst[i*classes+labels[i]] = w
	}
}
