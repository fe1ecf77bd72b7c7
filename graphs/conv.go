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

// im2col writes the patches of one example x (C, H, W) as the columns of col (C·k·k,
// outH·outW): row (c, ki, kj) holds, for every output position, the pixel of channel c under
// kernel tap (ki, kj), 0 in the padding. Each output row's stretch of a col row is one
// contiguous run of an input row (for stride 1), so im2col is row copies, not pixel moves.
func im2col[T float](g convGeometry, x, col []T) {
	eachTap(g, col, g.positions(), func(c, ki, kj int, tap []T) {
		lo, hi := g.inside(kj)
		for oh := range g.outH {
			dst := tap[oh*g.outW:][:g.outW]
			h := oh*g.stride - g.pad + ki
			if h < 0 || h >= g.inH {
				clear(dst)
				continue
			}
			src := x[(c*g.inH+h)*g.inW:][:g.inW]
			clear(dst[:lo])
			clear(dst[hi:])
			if g.stride == 1 {
				copy(dst[lo:hi], src[lo-g.pad+kj:])
				continue
			}
			for ow := lo; ow < hi; ow++ {
				dst[ow] = src[ow*g.stride-g.pad+kj]
			}
		}
	})
}

// col2im adds the columns of dcol (C·k·k, outH·outW) back onto the pixels they came from in
// dx (C, H, W).
func col2im[T float](g convGeometry, dcol, dx []T) {
	clear(dx)
	eachTap(g, dcol, g.positions(), func(c, ki, kj int, tap []T) {
		lo, hi := g.inside(kj)
		for oh := range g.outH {
			h := oh*g.stride - g.pad + ki
			if h < 0 || h >= g.inH {
				continue
			}
			src := tap[oh*g.outW:][lo:hi]
			dst := dx[(c*g.inH+h)*g.inW:][:g.inW]
			if g.stride == 1 {
				dst = dst[lo-g.pad+kj:][:len(src)]
				for i, v := range src {
					dst[i] += v
				}
				continue
			}
			for i, v := range src {
				dst[(lo+i)*g.stride-g.pad+kj] += v
			}
		}
	})
}

// eachTap calls fn with each kernel tap (channel c, row ki, column kj) of g and its row of
// col (C·k·k, p).
func eachTap[T float](g convGeometry, col []T, p int, fn func(c, ki, kj int, tap []T)) {
	k := g.kernel
	for c := range g.inC {
		for ki := range k {
			for kj := range k {
				fn(c, ki, kj, col[((c*k+ki)*k+kj)*p:][:p])
			}
		}
	}
}

// inside is the range [lo, hi) of output columns whose input column under kernel column kj
// lies inside the image (not in the padding).
func (g convGeometry) inside(kj int) (lo, hi int) {
	if g.pad > kj {
		lo = (g.pad - kj + g.stride - 1) / g.stride
	}
	if last := g.inW - 1 + g.pad - kj; last >= 0 {
		hi = min(g.outW, last/g.stride+1)
	}
	return lo, max(lo, hi)
}

// conv2dOp is a fused convolution with bias: x (B, C, H, W), weight (O, C, k, k) and bias
// (1, O, 1, 1) give (B, O, H', W'). Each example is im2col'd into the op's own buffer (C·k·k
// rows of H'·W' positions), which the weight gradient reuses, and multiplied in NCHW order, so
// no transpose is needed. For stride 1 the buffer holds the examples' padded planes instead,
// and each worker im2cols (wide, see convwide.go) into its own cache-sized buffer, again for
// the weight gradient.
type conv2dOp struct {
	fusedOp
	geom       convGeometry
	workers    int // examples are split among this many goroutines
	col, out   buffer
	cols, wide []buffer // per worker, for stride 1: an example's wide im2col and product
}

