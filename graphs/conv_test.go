package graphs

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gorgonia.org/tensor"
)

// directConv is the convolution written out as its definition, one multiply-add per output,
// tap and channel, with its three gradients for the output gradient dOut: the reference the
// im2col paths (wide for stride 1, per output row otherwise) are checked against.
func directConv(g convGeometry, x, w, bias, dOut []float64) (out, dx, dw, db []float64) {
	out = make([]float64, g.batch*g.outSize())
	dx, dw, db = make([]float64, len(x)), make([]float64, len(w)), make([]float64, g.outC)
	k := g.kernel
	for b := range g.batch {
		for o := range g.outC {
			for oh := range g.outH {
				for ow := range g.outW {
					at := ((b*g.outC+o)*g.outH+oh)*g.outW + ow
					sum, d := bias[o], dOut[at]
					db[o] += d
					for c := range g.inC {
						for ki := range k {
							for kj := range k {
								h, v := oh*g.stride-g.pad+ki, ow*g.stride-g.pad+kj
								if h < 0 || h >= g.inH || v < 0 || v >= g.inW {
									continue
								}
								xi, wi := ((b*g.inC+c)*g.inH+h)*g.inW+v, ((o*g.inC+c)*k+ki)*k+kj
								sum += w[wi] * x[xi]
								dx[xi] += w[wi] * d
								dw[wi] += x[xi] * d
							}
						}
					}
					out[at] = sum
				}
			}
		}
	}
	return out, dx, dw, db
}

// The fused convolution and its gradients equal the direct loops (to float64 rounding) for
// wide (stride 1) and strided geometries, square and not, with and without padding, and when
// run twice (the wide path's buffers are reused).
func TestConvAgainstDirectLoops(t *testing.T) {
	for _, c := range []struct{ batch, inC, h, w, outC, k, stride, pad int }{
		{3, 1, 28, 28, 4, 3, 1, 1}, {2, 5, 14, 14, 7, 3, 1, 1}, {2, 3, 6, 9, 2, 3, 1, 0},
		{1, 2, 7, 5, 3, 5, 1, 2}, {2, 2, 4, 4, 3, 1, 1, 0}, {2, 3, 9, 8, 2, 3, 2, 1}, {1, 2, 5, 5, 2, 2, 1, 1},
	} {
		t.Run(fmt.Sprintf("%+v", c), func(t *testing.T) {
			r := rand.New(rand.NewPCG(uint64(c.h), uint64(c.k)))
			xs, ws := tensor.Shape{c.batch, c.inC, c.h, c.w}, tensor.Shape{c.outC, c.inC, c.k, c.k}
			op := newConv2dOp(xs, ws, c.stride, c.pad)
			g := op.geom
			x, w, bias, dOut := normals(r, xs.TotalSize()), normals(r, ws.TotalSize()), normals(r, c.outC), normals(r, g.batch*g.outSize())
			out, dx, dw, db := directConv(g, x, w, bias, dOut)
			vals := []*tensor.Dense{dense(xs, x), dense(ws, w), dense(tensor.Shape{1, c.outC, 1, 1}, bias), dense(op.outShape(), dOut)}
			checkConv32(t, xs, ws, c.stride, c.pad, [][]float64{x, w, bias, dOut}, [][]float64{out, dx, dw, db})
			for run := range 2 {
				got, err := op.Do(vals[0], vals[1], vals[2])
				if err != nil {
					t.Fatal(err)
				}
				closeTo(t, fmt.Sprintf("run %d output", run), got.Data().([]float64), out)
				for wrt, want := range [][]float64{dx, dw, db} {
					gop := &conv2dGradOp{fusedOp: newFusedOp("conv2d-grad"), fwd: op, wrt: wrt}
					grad, err := gop.Do(vals[0], vals[1], vals[2], vals[3])
					if err != nil {
						t.Fatal(err)
					}
					closeTo(t, fmt.Sprintf("run %d gradient %d", run, wrt), grad.Data().([]float64), want)
				}
			}
		})
	}
}

// checkConv32 runs the float32 path (the kernels package's vector code) on the inputs in and
// compares with want in float32's precision.
func checkConv32(t *testing.T, xs, ws tensor.Shape, stride, pad int, in, want [][]float64) {
	t.Helper()
	op := newConv2dOp(xs, ws, stride, pad)
	shapes := []tensor.Shape{xs, ws, {1, ws[0], 1, 1}, op.outShape()}
	vals := make([]*tensor.Dense, 4)
	for i, v := range in {
		f := make([]float32, len(v))
		for j := range v {
			f[j] = float32(v[j])
		}
		vals[i] = tensor.New(tensor.WithShape(shapes[i]...), tensor.WithBacking(f))
	}
	got, err := op.Do(vals[0], vals[1], vals[2])
	if err != nil {
		t.Fatal(err)
	}
	near32(t, "float32 output", got.Data().([]float32), want[0])
	for wrt := range 3 {
		gop := &conv2dGradOp{fusedOp: newFusedOp("conv2d-grad"), fwd: op, wrt: wrt}
		grad, err := gop.Do(vals[0], vals[1], vals[2], vals[3])
		if err != nil {
			t.Fatal(err)
		}
		near32(t, fmt.Sprintf("float32 gradient %d", wrt), grad.Data().([]float32), want[wrt+1])
	}
}

func near32(t *testing.T, what string, got []float32, want []float64) {
	t.Helper()
	for i := range got {
		if math.Abs(float64(got[i])-want[i]) > 1e-4*(1+math.Abs(want[i])) {
			t.Fatalf("%s[%d] = %v, want %v", what, i, got[i], want[i])
		}
	}
}

func normals(r *rand.Rand, n int) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = r.NormFloat64()
	}
	return s
}

func dense(s tensor.Shape, v []float64) *tensor.Dense {
	return tensor.New(tensor.WithShape(s...), tensor.WithBacking(v))
}

func closeTo(t *testing.T, what string, got, want []float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range got {
		if math.Abs(got[i]-want[i]) > 1e-10*(1+math.Abs(want[i])) {
			t.Fatalf("%s[%d] = %v, want %v", what, i, got[i], want[i])
		}
	}
}
