package graphs

import (
	"fmt"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// convGeometry is the shape arithmetic of a square-kernel 2D convolution.
type convGeometry struct {
	batch, inC, inH, inW int
	outC, outH, outW     int
	kernel, stride, pad  int
}

func newConvGeometry(x, w tensor.Shape, stride, pad int) convGeometry {
	g := convGeometry{batch: x[0], inC: x[1], inH: x[2], inW: x[3], outC: w[0], kernel: w[2], stride: stride, pad: pad}
	g.outH = (g.inH+2*pad-g.kernel)/stride + 1
	g.outW = (g.inW+2*pad-g.kernel)/stride + 1
	return g
}

func (g convGeometry) patch() int     { return g.inC * g.kernel * g.kernel } // one im2col row
func (g convGeometry) positions() int { return g.outH * g.outW }             // im2col rows per example
func (g convGeometry) inSize() int    { return g.inC * g.inH * g.inW }
func (g convGeometry) outSize() int   { return g.outC * g.positions() }

// im2col writes the patches of one example x (C, H, W) as rows of col (outH·outW, C·k·k).
func im2col[T float](g convGeometry, x, col []T) {
	k, patch, plane := g.kernel, g.patch(), g.inH*g.inW
	for oh := 0; oh < g.outH; oh++ {
		h0 := oh*g.stride - g.pad
		for ow := 0; ow < g.outW; ow++ {
			w0 := ow*g.stride - g.pad
			row := col[(oh*g.outW+ow)*patch:][:patch]
			if h0 < 0 || h0+k > g.inH || w0 < 0 || w0+k > g.inW {
				im2colEdge(g, x, row, h0, w0)
				continue
			}
			// The window lies inside the image: each of its rows is k contiguous pixels.
			i := 0
			for c := 0; c < g.inC; c++ {
				for ki := 0; ki < k; ki++ {
					src := x[c*plane+(h0+ki)*g.inW+w0:][:k]
					for j, v := range src {
						row[i+j] = v
					}
					i += k
				}
			}
		}
	}
}

// im2colEdge fills the patch row of a window that overlaps the zero padding.
func im2colEdge[T float](g convGeometry, x, row []T, h0, w0 int) {
	k, i := g.kernel, 0
	for c := 0; c < g.inC; c++ {
		plane := x[c*g.inH*g.inW:]
		for ki := 0; ki < k; ki++ {
			h := h0 + ki
			for kj := 0; kj < k; kj++ {
				w := w0 + kj
				if h >= 0 && h < g.inH && w >= 0 && w < g.inW {
					row[i] = plane[h*g.inW+w]
				} else {
					row[i] = 0
				}
				i++
			}
		}
	}
}

// col2im adds the rows of dcol back onto the pixels they came from in dx (C, H, W).
func col2im[T float](g convGeometry, dcol, dx []T) {
	clear(dx)
	k := g.kernel
	for oh := 0; oh < g.outH; oh++ {
		for ow := 0; ow < g.outW; ow++ {
			row := dcol[(oh*g.outW+ow)*g.patch():][:g.patch()]
			i := 0
			for c := 0; c < g.inC; c++ {
				plane := dx[c*g.inH*g.inW:]
				for ki := 0; ki < k; ki++ {
					h := oh*g.stride - g.pad + ki
					for kj := 0; kj < k; kj++ {
						w := ow*g.stride - g.pad + kj
						if h >= 0 && h < g.inH && w >= 0 && w < g.inW {
							plane[h*g.inW+w] += row[i]
						}
						i++
					}
				}
			}
		}
	}
}

// conv2dOp is a fused convolution with bias: x (B, C, H, W), weight (O, C, k, k) and bias
// (1, O, 1, 1) give (B, O, H', W'). Each example is im2col'd into the op's own buffer,
// which the weight gradient reuses, and multiplied in NCHW order, so no transpose is needed.
type conv2dOp struct {
	fusedOp
	geom     convGeometry
	workers  int // examples are split among this many goroutines
	col, out buffer
}

func (op *conv2dOp) Arity() int    { return 3 }
func (op *conv2dOp) Type() hm.Type { return fnType(4, 4, 4, 4) }
func (op *conv2dOp) outShape() tensor.Shape {
	g := op.geom
	return tensor.Shape{g.batch, g.outC, g.outH, g.outW}
}
func (op *conv2dOp) InferShape(...G.DimSizer) (tensor.Shape, error) { return op.outShape(), nil }
func (op *conv2dOp) DiffWRT(int) []bool                             { return []bool{true, true, true} }

func (op *conv2dOp) SymDiff(inputs G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	grads := make(G.Nodes, 3)
	for i := range grads {
		n, err := G.ApplyOp(&conv2dGradOp{fusedOp: newFusedOp("conv2d-grad"), fwd: op, wrt: i}, inputs[0], inputs[1], inputs[2], grad)
		if err != nil {
			return nil, err
		}
		grads[i] = n
	}
	return grads, nil
}

func (op *conv2dOp) Do(vals ...G.Value) (G.Value, error) {
	g := op.geom
	dt := vals[0].Dtype()
	out := op.out.get(dt, op.outShape())
	col := op.col.get(dt, tensor.Shape{g.batch * g.positions(), g.patch()})
	switch dt {
	case tensor.Float32:
		convForward(g, op.workers, data[float32](vals[0]), data[float32](vals[1]), data[float32](vals[2]), data[float32](col), data[float32](out))
	case tensor.Float64:
		convForward(g, op.workers, data[float64](vals[0]), data[float64](vals[1]), data[float64](vals[2]), data[float64](col), data[float64](out))
	default:
		return nil, fmt.Errorf("conv2d: unsupported type %v", dt)
	}
	return out, nil
}

// convForward computes out_b (O, H'W') = W (O, Ckk) · col_bᵀ + bias for every example b.
func convForward[T float](g convGeometry, workers int, x, w, bias, col, out []T) {
	parallel(g.batch, workers, func(_, lo, hi int) {
		for b := lo; b < hi; b++ {
			colB := col[b*g.positions()*g.patch():][:g.positions()*g.patch()]
			outB := out[b*g.outSize():][:g.outSize()]
			im2col(g, x[b*g.inSize():][:g.inSize()], colB)
			gemmSerial(false, true, g.outC, g.positions(), g.patch(), 1, w, colB, 0, outB)
			for o := 0; o < g.outC; o++ {
				plane := outB[o*g.positions():][:g.positions()]
				for i := range plane {
					plane[i] += bias[o]
				}
			}
		}
	})
}

// conv2dGradOp is the gradient of a conv2dOp's output with respect to its input wrt
// (0 image, 1 weight, 2 bias); its inputs are the forward op's inputs and the output's
// gradient.
type conv2dGradOp struct {
	fusedOp
	fwd     *conv2dOp
	wrt     int
	out     buffer
	scratch []buffer // per worker: dcol for wrt 0, a weight-gradient accumulator for wrt 1
}

func (op *conv2dGradOp) Arity() int    { return 4 }
func (op *conv2dGradOp) Type() hm.Type { return fnType(4, 4, 4, 4, 4) }
func (op *conv2dGradOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, ok := in[op.wrt].(tensor.Shape)
	if !ok {
		return nil, fmt.Errorf("conv2d-grad: input %d has no shape", op.wrt)
	}
	return s.Clone(), nil
}

func (op *conv2dGradOp) Do(vals ...G.Value) (G.Value, error) {
	dt := vals[0].Dtype()
	out := op.out.get(dt, vals[op.wrt].Shape())
	switch dt {
	case tensor.Float32:
		convBackward(op, data[float32](vals[1]), data[float32](vals[3]), data[float32](out), tensor.Float32)
	case tensor.Float64:
		convBackward(op, data[float64](vals[1]), data[float64](vals[3]), data[float64](out), tensor.Float64)
	default:
		return nil, fmt.Errorf("conv2d-grad: unsupported type %v", dt)
	}
	return out, nil
}

// convBackward computes one gradient of the convolution from dOut (B, O, H', W').
func convBackward[T float](op *conv2dGradOp, w, dOut, grad []T, dt tensor.Dtype) {
	g := op.fwd.geom
	col := data[T](op.fwd.col.t)
	if op.scratch == nil {
		op.scratch = make([]buffer, op.fwd.workers)
	}
	switch op.wrt {
	case 0: // dx_b = col2im(dOut_bᵀ · W)
		parallel(g.batch, op.fwd.workers, func(wk, lo, hi int) {
			dcol := data[T](op.scratch[wk].get(dt, tensor.Shape{g.positions(), g.patch()}))
			for b := lo; b < hi; b++ {
				gemmSerial(true, false, g.positions(), g.patch(), g.outC, 1, dOut[b*g.outSize():][:g.outSize()], w, 0, dcol)
				col2im(g, dcol, grad[b*g.inSize():][:g.inSize()])
			}
		})
	case 1: // dW = Σ_b dOut_b · col_b
		parallel(g.batch, op.fwd.workers, func(wk, lo, hi int) {
			acc := data[T](op.scratch[wk].get(dt, tensor.Shape{g.outC, g.patch()}))
			clear(acc)
			for b := lo; b < hi; b++ {
				colB := col[b*g.positions()*g.patch():][:g.positions()*g.patch()]
				gemmSerial(false, false, g.outC, g.patch(), g.positions(), 1, dOut[b*g.outSize():][:g.outSize()], colB, 1, acc)
			}
		})
		clear(grad)
		for wk := range op.scratch {
			if op.scratch[wk].t == nil {
				continue
			}
			for i, v := range data[T](op.scratch[wk].t) {
				grad[i] += v
			}
		}
	case 2: // db_o = Σ over examples and positions of dOut
		clear(grad)
		for b := 0; b < g.batch; b++ {
			for o := 0; o < g.outC; o++ {
				var s T
				for _, v := range dOut[b*g.outSize()+o*g.positions():][:g.positions()] {
					s += v
				}
				grad[o] += s
			}
		}
	}
}
