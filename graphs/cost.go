package graphs

import G "gorgonia.org/gorgonia"

// The cost of a node, for model summaries: what the fused ops compute and how many
// floating-point operations their forward run takes. The convention is that of most FLOP
// counters: a multiply-add of a matrix product or a convolution counts as 2 flops, and
// element-wise work (activations, normalisation, softmax, bias additions) is not counted.

// OpKind names what node n computes when one of this package's ops made it ("linear",
// "conv2d", "attention", "lstm", "layernorm", "embedding", "relu", "residual", …); Gorgonia's
// own ops (products with constants, the comparisons of G.Rectify), reshapes, which only
// relabel, and leaves give "".
func OpKind(n *G.Node) string {
	if op, ok := n.Op().(interface{ opKind() string }); ok {
		return op.opKind()
	}
	return ""
}

func (o fusedOp) opKind() string { return o.name }

func (op *activationOp) opKind() string {
	if op.gelu {
		return "gelu"
	}
	return "relu"
}

func (op *reshapeOp) opKind() string { return "" }

func (op *maxPoolOp) opKind() string {
	if op.relu {
		return "relu-maxpool2d"
	}
	return "maxpool2d"
}

// ForwardFLOPs is the number of flops of n's forward run over its whole batch: 2 per
// multiply-add of the matrix products and convolutions of linear, conv2d, attention (its
// input projection, Q·Kᵀ and weights·V, counting every key even under a causal mask, as
// PyTorch computes them) and recurrent ops; 0 for every other node.
func ForwardFLOPs(n *G.Node) int64 {
	if op, ok := n.Op().(interface{ flops() int64 }); ok {
		return op.flops()
	}
	return 0
}

func (op *linearOp) flops() int64 { return 2 * int64(op.batch) * int64(op.in) * int64(op.outF) }

func (op *conv2dOp) flops() int64 {
	g := op.geom
	return 2 * int64(g.batch) * int64(g.outSize()) * int64(g.patch())
}

func (op *attentionOp) flops() int64 {
	q, k, d := int64(op.batch*op.tq), int64(op.batch*op.tk), int64(op.dim)
	proj := 2 * q * d * 3 * d // Q, K and V of every query row
	if !op.self {
		proj = 2*q*d*d + 2*k*d*2*d // Q of the queries, K and V of the keys
	}
	scores := 2 * q * int64(op.tk) * d // every head's Q·Kᵀ; the heads share d
	return proj + 2*scores             // and weights·V, of the same size
}

func (op *recurrentOp) flops() int64 {
	gates := int64(op.kind.gates * op.hidden)
	return 2 * int64(op.batch*op.steps) * (int64(op.in) + int64(op.hidden)) * gates
}
