package graphs

import (
	"fmt"
	"math"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Embedding is torch.nn.Embedding(vocab, dim): ids is a (B, T) input node holding integer
// token ids stored as floats; the result is (B, T, dim). Parameter "weight" (vocab, dim),
// initialised N(0, 1) as PyTorch does. An id outside [0, vocab) makes the run fail with an
// error naming the id. The gradient flows only to the weight (ids get none).
func Embedding(s *Scope, ids *G.Node, vocab, dim int) *G.Node {
	if ids.Dims() != 2 {
		panic(fmt.Sprintf("graphs: Embedding %s wants (batch, steps) ids, got shape %v", s.path, ids.Shape()))
	}
	return EmbeddingOf(ids, EmbeddingWeight(s, vocab, dim, 1))
}

// EmbeddingWeight adds an embedding table: parameter "weight" (vocab, dim) drawn N(0, std²).
// A table looked up by several EmbeddingOf and read by TiedLinear is one parameter whose
// gradient sums theirs (tied embeddings).
func EmbeddingWeight(s *Scope, vocab, dim int, std float64) *G.Node {
	if vocab < 1 || dim < 1 {
		panic(fmt.Sprintf("graphs: Embedding %s needs a positive vocabulary and dimension, got %d and %d", s.path, vocab, dim))
	}
	return s.paramInit("weight", []int{vocab, dim}, []int{vocab, dim}, Normal(std))
}

// EmbeddingOf looks ids (B, T) up in the table w (vocab, dim): (B, T, dim), as Embedding.
func EmbeddingOf(ids, w *G.Node) *G.Node {
	if ids.Dims() != 2 || w.Dims() != 2 {
		panic(fmt.Sprintf("graphs: EmbeddingOf wants (batch, steps) ids and a (vocab, dim) table, got %v and %v", ids.Shape(), w.Shape()))
	}
	vocab, dim := w.Shape()[0], w.Shape()[1]
	op := &embeddingOp{fusedOp: newFusedOp("embedding"), batch: ids.Shape()[0], steps: ids.Shape()[1], vocab: vocab, dim: dim}
	op.ids = make([]int32, op.batch*op.steps)
	return must(G.ApplyOp(op, ids, w)) // (B, T, dim)
}

// embeddingOp copies row ids[b, t] of the weight to output (b, t). It keeps the ids of the
// last run, checked and converted to integers, for its gradient.
type embeddingOp struct {
	fusedOp
	batch, steps, vocab, dim int
	ids                      []int32
	out                      buffer
}

func (op *embeddingOp) Arity() int          { return 2 }
func (op *embeddingOp) Type() hm.Type       { return fnType(3, 2, 2) }
func (op *embeddingOp) shape() tensor.Shape { return tensor.Shape{op.batch, op.steps, op.dim} }
func (op *embeddingOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return op.shape(), nil
}
func (op *embeddingOp) DiffWRT(int) []bool { return []bool{false, true} }

// SymDiff passes the output to the gradient op only to order it after the forward op,
// whose ids it reads.
func (op *embeddingOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	n, err := G.ApplyOp(&embeddingGradOp{fusedOp: newFusedOp("embedding-grad"), fwd: op}, inputs[0], inputs[1], output, grad)
	return G.Nodes{nil, n}, err
}

func (op *embeddingOp) Do(vals ...G.Value) (G.Value, error) {
	dt := vals[0].Dtype()
	out := op.out.get(dt, op.shape())
	var err error
	switch dt {
	case tensor.Float32:
		err = embeddingForward(op, data[float32](vals[0]), data[float32](vals[1]), data[float32](out))
	case tensor.Float64:
		err = embeddingForward(op, data[float64](vals[0]), data[float64](vals[1]), data[float64](out))
	default:
		err = fmt.Errorf("embedding: unsupported type %v", dt)
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

func embeddingForward[T float](op *embeddingOp, ids, w, out []T) error {
	for p, v := range ids {
		if !(v >= 0 && v < T(op.vocab)) || T(math.Trunc(float64(v))) != v {
			return fmt.Errorf("embedding: token id %v at (%d, %d) is not an integer in [0, %d)", v, p/op.steps, p%op.steps, op.vocab)
		}
		id := int(v)
		op.ids[p] = int32(id)
		copy(out[p*op.dim:][:op.dim], w[id*op.dim:][:op.dim])
	}
	return nil
}

// embeddingGradOp adds each output position's gradient to the weight row it came from; its
// inputs are the ids, the weight, the forward output and the output's gradient.
type embeddingGradOp struct {
	fusedOp
	fwd *embeddingOp
	out buffer
}

func (op *embeddingGradOp) Arity() int    { return 4 }
func (op *embeddingGradOp) Type() hm.Type { return fnType(2, 2, 2, 3, 3) }
func (op *embeddingGradOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return tensor.Shape{op.fwd.vocab, op.fwd.dim}, nil
}

func (op *embeddingGradOp) Do(vals ...G.Value) (G.Value, error) {
	dt := vals[0].Dtype()
	out := op.out.get(dt, tensor.Shape{op.fwd.vocab, op.fwd.dim})
	switch dt {
	case tensor.Float32:
		embeddingBackward(op.fwd, data[float32](vals[3]), data[float32](out))
	case tensor.Float64:
		embeddingBackward(op.fwd, data[float64](vals[3]), data[float64](out))
	default:
		return nil, fmt.Errorf("embedding-grad: unsupported type %v", dt)
	}
	return out, nil
}

func embeddingBackward[T float](op *embeddingOp, dOut, grad []T) {
	clear(grad)
	d := op.dim
	for p, id := range op.ids {
		row, src := grad[int(id)*d:][:d], dOut[p*d:][:d]
		for j, v := range src {
			row[j] += v
		}
	}
}