func newConv2dOp(x, w tensor.Shape, stride, pad int) *conv2dOp {
	workers := defaultWorkers()
	return &conv2dOp{fusedOp: newFusedOp("conv2d"), geom: newConvGeometry(x, w, stride, pad), workers: workers,
		cols: make([]buffer, workers), wide: make([]buffer, workers)}
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
	col := op.col.get(dt, g.colShape())
	switch dt {
	case tensor.Float32:
		convForwardOf(op, dt, data[float32](vals[0]), data[float32](vals[1]), data[float32](vals[2]), data[float32](col), data[float32](out))
	case tensor.Float64:
		convForwardOf(op, dt, data[float64](vals[0]), data[float64](vals[1]), data[float64](vals[2]), data[float64](col), data[float64](out))
	default:
		return nil, fmt.Errorf("conv2d: unsupported type %v", dt)
	}
	return out, nil
}

// convForwardOf runs the forward of op's geometry: wide for stride 1.
func convForwardOf[T float](op *conv2dOp, dt tensor.Dtype, x, w, bias, col, out []T) {
	if op.geom.wide() {
		convForwardWide(op, dt, x, w, bias, col, out)
		return
	}
	convForward(op.geom, op.workers, x, w, bias, col, out)
}

// convForward computes out_b (O, H'W') = W (O, Ckk) · col_b (Ckk, H'W') + bias for every
// example b.
func convForward[T float](g convGeometry, workers int, x, w, bias, col, out []T) {
	parallel(g.batch, workers, func(_, lo, hi int) {
		for b := lo; b < hi; b++ {
			colB := col[b*g.positions()*g.patch():][:g.positions()*g.patch()]
			outB := out[b*g.outSize():][:g.outSize()]
			im2col(g, x[b*g.inSize():][:g.inSize()], colB)
			gemmSerial(false, false, g.outC, g.positions(), g.patch(), 1, w, colB, 0, outB)
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
	scratch []convScratch // per worker
	sumT    buffer        // for wrt 1 of a wide convolution: the accumulators' sum, dWᵀ
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
		op.scratch = make([]convScratch, op.fwd.workers)
	}
	switch {
	case op.wrt == 0 && g.wide():
		convInputGradWide(op, dt, w, dOut, grad)
	case op.wrt == 1 && g.wide():
		sumT := data[T](op.sumT.get(dt, tensor.Shape{g.patch(), g.outC}))
		convWeightGradWide(op, dt, col, dOut)
		sumScratch(op, sumT)
		transpose(grad, g.patch(), sumT, g.outC, g.patch(), g.outC)
	case op.wrt == 0: // dx_b = col2im(Wᵀ · dOut_b)
		parallel(g.batch, op.fwd.workers, func(wk, lo, hi int) {
			dcol := data[T](op.scratch[wk].col.get(dt, tensor.Shape{g.patch(), g.positions()}))
			for b := lo; b < hi; b++ {
				gemmSerial(true, false, g.patch(), g.positions(), g.outC, 1, w, dOut[b*g.outSize():][:g.outSize()], 0, dcol)
				col2im(g, dcol, grad[b*g.inSize():][:g.inSize()])
			}
		})
	case op.wrt == 1: // dW = Σ_b dOut_b · col_bᵀ
		parallel(g.batch, op.fwd.workers, func(wk, lo, hi int) {
			acc := data[T](op.scratch[wk].acc.get(dt, tensor.Shape{g.outC, g.patch()}))
			clear(acc)
			for b := lo; b < hi; b++ {
				colB := col[b*g.positions()*g.patch():][:g.positions()*g.patch()]
				gemmSerial(false, true, g.outC, g.patch(), g.positions(), 1, dOut[b*g.outSize():][:g.outSize()], colB, 1, acc)
			}
		})
		sumScratch(op, grad)
	default: // db_o = Σ over examples and positions of dOut
		clear(grad)
		for b := 0; b < g.batch; b++ {
			for o := 0; o < g.outC; o++ {
				grad[o] += rowSum(dOut[b*g.outSize()+o*g.positions():][:g.positions()])
			}
		}
	}
}

// sumScratch sets grad to the sum of the workers' weight-gradient accumulators.
func sumScratch[T float](op *conv2dGradOp, grad []T) {
	clear(grad)
	for wk := range op.scratch {
		if acc := op.scratch[wk].acc.t; acc != nil {
			vecAdd(grad, grad, data[T](acc))
		}
	}
}
