package graphs

import (
	"math"
	"math/rand/v2"
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
		poolForward(op, x, out)
		poolBackward(op, out, dx)
	}
}
