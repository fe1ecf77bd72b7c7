package graphs

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestPool2x2RowMatchesWindow checks the unrolled 2×2 pool against the general window loop,
// on values with ties, negatives (for the ReLU) and NaNs.
func TestPool2x2RowMatchesWindow(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const H, W = 6, 9
	x := make([]float32, H*W)
	for i := range x {
		x[i] = float32(rng.IntN(5) - 2) // ties and negatives
	}
	x[2*W+4] = float32(math.NaN())
	for _, relu := range []bool{false, true} {
		op := &maxPoolOp{relu: relu, inH: H, inW: W, k: 2, stride: 2, outH: H / 2, outW: W / 2}
		for oh := 0; oh < op.outH; oh++ {
			out, arg := make([]float32, op.outW), make([]int32, op.outW)
			pool2x2Row(relu, x, 2*oh*W, W, out, arg)
			for ow := range out {
				want, wantAt := poolWindow(op, x, 0, 2*oh, 2*ow)
				if arg[ow] != wantAt || (out[ow] != want && !(want != want && out[ow] != out[ow])) {
					t.Errorf("relu=%v window (%d,%d): got %v at %d, want %v at %d", relu, oh, ow, out[ow], arg[ow], want, wantAt)
				}
			}
		}
	}
}

// TestPool2x2ForwardMatchesRows checks the kernels package's pool, as the float32 op runs it
// over the workers' runs of planes, against pool2x2Row plane by plane: the same values and
// the same indices into the whole batch, at odd sizes and with ties, zeros and a NaN.
func TestPool2x2ForwardMatchesRows(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, shape := range [][]int{{3, 5, 7, 9}, {4, 8, 28, 28}, {2, 3, 14, 14}} {
		x := make([]float32, shape[0]*shape[1]*shape[2]*shape[3])
		for i := range x {
			x[i] = float32(rng.IntN(5) - 2)
		}
		x[len(x)/3] = float32(math.NaN())
		for _, relu := range []bool{false, true} {
			op := newMaxPoolOp(shape, 2, 2, relu)
			got := make([]float32, len(op.argmax))
			pool2x2Forward(op, x, got)
			gotAt := slices.Clone(op.argmax)
			want, wantAt := make([]float32, len(got)), make([]int32, len(got))
			inPlane, outPlane := op.inH*op.inW, op.outH*op.outW
			for p := range shape[0] * shape[1] {
				for oh := range op.outH {
					o := p*outPlane + oh*op.outW
					pool2x2Row(relu, x, p*inPlane+2*oh*op.inW, op.inW, want[o:o+op.outW], wantAt[o:o+op.outW])
				}
			}
			for i := range got {
				same := got[i] == want[i] || got[i] != got[i] && want[i] != want[i]
				if !same || gotAt[i] != wantAt[i] {
					t.Fatalf("%v relu=%v output %d: got %v at %d, want %v at %d", shape, relu, i, got[i], gotAt[i], want[i], wantAt[i])
				}
			}
		}
	}
}

// BenchmarkMaxPool2x2 is the reference CNN's first pool (batch 64, 32 planes of 28×28, after
// a ReLU), forward and backward.
func BenchmarkMaxPool2x2(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	op := newMaxPoolOp([]int{64, 32, 28, 28}, 2, 2, true)
	x := make([]float32, 64*32*28*28)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	out, dx := make([]float32, len(op.argmax)), make([]float32, len(x))
	for b.Loop() {
		pool2x2Forward(op, x, out)
		poolBackward(op, out, dx)
	}
}
