package graphs

import (
	"fmt"
	"math"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// LayerNorm is torch.nn.LayerNorm(d, eps) over the last axis of x (any rank ≥ 2), with
// parameters "weight" (d), initialised to 1, and "bias" (d), initialised to 0.
func LayerNorm(s *Scope, x *G.Node, eps float64) *G.Node {
	if x.Dims() < 2 {
		panic(fmt.Sprintf("graphs: LayerNorm %s wants an input of rank ≥ 2, got shape %v", s.path, x.Shape()))
	}
	if eps <= 0 {
		panic(fmt.Sprintf("graphs: LayerNorm %s: eps %v must be positive", s.path, eps))
	}
	shape := x.Shape().Clone()
	d := shape[len(shape)-1]
	w := s.paramInit("weight", []int{d}, []int{d}, Constant(1))
	b := s.paramInit("bias", []int{d}, []int{d}, Constant(0))
	rows := shape.TotalSize() / d
	op := &layerNormOp{fusedOp: newFusedOp("layernorm"), shape: shape, paramShape: tensor.Shape{d}, rows: rows, dim: d, eps: eps,
		mean: make([]float64, rows), rstd: make([]float64, rows), workers: defaultWorkers()}
	return must(G.ApplyOp(op, x, w, b))
}

// layerNormOp normalises each row of x (the last axis) to zero mean and unit variance, then
// scales by weight and shifts by bias. It keeps each row's mean and 1/σ for its gradients,
// so they never read its output (which later ops may overwrite in place).
type layerNormOp struct {
	fusedOp
	shape      tensor.Shape
	paramShape tensor.Shape // (d), of the weight and bias
	rows, dim  int
	eps        float64
	mean, rstd []float64 // per row, from the last forward run
	workers    int
	out        buffer
}

func (op *layerNormOp) Arity() int    { return 3 }
func (op *layerNormOp) Type() hm.Type { return fnType(len(op.shape), len(op.shape), 1, 1) }
func (op *layerNormOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return op.shape.Clone(), nil
}
func (op *layerNormOp) DiffWRT(int) []bool { return []bool{true, true, true} }

func (op *layerNormOp) SymDiff(inputs G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	grads := make(G.Nodes, 3)
	for i := range grads {
		n, err := G.ApplyOp(&layerNormGradOp{fusedOp: newFusedOp("layernorm-grad"), fwd: op, wrt: i}, inputs[0], inputs[1], grad)
		if err != nil {
			return nil, err
		}
		grads[i] = n
	}
	return grads, nil
}

func (op *layerNormOp) Do(vals ...G.Value) (G.Value, error) {
	dt := vals[0].Dtype()
	out := op.out.get(dt, op.shape)
	switch dt {
	case tensor.Float32:
		layerNormForward(op, data[float32](vals[0]), data[float32](vals[1]), data[float32](vals[2]), data[float32](out))
	case tensor.Float64:
		layerNormForward(op, data[float64](vals[0]), data[float64](vals[1]), data[float64](vals[2]), data[float64](out))
	default:
		return nil, fmt.Errorf("layernorm: unsupported type %v", dt)
	}
	return out, nil
}

func layerNormForward[T float](op *layerNormOp, x, w, b, out []T) {
	d := op.dim
	parallel(op.rows, op.workers, func(_, lo, hi int) {
		for r := lo; r < hi; r++ {
			op.mean[r], op.rstd[r] = NormalizeRow(out[r*d:][:d], x[r*d:][:d], w, b, op.eps)
		}
	})
}

// NormalizeRow writes the layer norm of row into out (which may be row itself): row less
// its mean, times 1/sqrt(variance + eps), both in float64, then times w plus b. It returns
// the mean and that factor. LayerNorm's op computes each row with it, and so does
// incremental decoding outside a graph, so that the two agree bit for bit.
func NormalizeRow[T float](out, row, w, b []T, eps float64) (mean, rstd float64) {
	d := len(row)
	var sum float64
	for _, v := range row {
		sum += float64(v)
	}
	mean = sum / float64(d)
	var sq float64
	for _, v := range row {
		c := float64(v) - mean
		sq += c * c
	}
	rstd = 1 / math.Sqrt(sq/float64(d)+eps)
	for j, v := range row {
		out[j] = T((float64(v)-mean)*rstd)*w[j] + b[j]
	}
	return mean, rstd
}

// layerNormGradOp is the gradient of a layerNormOp's output with respect to input wrt (0 x,
// 1 weight, 2 bias); its inputs are x, weight and the output's gradient.
type layerNormGradOp struct {
	fusedOp
	fwd *layerNormOp
	wrt int
	out buffer
}

func (op *layerNormGradOp) Arity() int { return 3 }
func (op *layerNormGradOp) Type() hm.Type {
	r := len(op.fwd.shape)
	out := r
	if op.wrt > 0 {
		out = 1
	}
	return fnType(out, r, 1, r)
}
func (op *layerNormGradOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return op.shape().Clone(), nil
}

// shape is the gradient's shape: x's, or the weight's and bias's (d).
func (op *layerNormGradOp) shape() tensor.Shape {
	if op.wrt == 0 {
		return op.fwd.shape
	}
	return op.fwd.paramShape
}

func (op *layerNormGradOp) Do(vals ...G.Value) (G.Value, error) {
	dt := vals[0].Dtype()
	out := op.out.get(dt, op.shape())
	switch dt {
	case tensor.Float32:
		layerNormBackward(op, data[float32](vals[0]), data[float32](vals[1]), data[float32](vals[2]), data[float32](out))
	case tensor.Float64:
		layerNormBackward(op, data[float64](vals[0]), data[float64](vals[1]), data[float64](vals[2]), data[float64](out))
	default:
		return nil, fmt.Errorf("layernorm-grad: unsupported type %v", dt)
	}
	return out, nil
}

// layerNormBackward computes one gradient from dOut. With x̂ = (x − μ)/σ and g = dOut ⊙ w,
// dx = (g − mean(g) − x̂·mean(g ⊙ x̂))/σ per row, dw = Σ_rows dOut ⊙ x̂, db = Σ_rows dOut.
func layerNormBackward[T float](op *layerNormGradOp, x, w, dOut, grad []T) {
	f := op.fwd
	d := f.dim
	switch op.wrt {
	case 0:
		parallel(f.rows, f.workers, func(_, lo, hi int) {
			for r := lo; r < hi; r++ {
				mean, rstd := f.mean[r], f.rstd[r]
				xr, dr := x[r*d:][:d], dOut[r*d:][:d]
				var sg, sgx float64
				for j, v := range xr {
					g := float64(dr[j] * w[j])
					sg += g
					sgx += g * (float64(v) - mean) * rstd
				}
				sg /= float64(d)
				sgx /= float64(d)
				o := grad[r*d:][:d]
				for j, v := range xr {
					g := float64(dr[j] * w[j])
					o[j] = T((g - sg - (float64(v)-mean)*rstd*sgx) * rstd)
				}
			}
		})
	case 1:
		clear(grad)
		for r := 0; r < f.rows; r++ {
			mean, rstd := f.mean[r], f.rstd[r]
			dr := dOut[r*d:][:d]
			for j, v := range x[r*d:][:d] {
				grad[j] += dr[j] * T((float64(v)-mean)*rstd)
			}
		}
	case 2:
		clear(grad)
		for r := 0; r < f.rows; r++ {
			for j, v := range dOut[r*d:][:d] {
				grad[j] += v
			}
		}
	}
}
