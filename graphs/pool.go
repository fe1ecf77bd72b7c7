package graphs

import (
	"fmt"
	"math"

	"github.com/chewxy/hm"
	"github.com/gorgonet/gorgonet/kernels"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// maxPoolOp is max pooling without padding (floor mode), optionally fused with a ReLU in
// front: max(0, max over the window) equals max-pooling the ReLU's output, in one pass and
// one buffer. Unlike Gorgonia's MaxPool2D it never panics on a window of NaNs: the NaN
// propagates and the window passes no gradient.
type maxPoolOp struct {
	fusedOp
	relu                  bool
	batch, ch, inH, inW   int
	outH, outW, k, stride int
	argmax                []int32 // input index of each output's maximum, -1 for none
	out                   buffer
}

func newMaxPoolOp(x tensor.Shape, kernel, stride int, relu bool) *maxPoolOp {
	op := &maxPoolOp{fusedOp: newFusedOp("maxpool2d"), relu: relu, batch: x[0], ch: x[1], inH: x[2], inW: x[3], k: kernel, stride: stride}
	op.outH, op.outW = (op.inH-kernel)/stride+1, (op.inW-kernel)/stride+1
	op.argmax = make([]int32, op.batch*op.ch*op.outH*op.outW)
	return op
}

func (op *maxPoolOp) Arity() int                                     { return 1 }
func (op *maxPoolOp) Type() hm.Type                                  { return fnType(4, 4) }
func (op *maxPoolOp) shape() tensor.Shape                            { return tensor.Shape{op.batch, op.ch, op.outH, op.outW} }
func (op *maxPoolOp) InferShape(...G.DimSizer) (tensor.Shape, error) { return op.shape(), nil }
func (op *maxPoolOp) DiffWRT(int) []bool                             { return []bool{true} }

func (op *maxPoolOp) SymDiff(inputs G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	n, err := G.ApplyOp(&maxPoolGradOp{fusedOp: newFusedOp("maxpool2d-grad"), fwd: op}, inputs[0], grad)
	return G.Nodes{n}, err
}

func (op *maxPoolOp) Do(vals ...G.Value) (G.Value, error) {
	dt := vals[0].Dtype()
	out := op.out.get(dt, op.shape())
	switch dt {
	case tensor.Float32:
		if op.k == 2 && op.stride == 2 {
			pool2x2Forward(op, data[float32](vals[0]), data[float32](out))
			break
		}
		poolForward(op, data[float32](vals[0]), data[float32](out))
	case tensor.Float64:
		poolForward(op, data[float64](vals[0]), data[float64](out))
	default:
		return nil, fmt.Errorf("maxpool2d: unsupported type %v", dt)
	}
	return out, nil
}

func poolForward[T float](op *maxPoolOp, x, out []T) {
	planes := op.batch * op.ch
	inPlane, outPlane := op.inH*op.inW, op.outH*op.outW
	parallel(planes, defaultWorkers(), func(_, lo, hi int) {
		for p := lo; p < hi; p++ {
			for oh := 0; oh < op.outH; oh++ {
				o := p*outPlane + oh*op.outW
				if op.k == 2 && op.stride == 2 {
					pool2x2Row(op.relu, x, p*inPlane+2*oh*op.inW, op.inW, out[o:o+op.outW], op.argmax[o:o+op.outW])
					continue
				}
				for ow := 0; ow < op.outW; ow++ {
					out[o+ow], op.argmax[o+ow] = poolWindow(op, x, p*inPlane, oh*op.stride, ow*op.stride)
				}
			}
		}
	})
}

// pool2x2Forward is poolForward for float32 2×2 windows of stride 2, the CNNs' usual pool,
// on the kernels package's vectorised pool: each worker takes a run of whole planes.
func pool2x2Forward(op *maxPoolOp, x, out []float32) {
	inPlane, outPlane := op.inH*op.inW, op.outH*op.outW
	parallel(op.batch*op.ch, defaultWorkers(), func(_, lo, hi int) {
		kernels.MaxPool2x2(out[lo*outPlane:hi*outPlane], op.argmax[lo*outPlane:hi*outPlane],
			x[lo*inPlane:hi*inPlane], hi-lo, op.inH, op.inW, int32(lo*inPlane), op.relu)
	})
}

// pool2x2Row is poolWindow for one row of 2×2 windows of stride 2, the CNNs' usual pool,
// unrolled and without data-dependent branches (on real activations the comparisons of a
// branchy maximum are coin flips; these compile to conditional moves): x[i] is the first
// window's top-left pixel and W the input row length. The maximum's index is the first of
// the window's values equal to it, as poolWindow's strict comparisons give.
func pool2x2Row[T float](relu bool, x []T, i, W int, out []T, argmax []int32) {
	_ = x[i+2*len(out)-1+W]
	for ow := range out {
		j := i + 2*ow
		a, b, c, d := x[j], x[j+1], x[j+W], x[j+W+1]
		best := max(max(a, b), max(c, d)) // NaN if any is NaN
		at := int32(j + W + 1)
		if c == best {
			at = int32(j + W)
		}
		if b == best {
			at = int32(j + 1)
		}
		if a == best {
			at = int32(j)
		}
		if best != best || relu && best <= 0 {
			at = -1
		}
		if relu {
			best = max(best, 0)
		}
		out[ow], argmax[ow] = best, at
	}
}

// poolWindow returns the maximum of the window at (h0, w0) of the plane starting at base
// and its input index (-1 when the output passes no gradient: a NaN, or the ReLU cut it).
func poolWindow[T float](op *maxPoolOp, x []T, base, h0, w0 int) (T, int32) {
	best, at := T(math.Inf(-1)), int32(-1)
	for h := h0; h < h0+op.k; h++ {
		for w := w0; w < w0+op.k; w++ {
			i := base + h*op.inW + w
			v := x[i]
			if v != v { // NaN
				return v, -1
			}
			if at < 0 || v > best {
				best, at = v, int32(i)
			}
		}
	}
	if op.relu && best <= 0 {
		return 0, -1
	}
	return best, at
}

// maxPoolGradOp routes the output gradient to each window's maximum.
type maxPoolGradOp struct {
	fusedOp
	fwd *maxPoolOp
	out buffer
}

func (op *maxPoolGradOp) Arity() int    { return 2 }
func (op *maxPoolGradOp) Type() hm.Type { return fnType(4, 4, 4) }
func (op *maxPoolGradOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	f := op.fwd
	return tensor.Shape{f.batch, f.ch, f.inH, f.inW}, nil
}

func (op *maxPoolGradOp) Do(vals ...G.Value) (G.Value, error) {
	dt := vals[0].Dtype()
	out := op.out.get(dt, vals[0].Shape())
	switch dt {
	case tensor.Float32:
		poolBackward(op.fwd, data[float32](vals[1]), data[float32](out))
	case tensor.Float64:
		poolBackward(op.fwd, data[float64](vals[1]), data[float64](out))
	default:
		return nil, fmt.Errorf("maxpool2d-grad: unsupported type %v", dt)
	}
	return out, nil
}

func poolBackward[T float](op *maxPoolOp, dOut, dx []T) {
	inPlane, outPlane := op.inH*op.inW, op.outH*op.outW
	parallel(op.batch*op.ch, defaultWorkers(), func(_, lo, hi int) {
		// plane by plane, so that the scatter lands in what the clear just brought to cache
		for p := lo; p < hi; p++ {
			clear(dx[p*inPlane : (p+1)*inPlane])
			for o := p * outPlane; o < (p+1)*outPlane; o++ {
				if i := op.argmax[o]; i >= 0 {
					dx[i] += dOut[o]
				}
			}
		}
	})
}
