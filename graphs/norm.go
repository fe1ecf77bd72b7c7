package graphs

import (
	"fmt"
	"math"

	"github.com/chewxy/hm"
	"github.com/gorgonet/gorgonet/kernels"
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
	fwd32      rowTask[float32]
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
	t, ok := any(&op.fwd32).(*rowTask[T])
	if !ok { // float64, for the gradient checks: a closure per run
		t = &rowTask[T]{}
	}
	if t.run == nil {
		t.run = func(_, lo, hi int) {
			x, w, b, out := t.s[0], t.s[1], t.s[2], t.s[3]
			for r := lo; r < hi; r++ {
				op.mean[r], op.rstd[r] = NormalizeRow(out[r*d:][:d], x[r*d:][:d], w, b, op.eps)
			}
		}
	}
	t.s = [4][]T{x, w, b, out}
	parallel(op.rows, op.workers, t.run)
}

// NormalizeRow writes the layer norm of row into out (which may be row itself): row less
// its mean, times 1/sqrt(variance + eps), then times w plus b. It returns the mean and that
// factor. In float32 it is kernels.LayerNorm; in float64 the statistics are summed in
// order. LayerNorm's op computes each row with it, and so does incremental decoding outside
// a graph, so that the two agree bit for bit.
func NormalizeRow[T float](out, row, w, b []T, eps float64) (mean, rstd float64) {
	if o, ok := any(out).([]float32); ok {
		m, r := kernels.LayerNorm(o, any(row).([]float32), any(w).([]float32), any(b).([]float32), float32(eps))
		return float64(m), float64(r)
	}
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
	fwd  *layerNormOp
	wrt  int
	out  buffer
	dx32 rowTask[float32]
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

// layerNormInputGrad computes rows [lo, hi) of dx (see layerNormBackward), in float32 with
// kernels.LayerNormGrad.
func layerNormInputGrad[T float](f *layerNormOp, lo, hi int, x, w, dOut, grad []T) {
	d := f.dim
	if g32, ok := any(grad).([]float32); ok {
		x32, w32, d32 := any(x).([]float32), any(w).([]float32), any(dOut).([]float32)
		for r := lo; r < hi; r++ {
			kernels.LayerNormGrad(g32[r*d:][:d], x32[r*d:][:d], w32, d32[r*d:][:d], float32(f.mean[r]), float32(f.rstd[r]))
		}
		return
	}
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
}

// layerNormBackward computes one gradient from dOut. With x̂ = (x − μ)/σ and g = dOut ⊙ w,
// dx = (g − mean(g) − x̂·mean(g ⊙ x̂))/σ per row, dw = Σ_rows dOut ⊙ x̂, db = Σ_rows dOut.
func layerNormBackward[T float](op *layerNormGradOp, x, w, dOut, grad []T) {
	f := op.fwd
	d := f.dim
	switch op.wrt {
	case 0:
		t, ok := any(&op.dx32).(*rowTask[T])
		if !ok { // float64, for the gradient checks: a closure per run
			t = &rowTask[T]{}
		}
		if t.run == nil {
			t.run = func(_, lo, hi int) { layerNormInputGrad(f, lo, hi, t.s[0], t.s[1], t.s[2], t.s[3]) }
		}
		t.s = [4][]T{x, w, dOut, grad}
		parallel(f.rows, f.workers, t.run)
	case 1:
		clear(grad)
		if g32, ok := any(grad).([]float32); ok {
			x32, d32 := any(x).([]float32), any(dOut).([]float32)
			for r := 0; r < f.rows; r++ {
				kernels.LayerNormWeightGrad(g32, x32[r*d:][:d], d32[r*d:][:d], float32(f.mean[r]), float32(f.rstd[r]))
			}
			return
		}
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
			vecAdd(grad, grad, dOut[r*d:][:d])
		}
	}
}
