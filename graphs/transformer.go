package graphs

import (
	"errors"
	"fmt"
	"math"

	"github.com/chewxy/hm"
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
	return unrows(encoderLayer(s, rows(x), b, c, pad), b, t)
}

// Encoder stacks n EncoderLayers under s.Sub("layers.i"), then, if finalNorm, LayerNorm
// under s.Sub("norm") (nn.Transformer's encoder has it; nn.TransformerEncoder(norm=None)
// does not).
func Encoder(s *Scope, x *G.Node, n int, c LayerConfig, pad *G.Node, finalNorm bool) *G.Node {
	b, t := checkSequence(s, "Encoder", x, c, pad)
	h := rows(x)
	for i := 0; i < n; i++ {
		h = encoderLayer(s.Sub(fmt.Sprintf("layers.%d", i)), h, b, c, pad)
	}
	if finalNorm {
		h = LayerNorm(s.Sub("norm"), h, c.eps())
	}
	return unrows(h, b, t)
}

// DecoderLayer is nn.TransformerDecoderLayer(batch_first=True) on x (B, T, d) and memory
// (B, S, d), with a causal self-attention mask: parameters self_attn.*, multihead_attn.*,
// linear1, linear2, norm1, norm2 and norm3 under s. tgtPad (B, T) and memPad (B, S) may be
// nil.
func DecoderLayer(s *Scope, x, memory *G.Node, c LayerConfig, tgtPad, memPad *G.Node) *G.Node {
	b, t := checkDecoder(s, "DecoderLayer", x, memory, c, tgtPad, memPad)
	return unrows(decoderLayer(s, rows(x), rows(memory), b, c, tgtPad, memPad), b, t)
}

