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
