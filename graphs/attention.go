package graphs

import (
	"fmt"
	"math"
	"slices"

	"github.com/chewxy/hm"
	"github.com/gorgonet/gorgonet/kernels"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// AttentionOptions are the masks of an attention layer.
type AttentionOptions struct {
	KeyPadding *G.Node // optional (B, S) input: 1 for real keys, 0 for padding (the opposite sense of PyTorch's key_padding_mask, which is True for padding)
	Causal     bool    // query t sees keys ≤ t (T == S), as nn.Transformer.generate_square_subsequent_mask
	Dropout    float64 // on the attention weights, training graphs only
}

// MultiHeadAttention is torch.nn.MultiheadAttention(d, heads, batch_first=True) with query q
// (B, T, d) and key = value = kv (B, S, d); it returns (B, T, d). Its parameters are
// in_proj_weight (3d, d) and in_proj_bias (3d), out_proj.weight (d, d) and out_proj.bias
// (d), initialised as PyTorch does. A query whose keys are all masked gets a zero output
// (PyTorch gives NaN).
func MultiHeadAttention(s *Scope, q, kv *G.Node, heads int, o AttentionOptions) *G.Node {
	if q.Dims() != 3 || kv.Dims() != 3 {
		panic(fmt.Sprintf("graphs: MultiHeadAttention %s wants (B, T, d) query and key inputs, got shapes %v and %v", s.path, q.Shape(), kv.Shape()))
	}
	b, t, d := q.Shape()[0], q.Shape()[1], q.Shape()[2]
	q2 := Reshape(q, tensor.Shape{b * t, d})
	kv2 := q2
	if kv != q {
		if kv.Shape()[0] != b || kv.Shape()[2] != d {
			panic(fmt.Sprintf("graphs: MultiHeadAttention %s: key shape %v does not match query shape %v", s.path, kv.Shape(), q.Shape()))
		}
		kv2 = Reshape(kv, tensor.Shape{b * kv.Shape()[1], d})
	}
	return Reshape(attention(s, q2, kv2, b, heads, o), tensor.Shape{b, t, d})
}

// attention is MultiHeadAttention on rows: q (B·T, d) and kv (B·S, d) give (B·T, d).
// kv == q makes it self-attention, whose three projections are one matrix product.
func attention(s *Scope, q, kv *G.Node, batch, heads int, o AttentionOptions) *G.Node {
	d := q.Shape()[1]
	if heads < 1 || d%heads != 0 {
		panic(fmt.Sprintf("graphs: MultiHeadAttention %s: dimension %d is not divisible by %d heads", s.path, d, heads))
	}
	op := &attentionOp{fusedOp: newFusedOp("attention"), batch: batch, tq: q.Shape()[0] / batch, tk: kv.Shape()[0] / batch,
		dim: d, heads: heads, self: kv == q, causal: o.Causal, workers: defaultWorkers()}
	if o.Causal && op.tq != op.tk {
		panic(fmt.Sprintf("graphs: MultiHeadAttention %s: a causal mask needs as many queries as keys, got %d and %d", s.path, op.tq, op.tk))
	}
	in := G.Nodes{q}
	if !op.self {
		in = append(in, kv)
	}
	w := s.paramInit("in_proj_weight", []int{3 * d, d}, []int{3 * d, d}, XavierUniform(d, 3*d))
	b := s.paramInit("in_proj_bias", []int{3 * d}, []int{3 * d}, Constant(0))
	in = append(in, w, b)
	if pad := o.KeyPadding; pad != nil {
		if !pad.Shape().Eq(tensor.Shape{batch, op.tk}) {
			panic(fmt.Sprintf("graphs: MultiHeadAttention %s: key padding mask has shape %v, want (%d, %d)", s.path, pad.Shape(), batch, op.tk))
		}
		op.pad = true
		in = append(in, pad)
	}
	if mask := dropoutMask(s, tensor.Shape{batch, heads, op.tq, op.tk}, o.Dropout); mask != nil {
		op.drop = true
		in = append(in, mask)
	}
	ctx := must(G.ApplyOp(op, in...)) // (B·T, d), the heads side by side
	return projection(s.Sub("out_proj"), ctx, d, Constant(0))
}

// projection is Linear with the bias initialised by biasInit, as MultiheadAttention's
// out_proj (zero bias) needs.
func projection(s *Scope, x *G.Node, out int, biasInit Init) *G.Node {
	in := x.Shape()[1]
	w := s.paramInit("weight", []int{out, in}, []int{out, in}, Uniform(fanInBound(in)))
	b := s.paramInit("bias", []int{1, out}, []int{out}, biasInit)
	op := &linearOp{fusedOp: newFusedOp("linear"), batch: x.Shape()[0], in: in, outF: out}
	return must(G.ApplyOp(op, x, w, b))
}

// attentionOp is multi-head scaled dot-product attention with the input projection fused in.
// Its inputs are x (self-attention) or q and kv (cross-attention) as rows (B·T, d) and
// (B·S, d), in_proj_weight (3d, d), in_proj_bias (3d), then optionally the key padding
// (B, S) and the attention-weight dropout mask (B, H, T, S). Its output is the heads'
// contexts side by side, (B·T, d), for out_proj. Per (batch, head) it computes
// softmax(Q·Kᵀ/√dh) with masked keys left out, then ·V; it keeps the projections and the
// weights for its gradients.
type attentionOp struct {
	fusedOp
	batch, tq, tk, dim, heads int
	self, causal, pad, drop   bool
	workers                   int
	// self-attention: qProj (B·T, 3d) holds Q | K | V; cross: qProj (B·T, d), kvProj (B·S, 2d).
	qProj, kvProj buffer
	probs         buffer // softmax weights (B, H, T, S)
	dropped       buffer // probs ⊙ dropout mask
	out           buffer
}

func (op *attentionOp) headDim() int { return op.dim / op.heads }

// input indices: x or q, then kv (cross only), weight, bias, padding, dropout mask.
func (op *attentionOp) kvIndex() int {
	if op.self {
		return 0
	}
	return 1
}
func (op *attentionOp) wIndex() int { return op.kvIndex() + 1 }
func (op *attentionOp) padIndex() int {
	if !op.pad {
		return -1
	}
	return op.wIndex() + 2
}
func (op *attentionOp) dropIndex() int {
	if !op.drop {
		return -1
	}
	return op.wIndex() + 2 + oneIf(op.pad)
}

// oneIf is 1 for true and 0 for false, to count optional inputs.
func oneIf(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (op *attentionOp) inputRanks() []int {
	r := []int{2}
	if !op.self {
		r = append(r, 2)
	}
	r = append(r, 2, 1)
	if op.pad {
		r = append(r, 2)
	}
	if op.drop {
		r = append(r, 4)
	}
	return r
}

func (op *attentionOp) Arity() int    { return len(op.inputRanks()) }
func (op *attentionOp) Type() hm.Type { return fnType(2, op.inputRanks()...) }
func (op *attentionOp) outShape() tensor.Shape {
	return tensor.Shape{op.batch * op.tq, op.dim}
}
func (op *attentionOp) InferShape(...G.DimSizer) (tensor.Shape, error) { return op.outShape(), nil }
func (op *attentionOp) DiffWRT(n int) []bool {
	d := make([]bool, n)
	for i := 0; i <= op.wIndex()+1; i++ {
		d[i] = true
	}
	return d
}

// SymDiff makes one op that back-propagates through the attention and returns the
// gradient of the first input; the others are read from its buffers by small ops that
// take it as an input, so that they run after it.
func (op *attentionOp) SymDiff(inputs G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	core := &attentionGradOp{fusedOp: newFusedOp("attention-grad"), fwd: op}
	first, err := G.ApplyOp(core, append(append(G.Nodes{}, inputs...), grad)...)
	if err != nil {
		return nil, err
	}
	grads := make(G.Nodes, len(inputs))
	grads[0] = first
	for i := 1; i <= op.wIndex()+1; i++ {
		part := &attentionPartOp{fusedOp: newFusedOp("attention-grad-part"), core: core, wrt: i}
		if grads[i], err = G.ApplyOp(part, append(append(G.Nodes{}, inputs...), first)...); err != nil {
			return nil, err
		}
	}
	return grads, nil
}

func (op *attentionOp) Do(vals ...G.Value) (G.Value, error) {
	dt := vals[0].Dtype()
	out := op.out.get(dt, op.outShape())
	switch dt {
	case tensor.Float32:
		attentionForward(op, attentionInputs[float32](op, vals), data[float32](out))
	case tensor.Float64:
		attentionForward(op, attentionInputs[float64](op, vals), data[float64](out))
	default:
		return nil, fmt.Errorf("attention: unsupported type %v", dt)
	}
	return out, nil
}

// attnIn are the forward inputs of an attentionOp as slices; kv is q for self-attention,
// pad and drop are nil when absent.
type attnIn[T float] struct{ q, kv, w, bias, pad, drop []T }

func attentionInputs[T float](op *attentionOp, vals []G.Value) attnIn[T] {
	in := attnIn[T]{q: data[T](vals[0]), kv: data[T](vals[op.kvIndex()]), w: data[T](vals[op.wIndex()]), bias: data[T](vals[op.wIndex()+1])}
	if i := op.padIndex(); i >= 0 {
		in.pad = data[T](vals[i])
	}
	if i := op.dropIndex(); i >= 0 {
		in.drop = data[T](vals[i])
	}
	return in
}

// attnHeads are the Q, K and V matrices of all heads inside the projection buffers, with their
// row strides: head h of example b starts at q[b·T·ldq + h·dh].
type attnHeads[T float] struct {
	q, k, v   []T
	ldq, ldkv int
}

func (op *attentionOp) projShapes() (q, kv tensor.Shape) {
	if op.self {
		return tensor.Shape{op.batch * op.tq, 3 * op.dim}, nil
	}
	return tensor.Shape{op.batch * op.tq, op.dim}, tensor.Shape{op.batch * op.tk, 2 * op.dim}
}

// headsOf lays the heads over projection buffers (or their gradients) qp and kvp.
func headsOf[T float](op *attentionOp, qp, kvp []T) attnHeads[T] {
	d := op.dim
	if op.self {
		return attnHeads[T]{q: qp, k: qp[d:], v: qp[2*d:], ldq: 3 * d, ldkv: 3 * d}
	}
	return attnHeads[T]{q: qp, k: kvp, v: kvp[d:], ldq: d, ldkv: 2 * d}
}

func (op *attentionOp) buffers(dt tensor.Dtype) (qp, kvp, probs, dropped *tensor.Dense) {
	qs, kvs := op.projShapes()
	qp = op.qProj.get(dt, qs)
	if kvs != nil {
		kvp = op.kvProj.get(dt, kvs)
	}
	ps := tensor.Shape{op.batch * op.heads * op.tq, op.tk}
	probs = op.probs.get(dt, ps)
	dropped = probs
	if op.drop {
		dropped = op.dropped.get(dt, ps)
	}
	return qp, kvp, probs, dropped
}

func attentionForward[T float](op *attentionOp, in attnIn[T], out []T) {
	qpT, kvpT, probsT, droppedT := op.buffers(dtypeOf[T]())
	qp, probs, dropped := data[T](qpT), data[T](probsT), data[T](droppedT)
	var kvp []T
	d, rowsQ, rowsK := op.dim, op.batch*op.tq, op.batch*op.tk
	if op.self {
		gemm(false, true, rowsQ, 3*d, d, 1, in.q, in.w, 0, qp) // (B·T, 3d) = x · Wᵀ
		addRowBias(qp, in.bias, rowsQ)
	} else {
		kvp = data[T](kvpT)
		gemm(false, true, rowsQ, d, d, 1, in.q, in.w[:d*d], 0, qp)     // Q = q · W_qᵀ
		gemm(false, true, rowsK, 2*d, d, 1, in.kv, in.w[d*d:], 0, kvp) // K | V = kv · W_kvᵀ
		addRowBias(qp, in.bias[:d], rowsQ)
		addRowBias(kvp, in.bias[d:], rowsK)
	}
	h := headsOf(op, qp, kvp)
	dh, t, sk := op.headDim(), op.tq, op.tk
	scale := T(1 / math.Sqrt(float64(dh)))
	parallel(op.batch*op.heads, op.workers, func(_, lo, hi int) {
		for bh := lo; bh < hi; bh++ {
			b, hd := bh/op.heads, bh%op.heads
			p := probs[bh*t*sk:][:t*sk]
			gemmLD(false, true, t, sk, dh, scale, h.q[b*t*h.ldq+hd*dh:], h.ldq, h.k[b*sk*h.ldkv+hd*dh:], h.ldkv, 0, p, sk)
			var pad []T
			if in.pad != nil && slices.Contains(in.pad[b*sk:][:sk], 0) {
				pad = in.pad[b*sk:][:sk] // else no key is padding: skip the check of every row
			}
			maskedSoftmax(p, t, sk, pad, op.causal)
			pd := p
			if in.drop != nil {
				pd = dropped[bh*t*sk:][:t*sk]
				vecMul(pd, p, in.drop[bh*t*sk:][:t*sk])
			}
			gemmLD(false, false, t, dh, sk, 1, pd, sk, h.v[b*sk*h.ldkv+hd*dh:], h.ldkv, 0, out[b*t*d+hd*dh:], d)
		}
	})
}

// maskedSoftmax replaces each row i of the scores p (t, s) by its softmax over the keys j
// that are not padding (pad[j] ≠ 0) and, if causal, not after i. The other weights are
// zero, and a row with no key left is all zeros.
func maskedSoftmax[T float](p []T, t, s int, pad []T, causal bool) {
	negInf := T(math.Inf(-1))
	for i := 0; i < t; i++ {
		row := p[i*s:][:s]
		n := s
		if causal {
			n = min(i+1, s)
		}
		clear(row[n:])
		live := row[:n]
		if pad != nil {
			for j, v := range pad[:n] {
				if v == 0 {
					live[j] = negInf
				}
			}
		}
		softmaxRow(live)
	}
}

// softmaxRow replaces row by its softmax, or by zeros when every value is −Inf: with
// kernels.Softmax in float32, with math.Exp in float64.
func softmaxRow[T float](row []T) {
	if r, ok := any(row).([]float32); ok {
		kernels.Softmax(r, r)
		return
	}
	top := T(math.Inf(-1))
	for _, v := range row {
		top = max(top, v)
	}
	if math.IsInf(float64(top), -1) {
		clear(row)
		return
	}
	var sum float64
	for j, v := range row {
		e := math.Exp(float64(v - top))
		row[j] = T(e)
		sum += e
	}
	inv := T(1 / sum)
	for j := range row {
		row[j] *= inv
	}
}

// attentionGradOp back-propagates dOut (B·T, d) through an attentionOp into the gradients
// of the projections, kept in its buffers, and returns the gradient of the first input.
// Its inputs are the forward inputs and dOut.
type attentionGradOp struct {
	fusedOp
	fwd             *attentionOp
	dqProj, dkvProj buffer // gradients of the forward's qProj and kvProj
	dScores         buffer // (B, H, T, S)
	out             buffer
}

func (op *attentionGradOp) Arity() int { return op.fwd.Arity() + 1 }
func (op *attentionGradOp) Type() hm.Type {
	return fnType(2, append(op.fwd.inputRanks(), 2)...)
}
func (op *attentionGradOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	return tensor.Shape{op.fwd.batch * op.fwd.tq, op.fwd.dim}, nil
}

func (op *attentionGradOp) Do(vals ...G.Value) (G.Value, error) {
	dt := vals[0].Dtype()
	out := op.out.get(dt, tensor.Shape{op.fwd.batch * op.fwd.tq, op.fwd.dim})
	dOut := vals[len(vals)-1]
	switch dt {
	case tensor.Float32:
		attentionBackward(op, attentionInputs[float32](op.fwd, vals), data[float32](dOut), data[float32](out))
	case tensor.Float64:
		attentionBackward(op, attentionInputs[float64](op.fwd, vals), data[float64](dOut), data[float64](out))
	default:
		return nil, fmt.Errorf("attention-grad: unsupported type %v", dt)
	}
	return out, nil
}

func attentionBackward[T float](op *attentionGradOp, in attnIn[T], dOut, grad []T) {
	f := op.fwd
	dt := dtypeOf[T]()
	qpT, kvpT, probsT, droppedT := f.buffers(dt)
	qs, kvs := f.projShapes()
	dqp := data[T](op.dqProj.get(dt, qs))
	var kvp, dkvp []T
	if kvs != nil {
		kvp, dkvp = data[T](kvpT), data[T](op.dkvProj.get(dt, kvs))
	}
	h := headsOf(f, data[T](qpT), kvp)
	dh := headsOf(f, dqp, dkvp)
	probs, dropped := data[T](probsT), data[T](droppedT)
	dScores := data[T](op.dScores.get(dt, probsT.Shape()))
	hd, t, sk, d := f.headDim(), f.tq, f.tk, f.dim
	scale := 1 / math.Sqrt(float64(hd))
	parallel(f.batch*f.heads, f.workers, func(_, lo, hi int) {
		for bh := lo; bh < hi; bh++ {
			b, head := bh/f.heads, bh%f.heads
			qOff, kvOff := b*t*h.ldq+head*hd, b*sk*h.ldkv+head*hd
			dctx := dOut[b*t*d+head*hd:]
			p, pd := probs[bh*t*sk:][:t*sk], dropped[bh*t*sk:][:t*sk]
			ds := dScores[bh*t*sk:][:t*sk]
			gemmLD(false, true, t, sk, hd, 1, dctx, d, h.v[kvOff:], h.ldkv, 0, ds, sk)   // dP' = dctx · Vᵀ
			gemmLD(true, false, sk, hd, t, 1, pd, sk, dctx, d, 0, dh.v[kvOff:], dh.ldkv) // dV = P'ᵀ · dctx
			if in.drop != nil {
				vecMul(ds, ds, in.drop[bh*t*sk:][:t*sk])
			}
			softmaxBackward(p, ds, t, sk, scale)
			gemmLD(false, false, t, hd, sk, 1, ds, sk, h.k[kvOff:], h.ldkv, 0, dh.q[qOff:], dh.ldq) // dQ = dS · K
			gemmLD(true, false, sk, hd, t, 1, ds, sk, h.q[qOff:], h.ldq, 0, dh.k[kvOff:], dh.ldkv)  // dK = dSᵀ · Q
		}
	})
	// The gradient of the first input: x (B·T, d) = dQKV · W, or q = dQ · W_q.
	if f.self {
		gemm(false, false, f.batch*t, d, 3*d, 1, dqp, in.w, 0, grad)
	} else {
		gemm(false, false, f.batch*t, d, d, 1, dqp, in.w[:d*d], 0, grad)
	}
}

// softmaxBackward turns dP, the gradient of the softmax weights p (t, s), into the
// gradient of the scaled scores: scale · p ⊙ (dP − Σ_j p ⊙ dP) per row. Masked weights
// are zero, so they pass no gradient.
func softmaxBackward[T float](p, dp []T, t, s int, scale float64) {
	if p32, ok := any(p).([]float32); ok {
		dp32 := any(dp).([]float32)
		for i := 0; i < t; i++ {
			kernels.SoftmaxBackward(dp32[i*s:][:s], p32[i*s:][:s], float32(scale))
		}
		return
	}
	for i := 0; i < t; i++ {
		pr, dr := p[i*s:][:s], dp[i*s:][:s]
		var dot float64
		for j, v := range pr {
			dot += float64(v) * float64(dr[j])
		}
		for j, v := range pr {
			dr[j] = T(scale * float64(v) * (float64(dr[j]) - dot))
		}
	}
}

// attentionPartOp is the gradient of an attentionOp's input wrt (kv, weight or bias),
// computed from the projection gradients of the core attentionGradOp. Its inputs are the
// forward inputs and the core's output, which orders it after the core.
type attentionPartOp struct {
	fusedOp
	core *attentionGradOp
	wrt  int
	out  buffer
}

func (op *attentionPartOp) Arity() int { return op.core.fwd.Arity() + 1 }
func (op *attentionPartOp) Type() hm.Type {
	ranks := op.core.fwd.inputRanks()
	return fnType(ranks[op.wrt], append(ranks, 2)...)
}
func (op *attentionPartOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, ok := in[op.wrt].(tensor.Shape)
	if !ok {
		return nil, fmt.Errorf("attention-grad-part: input %d has no shape", op.wrt)
	}
	return s.Clone(), nil
}

func (op *attentionPartOp) Do(vals ...G.Value) (G.Value, error) {
	dt := vals[0].Dtype()
	out := op.out.get(dt, vals[op.wrt].Shape())
	switch dt {
	case tensor.Float32:
		attentionPart(op, attentionInputs[float32](op.core.fwd, vals), data[float32](out))
	case tensor.Float64:
		attentionPart(op, attentionInputs[float64](op.core.fwd, vals), data[float64](out))
	default:
		return nil, fmt.Errorf("attention-grad-part: unsupported type %v", dt)
	}
	return out, nil
}

func attentionPart[T float](op *attentionPartOp, in attnIn[T], grad []T) {
	f := op.core.fwd
	d, rowsQ, rowsK := f.dim, f.batch*f.tq, f.batch*f.tk
	dqp := data[T](op.core.dqProj.t)
	var dkvp []T
	if !f.self {
		dkvp = data[T](op.core.dkvProj.t)
	}
	switch {
	case op.wrt == f.kvIndex(): // dkv (B·S, d) = dKV · W_kv
		gemm(false, false, rowsK, d, 2*d, 1, dkvp, in.w[d*d:], 0, grad)
	case op.wrt == f.wIndex() && f.self: // dW (3d, d) = dQKVᵀ · x
		gemm(true, false, 3*d, d, rowsQ, 1, dqp, in.q, 0, grad)
	case op.wrt == f.wIndex(): // dW_q = dQᵀ · q, dW_kv = dKVᵀ · kv
		gemm(true, false, d, d, rowsQ, 1, dqp, in.q, 0, grad[:d*d])
		gemm(true, false, 2*d, d, rowsK, 1, dkvp, in.kv, 0, grad[d*d:])
	case f.self: // db = Σ_rows dQKV
		sumRowsInto(grad, dqp, rowsQ)
	default:
		sumRowsInto(grad[:d], dqp, rowsQ)
		sumRowsInto(grad[d:], dkvp, rowsK)
	}
}

// addRowBias adds bias to each of the rows of m (rows, len(bias)).
func addRowBias[T float](m, bias []T, rows int) {
	n := len(bias)
	for r := 0; r < rows; r++ {
		row := m[r*n:][:n]
		vecAdd(row, row, bias)
	}
}

// sumRowsInto sets dst to the sum of the rows of m (rows, len(dst)).
func sumRowsInto[T float](dst, m []T, rows int) {
	n := len(dst)
	clear(dst)
	for r := 0; r < rows; r++ {
		vecAdd(dst, dst, m[r*n:][:n])
	}
}