// Decoder stacks n DecoderLayers under s.Sub("layers.i"), then, if finalNorm, LayerNorm
// under s.Sub("norm").
func Decoder(s *Scope, x, memory *G.Node, n int, c LayerConfig, tgtPad, memPad *G.Node, finalNorm bool) *G.Node {
	b, t := checkDecoder(s, "Decoder", x, memory, c, tgtPad, memPad)
	h, mem := rows(x), rows(memory)
	for i := 0; i < n; i++ {
		h = decoderLayer(s.Sub(fmt.Sprintf("layers.%d", i)), h, mem, b, c, tgtPad, memPad)
	}
	if finalNorm {
		h = LayerNorm(s.Sub("norm"), h, c.eps())
	}
	return unrows(h, b, t)
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

// rows reshapes x (B, T, d) to (B·T, d), the layout the layers work in.
func rows(x *G.Node) *G.Node {
	s := x.Shape()
	return must(G.Reshape(x, tensor.Shape{s[0] * s[1], s[2]}))
}

// unrows reshapes h (B·T, d) back to (B, T, d).
func unrows(h *G.Node, b, t int) *G.Node {
	return must(G.Reshape(h, tensor.Shape{b, t, h.Shape()[1]}))
}

// encoderLayer is EncoderLayer on rows x (B·T, d).
func encoderLayer(s *Scope, x *G.Node, batch int, c LayerConfig, pad *G.Node) *G.Node {
	selfAttn := func(h *G.Node) *G.Node {
		a := attention(s.Sub("self_attn"), h, h, batch, c.Heads, AttentionOptions{KeyPadding: pad, Dropout: c.Dropout})
		return Dropout(s.Sub("dropout1"), a, c.Dropout)
	}
	eps := c.eps()
	if c.NormFirst {
		x = add(x, selfAttn(LayerNorm(s.Sub("norm1"), x, eps)))
		return add(x, feedForward(s, LayerNorm(s.Sub("norm2"), x, eps), c, "dropout2"))
	}
	x = LayerNorm(s.Sub("norm1"), add(x, selfAttn(x)), eps)
	return LayerNorm(s.Sub("norm2"), add(x, feedForward(s, x, c, "dropout2")), eps)
}

// decoderLayer is DecoderLayer on rows x (B·T, d) and memory (B·S, d).
func decoderLayer(s *Scope, x, memory *G.Node, batch int, c LayerConfig, tgtPad, memPad *G.Node) *G.Node {
	selfAttn := func(h *G.Node) *G.Node {
		a := attention(s.Sub("self_attn"), h, h, batch, c.Heads, AttentionOptions{KeyPadding: tgtPad, Causal: true, Dropout: c.Dropout})
		return Dropout(s.Sub("dropout1"), a, c.Dropout)
	}
	crossAttn := func(h *G.Node) *G.Node {
		a := attention(s.Sub("multihead_attn"), h, memory, batch, c.Heads, AttentionOptions{KeyPadding: memPad, Dropout: c.Dropout})
		return Dropout(s.Sub("dropout2"), a, c.Dropout)
	}
	eps := c.eps()
	if c.NormFirst {
		x = add(x, selfAttn(LayerNorm(s.Sub("norm1"), x, eps)))
		x = add(x, crossAttn(LayerNorm(s.Sub("norm2"), x, eps)))
		return add(x, feedForward(s, LayerNorm(s.Sub("norm3"), x, eps), c, "dropout3"))
	}
	x = LayerNorm(s.Sub("norm1"), add(x, selfAttn(x)), eps)
	x = LayerNorm(s.Sub("norm2"), add(x, crossAttn(x)), eps)
	return LayerNorm(s.Sub("norm3"), add(x, feedForward(s, x, c, "dropout3")), eps)
}

// feedForward is linear2(dropout(activation(linear1(x)))) followed by the dropout named
// dropName, as PyTorch's _ff_block.
func feedForward(s *Scope, x *G.Node, c LayerConfig, dropName string) *G.Node {
	h := Linear(s.Sub("linear1"), x, c.FF)
	if c.Activation == "gelu" {
		h = GELU(h)
	} else {
		h = ReLU(h)
	}
	h = Dropout(s.Sub("dropout"), h, c.Dropout)
	h = Linear(s.Sub("linear2"), h, c.Dim)
	return Dropout(s.Sub(dropName), h, c.Dropout)
}

func add(a, b *G.Node) *G.Node { return must(G.Add(a, b)) }

// GELU is the exact GELU x·Φ(x) = x·(1 + erf(x/√2))/2, as F.gelu.
func GELU(x *G.Node) *G.Node {
	return must(G.ApplyOp(&geluOp{fusedOp: newFusedOp("gelu"), shape: x.Shape().Clone(), workers: defaultWorkers()}, x))
}

type geluOp struct {
	fusedOp
	shape   tensor.Shape
	workers int
	out     buffer
}

func (op *geluOp) Arity() int                                     { return 1 }
func (op *geluOp) Type() hm.Type                                  { return fnType(len(op.shape), len(op.shape)) }
func (op *geluOp) InferShape(...G.DimSizer) (tensor.Shape, error) { return op.shape.Clone(), nil }
func (op *geluOp) DiffWRT(int) []bool                             { return []bool{true} }

func (op *geluOp) SymDiff(inputs G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	n, err := G.ApplyOp(&geluGradOp{fusedOp: newFusedOp("gelu-grad"), fwd: op}, inputs[0], grad)
	return G.Nodes{n}, err
}

func (op *geluOp) Do(vals ...G.Value) (G.Value, error) {
	dt := vals[0].Dtype()
	out := op.out.get(dt, op.shape)
	switch dt {
	case tensor.Float32:
		geluForward(op.workers, data[float32](vals[0]), data[float32](out))
	case tensor.Float64:
		geluForward(op.workers, data[float64](vals[0]), data[float64](out))
	default:
		return nil, fmt.Errorf("gelu: unsupported type %v", dt)
	}
	return out, nil
}

func geluForward[T float](workers int, x, out []T) {
	parallel(len(x), workers, func(_, lo, hi int) {
		for i, v := range x[lo:hi] {
			f := float64(v)
			out[lo+i] = T(0.5 * f * (1 + math.Erf(f*math.Sqrt2/2)))
		}
	})
}

// geluGradOp is dOut ⊙ (Φ(x) + x·φ(x)); its inputs are x and dOut.
type geluGradOp struct {
	fusedOp
	fwd *geluOp
	out buffer
}

func (op *geluGradOp) Arity() int    { return 2 }
func (op *geluGradOp) Type() hm.Type { r := len(op.fwd.shape); return fnType(r, r, r) }
func (op *geluGradOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return op.fwd.shape.Clone(), nil
}

func (op *geluGradOp) Do(vals ...G.Value) (G.Value, error) {
	dt := vals[0].Dtype()
	out := op.out.get(dt, op.fwd.shape)
	switch dt {
	case tensor.Float32:
		geluBackward(op.fwd.workers, data[float32](vals[0]), data[float32](vals[1]), data[float32](out))
	case tensor.Float64:
		geluBackward(op.fwd.workers, data[float64](vals[0]), data[float64](vals[1]), data[float64](out))
	default:
		return nil, fmt.Errorf("gelu-grad: unsupported type %v", dt)
	}
	return out, nil
}

func geluBackward[T float](workers int, x, dOut, grad []T) {
	invSqrt2Pi := 1 / math.Sqrt(2*math.Pi)
	parallel(len(x), workers, func(_, lo, hi int) {
		for i, v := range x[lo:hi] {
			f := float64(v)
			cdf := 0.5 * (1 + math.Erf(f*math.Sqrt2/2))
			pdf := invSqrt2Pi * math.Exp(-0.5*f*f)
			grad[lo+i] = dOut[lo+i] * T(cdf+f*pdf)
		}
	})
}

// PositionalEncoding adds the sinusoidal table pe[pos, 2i] = sin(pos·10000^(−2i/d)),
// pe[pos, 2i+1] = cos(pos·10000^(−2i/d)) to x (B, T, d). The table is a constant.
func PositionalEncoding(x *G.Node) *G.Node {
	if x.Dims() != 3 {
		panic(fmt.Sprintf("graphs: PositionalEncoding wants a (B, T, d) input, got shape %v", x.Shape()))
	}
	t, d := x.Shape()[1], x.Shape()[2]
	return must(G.ApplyOp(&positionalOp{fusedOp: newFusedOp("positional"), shape: x.Shape().Clone(), table: sinusoids(t, d)}, x))
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

// positionalOp adds its constant (T, d) table to every example of x (B, T, d); the gradient
// passes through unchanged.
type positionalOp struct {
	fusedOp
	shape tensor.Shape
	table []float64
	out   buffer
}

func (op *positionalOp) Arity() int                                     { return 1 }
func (op *positionalOp) Type() hm.Type                                  { return fnType(3, 3) }
func (op *positionalOp) InferShape(...G.DimSizer) (tensor.Shape, error) { return op.shape.Clone(), nil }
func (op *positionalOp) DiffWRT(int) []bool                             { return []bool{true} }
func (op *positionalOp) SymDiff(_ G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	return G.Nodes{grad}, nil
}

func (op *positionalOp) Do(vals ...G.Value) (G.Value, error) {
	dt := vals[0].Dtype()
	out := op.out.get(dt, op.shape)
	switch dt {
	case tensor.Float32:
		addTable(data[float32](vals[0]), op.table, data[float32](out))
	case tensor.Float64:
		addTable(data[float64](vals[0]), op.table, data[float64](out))
	default:
		return nil, fmt.Errorf("positional: unsupported type %v", dt)
	}
	return out, nil
}

func addTable[T float](x []T, table []float64, out []T) {
	for i, v := range x {
		out[i] = v + T(table[i%len(table)])
	}
}
