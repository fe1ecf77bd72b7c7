package graphs

import (
	"errors"
	"fmt"
	"math"

	"github.com/chewxy/hm"
	"github.com/gorgonet/gorgonet/kernels"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// LayerConfig sizes an encoder or decoder layer.
type LayerConfig struct {
	Dim, Heads, FF int
	Dropout        float64 // as PyTorch: after attention, inside the feed-forward, after the feed-forward, and on attention weights
	Activation     string  // "relu" (default) or "gelu"
	NormFirst      bool    // pre-norm (norm_first=True); default post-norm, PyTorch's default
	Eps            float64 // LayerNorm eps; 0 means 1e-5
}

// Validate reports the first problem with c.
func (c LayerConfig) Validate() error {
	switch {
	case c.Dim < 1 || c.Heads < 1 || c.FF < 1:
		return fmt.Errorf("dim %d, heads %d and ff %d must be positive", c.Dim, c.Heads, c.FF)
	case c.Dim%c.Heads != 0:
		return fmt.Errorf("dim %d is not divisible by %d heads", c.Dim, c.Heads)
	case c.Dropout < 0 || c.Dropout >= 1:
		return fmt.Errorf("dropout %v is not in [0, 1)", c.Dropout)
	case c.Activation != "" && c.Activation != "relu" && c.Activation != "gelu":
		return fmt.Errorf("activation %q is neither relu nor gelu", c.Activation)
	case c.Eps < 0:
		return errors.New("eps must not be negative")
	}
	return nil
}

func (c LayerConfig) eps() float64 {
	if c.Eps == 0 {
		return 1e-5
	}
	return c.Eps
}

// EncoderLayer is nn.TransformerEncoderLayer(batch_first=True) on x (B, T, d): parameters
// self_attn.*, linear1, linear2, norm1 and norm2 under s. pad is the (B, T) key padding (1
// real, 0 padding) or nil.
func EncoderLayer(s *Scope, x *G.Node, c LayerConfig, pad *G.Node) *G.Node {
	b, t := checkSequence(s, "EncoderLayer", x, c, pad)
	return rowsToSeq(encoderLayer(s, seqToRows(x), b, c, pad), b, t)
}

// Encoder stacks n EncoderLayers under s.Sub("layers.i"), then, if finalNorm, LayerNorm
// under s.Sub("norm") (nn.Transformer's encoder has it; nn.TransformerEncoder(norm=None)
// does not).
func Encoder(s *Scope, x *G.Node, n int, c LayerConfig, pad *G.Node, finalNorm bool) *G.Node {
	b, t := checkSequence(s, "Encoder", x, c, pad)
	h := seqToRows(x)
	for i := 0; i < n; i++ {
		h = encoderLayer(s.Sub(fmt.Sprintf("layers.%d", i)), h, b, c, pad)
	}
	if finalNorm {
		h = LayerNorm(s.Sub("norm"), h, c.eps())
	}
	return rowsToSeq(h, b, t)
}

// DecoderLayer is nn.TransformerDecoderLayer(batch_first=True) on x (B, T, d) and memory
// (B, S, d), with a causal self-attention mask: parameters self_attn.*, multihead_attn.*,
// linear1, linear2, norm1, norm2 and norm3 under s. tgtPad (B, T) and memPad (B, S) may be
// nil.
func DecoderLayer(s *Scope, x, memory *G.Node, c LayerConfig, tgtPad, memPad *G.Node) *G.Node {
	b, t := checkDecoder(s, "DecoderLayer", x, memory, c, tgtPad, memPad)
	return rowsToSeq(decoderLayer(s, seqToRows(x), seqToRows(memory), b, c, tgtPad, memPad), b, t)
}

// Decoder stacks n DecoderLayers under s.Sub("layers.i"), then, if finalNorm, LayerNorm
// under s.Sub("norm").
func Decoder(s *Scope, x, memory *G.Node, n int, c LayerConfig, tgtPad, memPad *G.Node, finalNorm bool) *G.Node {
	b, t := checkDecoder(s, "Decoder", x, memory, c, tgtPad, memPad)
	h, mem := seqToRows(x), seqToRows(memory)
	for i := 0; i < n; i++ {
		h = decoderLayer(s.Sub(fmt.Sprintf("layers.%d", i)), h, mem, b, c, tgtPad, memPad)
	}
	if finalNorm {
		h = LayerNorm(s.Sub("norm"), h, c.eps())
	}
	return rowsToSeq(h, b, t)
}

// checkSequence panics unless c is valid, x is (B, T, c.Dim) and pad is nil or (B, T); it
// returns B and T.
func checkSequence(s *Scope, what string, x *G.Node, c LayerConfig, pad *G.Node) (int, int) {
	if err := c.Validate(); err != nil {
		panic(fmt.Sprintf("graphs: %s %s: %v", what, s.path, err))
	}
	if x.Dims() != 3 || x.Shape()[2] != c.Dim {
		panic(fmt.Sprintf("graphs: %s %s wants a (B, T, %d) input, got shape %v", what, s.path, c.Dim, x.Shape()))
	}
	b, t := x.Shape()[0], x.Shape()[1]
	if pad != nil && !pad.Shape().Eq(tensor.Shape{b, t}) {
		panic(fmt.Sprintf("graphs: %s %s: padding mask has shape %v, want (%d, %d)", what, s.path, pad.Shape(), b, t))
	}
	return b, t
}

// checkDecoder is checkSequence for a target and its memory; it returns B and T.
func checkDecoder(s *Scope, what string, x, memory *G.Node, c LayerConfig, tgtPad, memPad *G.Node) (int, int) {
	b, t := checkSequence(s, what, x, c, tgtPad)
	if bm, _ := checkSequence(s, what+" memory", memory, c, memPad); bm != b {
		panic(fmt.Sprintf("graphs: %s %s: memory batch %d differs from target batch %d", what, s.path, bm, b))
	}
	return b, t
}

// seqToRows reshapes x (B, T, d) to (B·T, d), the layout the layers work in.
func seqToRows(x *G.Node) *G.Node {
	s := x.Shape()
	return Reshape(x, tensor.Shape{s[0] * s[1], s[2]})
}

// rowsToSeq reshapes h (B·T, d) back to (B, T, d).
func rowsToSeq(h *G.Node, b, t int) *G.Node {
	return Reshape(h, tensor.Shape{b, t, h.Shape()[1]})
}

// encoderLayer is EncoderLayer on rows x (B·T, d).
func encoderLayer(s *Scope, x *G.Node, batch int, c LayerConfig, pad *G.Node) *G.Node {
	selfAttn := func(h *G.Node) *G.Node {
		return attention(s.Sub("self_attn"), h, h, batch, c.Heads, AttentionOptions{KeyPadding: pad, Dropout: c.Dropout})
	}
	eps, p := c.eps(), c.Dropout
	if c.NormFirst {
		x = residual(s.Sub("dropout1"), x, selfAttn(LayerNorm(s.Sub("norm1"), x, eps)), p)
		return residual(s.Sub("dropout2"), x, feedForward(s, LayerNorm(s.Sub("norm2"), x, eps), c), p)
	}
	x = LayerNorm(s.Sub("norm1"), residual(s.Sub("dropout1"), x, selfAttn(x), p), eps)
	return LayerNorm(s.Sub("norm2"), residual(s.Sub("dropout2"), x, feedForward(s, x, c), p), eps)
}

// decoderLayer is DecoderLayer on rows x (B·T, d) and memory (B·S, d).
func decoderLayer(s *Scope, x, memory *G.Node, batch int, c LayerConfig, tgtPad, memPad *G.Node) *G.Node {
	selfAttn := func(h *G.Node) *G.Node {
		return attention(s.Sub("self_attn"), h, h, batch, c.Heads, AttentionOptions{KeyPadding: tgtPad, Causal: true, Dropout: c.Dropout})
	}
	crossAttn := func(h *G.Node) *G.Node {
		return attention(s.Sub("multihead_attn"), h, memory, batch, c.Heads, AttentionOptions{KeyPadding: memPad, Dropout: c.Dropout})
	}
	eps, p := c.eps(), c.Dropout
	if c.NormFirst {
		x = residual(s.Sub("dropout1"), x, selfAttn(LayerNorm(s.Sub("norm1"), x, eps)), p)
		x = residual(s.Sub("dropout2"), x, crossAttn(LayerNorm(s.Sub("norm2"), x, eps)), p)
		return residual(s.Sub("dropout3"), x, feedForward(s, LayerNorm(s.Sub("norm3"), x, eps), c), p)
	}
	x = LayerNorm(s.Sub("norm1"), residual(s.Sub("dropout1"), x, selfAttn(x), p), eps)
	x = LayerNorm(s.Sub("norm2"), residual(s.Sub("dropout2"), x, crossAttn(x), p), eps)
	return LayerNorm(s.Sub("norm3"), residual(s.Sub("dropout3"), x, feedForward(s, x, c), p), eps)
}

// feedForward is linear2(dropout(activation(linear1(x)))), PyTorch's _ff_block without its
// last dropout, which the residual connection applies.
func feedForward(s *Scope, x *G.Node, c LayerConfig) *G.Node {
	h := Linear(s.Sub("linear1"), x, c.FF)
	h = activation(s.Sub("dropout"), h, c.Activation == "gelu", c.Dropout)
	return Linear(s.Sub("linear2"), h, c.Dim)
}

// GELU is the exact GELU x·Φ(x) = x·(1 + erf(x/√2))/2, as F.gelu.
func GELU(x *G.Node) *G.Node { return activation(nil, x, true, 0) }

// activation is dropout(act(x)) in one op, act being GELU or ReLU. With s nil or no dropout
// it has no mask input.
func activation(s *Scope, x *G.Node, gelu bool, p float64) *G.Node {
	op := &activationOp{fusedOp: newFusedOp("activation"), gelu: gelu, shape: x.Shape().Clone(), workers: defaultWorkers()}
	in := G.Nodes{x}
	if s != nil {
		if m := dropoutMask(s, x.Shape(), p); m != nil {
			op.masked = true
			in = append(in, m)
		}
	}
	return must(G.ApplyOp(op, in...))
}

// dropoutMask adds and registers a DropoutMask input of the given shape, as Dropout does,
// for an op that applies it itself; it returns nil outside training or for p = 0.
func dropoutMask(s *Scope, shape tensor.Shape, p float64) *G.Node {
	if !s.training || p == 0 {
		return nil
	}
	mask := G.NewTensor(s.g, s.dtype, len(shape), G.WithShape(shape.Clone()...), G.WithName(s.qualify("dropout_mask")),
		G.WithValue(tensor.New(tensor.WithShape(shape.Clone()...), tensor.Of(s.dtype))))
	s.state.masks = append(s.state.masks, &DropoutMask{Node: mask, P: p})
	return mask
}

// activationOp is GELU or ReLU, times a dropout mask when masked. Its gradient op reads x
// (and the mask), never the output.
type activationOp struct {
	fusedOp
	gelu, masked bool
	shape        tensor.Shape
	workers      int
	out          buffer
}

func (op *activationOp) Arity() int { return 1 + oneIf(op.masked) }
func (op *activationOp) Type() hm.Type {
	r := len(op.shape)
	if op.masked {
		return fnType(r, r, r)
	}
	return fnType(r, r)
}
func (op *activationOp) InferShape(...G.DimSizer) (tensor.Shape, error) { return op.shape.Clone(), nil }
func (op *activationOp) DiffWRT(n int) []bool                           { return []bool{true, false}[:n] }

func (op *activationOp) SymDiff(inputs G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	n, err := G.ApplyOp(&activationGradOp{fusedOp: newFusedOp("activation-grad"), fwd: op}, append(append(G.Nodes{}, inputs...), grad)...)
	return append(G.Nodes{n}, make(G.Nodes, len(inputs)-1)...), err
}

func (op *activationOp) Do(vals ...G.Value) (G.Value, error) {
	dt := vals[0].Dtype()
	out := op.out.get(dt, op.shape)
	switch dt {
	case tensor.Float32:
		activationForward(op, data[float32](vals[0]), maskOf[float32](op.masked, vals), data[float32](out))
	case tensor.Float64:
		activationForward(op, data[float64](vals[0]), maskOf[float64](op.masked, vals), data[float64](out))
	default:
		return nil, fmt.Errorf("activation: unsupported type %v", dt)
	}
	return out, nil
}

// maskOf is the dropout mask among vals (the second), or nil.
func maskOf[T float](masked bool, vals []G.Value) []T {
	if !masked {
		return nil
	}
	return data[T](vals[1])
}

func activationForward[T float](op *activationOp, x, mask, out []T) {
	parallel(len(x), op.workers, func(_, lo, hi int) {
		x, out := x[lo:hi], out[lo:hi]
		if !op.gelu {
			relu(out, x)
		} else {
			for i, v := range x {
				f := float64(v)
				out[i] = T(0.5 * f * (1 + math.Erf(f*math.Sqrt2/2)))
			}
		}
		if mask != nil {
			vecMul(out, out, mask[lo:hi])
		}
	})
}

// relu sets out = max(x, 0), with kernels.Relu in float32.
func relu[T float](out, x []T) {
	if o, ok := any(out).([]float32); ok {
		kernels.Relu(o, any(x).([]float32))
		return
	}
	for i, v := range x {
		out[i] = max(v, 0)
	}
}

// activationGradOp is dOut ⊙ mask ⊙ act'(x), where GELU' = Φ(x) + x·φ(x) and ReLU' = [x > 0];
// its inputs are the forward inputs and dOut.
type activationGradOp struct {
	fusedOp
	fwd *activationOp
	out buffer
}

func (op *activationGradOp) Arity() int { return op.fwd.Arity() + 1 }
func (op *activationGradOp) Type() hm.Type {
	r := len(op.fwd.shape)
	if op.fwd.masked {
		return fnType(r, r, r, r)
	}
	return fnType(r, r, r)
}
func (op *activationGradOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return op.fwd.shape.Clone(), nil
}

func (op *activationGradOp) Do(vals ...G.Value) (G.Value, error) {
	dt := vals[0].Dtype()
	out := op.out.get(dt, op.fwd.shape)
	dOut := vals[len(vals)-1]
	switch dt {
	case tensor.Float32:
		activationBackward(op.fwd, data[float32](vals[0]), maskOf[float32](op.fwd.masked, vals), data[float32](dOut), data[float32](out))
	case tensor.Float64:
		activationBackward(op.fwd, data[float64](vals[0]), maskOf[float64](op.fwd.masked, vals), data[float64](dOut), data[float64](out))
	default:
		return nil, fmt.Errorf("activation-grad: unsupported type %v", dt)
	}
	return out, nil
}

func activationBackward[T float](op *activationOp, x, mask, dOut, grad []T) {
	parallel(len(x), op.workers, func(_, lo, hi int) {
		x, grad, dy := x[lo:hi], grad[lo:hi], dOut[lo:hi]
		if mask != nil {
			vecMul(grad, dy, mask[lo:hi])
			dy = grad
		}
		if op.gelu {
			copy(grad, dy) // onto itself when masked
			geluBackward(x, grad)
			return
		}
		reluBackward(grad, dy, x)
	})
}

// reluBackward sets grad = dy where x > 0 and 0 elsewhere, as PyTorch does: with
// kernels.ReluGrad in float32 (where a NaN x passes dy when its sign bit is clear).
func reluBackward[T float](grad, dy, x []T) {
	if g, ok := any(grad).([]float32); ok {
		kernels.ReluGrad(g, any(dy).([]float32), any(x).([]float32))
		return
	}
	for i, v := range x {
		grad[i] = dy[i]
		if v <= 0 {
			grad[i] = 0
		}
	}
}

// geluBackward multiplies grad by GELU'(x) = Φ(x) + x·φ(x).
func geluBackward[T float](x, grad []T) {
	invSqrt2Pi := 1 / math.Sqrt(2*math.Pi)
	for i, v := range x {
		f := float64(v)
		cdf := 0.5 * (1 + math.Erf(f*math.Sqrt2/2))
		pdf := invSqrt2Pi * math.Exp(-0.5*f*f)
		grad[i] *= T(cdf + f*pdf)
	}
}

// residual is x + dropout(y) in one op (x + y with no dropout), the residual connection of
// a Transformer layer.
func residual(s *Scope, x, y *G.Node, p float64) *G.Node {
	op := &residualOp{fusedOp: newFusedOp("residual"), shape: x.Shape().Clone()}
	in := G.Nodes{x, y}
	if m := dropoutMask(s, y.Shape(), p); m != nil {
		op.masked = true
		in = append(in, m)
	}
	return must(G.ApplyOp(op, in...))
}

// residualOp is x + y, or x + y ⊙ mask when masked. The gradient of x is the output's; that
// of y too, times the mask, which a residualOp with mul (dOut ⊙ mask) computes.
type residualOp struct {
	fusedOp
	masked, mul bool
	shape       tensor.Shape
	out         buffer
}

func (op *residualOp) Arity() int { return 2 + oneIf(op.masked) }
func (op *residualOp) Type() hm.Type {
	r := len(op.shape)
	if op.masked {
		return fnType(r, r, r, r)
	}
	return fnType(r, r, r)
}
func (op *residualOp) InferShape(...G.DimSizer) (tensor.Shape, error) { return op.shape.Clone(), nil }
func (op *residualOp) DiffWRT(n int) []bool                           { return []bool{true, true, false}[:n] }

func (op *residualOp) SymDiff(inputs G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	if !op.masked {
		return G.Nodes{grad, grad}, nil
	}
	dy, err := G.ApplyOp(&residualOp{fusedOp: newFusedOp("residual-grad"), mul: true, shape: op.shape}, grad, inputs[2])
	return G.Nodes{grad, dy, nil}, err
}

func (op *residualOp) Do(vals ...G.Value) (G.Value, error) {
	dt := vals[0].Dtype()
	out := op.out.get(dt, op.shape)
	switch dt {
	case tensor.Float32:
		residualForward(op, vals, data[float32](out))
	case tensor.Float64:
		residualForward(op, vals, data[float64](out))
	default:
		return nil, fmt.Errorf("residual: unsupported type %v", dt)
	}
	return out, nil
}

func residualForward[T float](op *residualOp, vals []G.Value, out []T) {
	x, y := data[T](vals[0]), data[T](vals[1])
	switch {
	case op.mul:
		vecMul(out, x, y)
	case op.masked:
		vecAddMul(out, x, y, data[T](vals[2]))
	default:
		vecAdd(out, x, y)
	}
}

// PositionalEncoding adds the sinusoidal table pe[pos, 2i] = sin(pos·10000^(−2i/d)),
// pe[pos, 2i+1] = cos(pos·10000^(−2i/d)) to x (B, T, d). The table is a constant.
func PositionalEncoding(x *G.Node) *G.Node { return ScaledPositionalEncoding(x, 1) }

// ScaledPositionalEncoding is scale·x + PositionalEncoding's table in one op, the input of a
// Transformer whose embeddings are scaled by √d.
func ScaledPositionalEncoding(x *G.Node, scale float64) *G.Node {
	if x.Dims() != 3 {
		panic(fmt.Sprintf("graphs: PositionalEncoding wants a (B, T, d) input, got shape %v", x.Shape()))
	}
	t, d := x.Shape()[1], x.Shape()[2]
	op := &positionalOp{fusedOp: newFusedOp("positional"), shape: x.Shape().Clone(), scale: scale, table: sinusoids(t, d)}
	return must(G.ApplyOp(op, x))
}

// sinusoids is the (t, d) table of PositionalEncoding, computed as the PyTorch tutorial does:
// the frequency of columns 2i and 2i+1 is exp(2i·(−ln 10000/d)).
func sinusoids(t, d int) []float64 {
	pe := make([]float64, t*d)
	for pos := 0; pos < t; pos++ {
		for i := 0; i < d; i += 2 {
			a := float64(pos) * math.Exp(float64(i)*(-math.Log(10000)/float64(d)))
			pe[pos*d+i] = math.Sin(a)
			if i+1 < d {
				pe[pos*d+i+1] = math.Cos(a)
			}
		}
	}
	return pe
}

// positionalOp adds its constant (T, d) table to every example of scale·x (B, T, d); the
// gradient is scale times the output's (the op again, without a table, when scale is not 1).
type positionalOp struct {
	fusedOp
	shape tensor.Shape
	scale float64
	table []float64 // nil: scale only
	out   buffer
}

func (op *positionalOp) Arity() int                                     { return 1 }
func (op *positionalOp) Type() hm.Type                                  { return fnType(3, 3) }
func (op *positionalOp) InferShape(...G.DimSizer) (tensor.Shape, error) { return op.shape.Clone(), nil }
func (op *positionalOp) DiffWRT(int) []bool                             { return []bool{true} }
func (op *positionalOp) SymDiff(_ G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	if op.scale == 1 {
		return G.Nodes{grad}, nil
	}
	scaled := &positionalOp{fusedOp: newFusedOp("scale"), shape: op.shape, scale: op.scale}
	n, err := G.ApplyOp(scaled, grad)
	return G.Nodes{n}, err
}

func (op *positionalOp) Do(vals ...G.Value) (G.Value, error) {
	dt := vals[0].Dtype()
	out := op.out.get(dt, op.shape)
	switch dt {
	case tensor.Float32:
		addTable(data[float32](vals[0]), float32(op.scale), op.table, data[float32](out))
	case tensor.Float64:
		addTable(data[float64](vals[0]), op.scale, op.table, data[float64](out))
	default:
		return nil, fmt.Errorf("positional: unsupported type %v", dt)
	}
	return out, nil
}

// addTable sets out = scale·x + table (repeated over the batch), rounding the product before
// the sum as a multiplication and an addition would.
func addTable[T float](x []T, scale T, table []float64, out []T) {
	if table == nil {
		for i, v := range x {
			out[i] = v * scale
		}
		return
	}
	for i, v := range x {
		out[i] = T(v*scale) + T(table[i%len(table)])
	}
}
