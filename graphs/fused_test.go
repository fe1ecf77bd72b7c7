package graphs

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestReLUMaxPoolMatchesComposition: the fused op gives the values and gradients of
// MaxPool2D(ReLU(x)).
func TestReLUMaxPoolMatchesComposition(t *testing.T) {
	run := func(fused bool) (out, grad []float64) {
		s := NewScope(tensor.Float64, 1, true)
		x := randomInput(s, "x", rand.New(rand.NewPCG(3, 4)), 2, 3, 7, 6)
		var y *G.Node
		if fused {
			y = ReLUMaxPool2D(x, 2, 2)
		} else {
			y = MaxPool2D(ReLU(x), 2, 2)
		}
		loss, _ := weightedSum(s, y, rand.New(rand.NewPCG(9, 9)))
		runWithGrads(t, s, loss, []*G.Node{x})
		return slices.Clone(values(y)), gradOf(t, x)
	}
	wantOut, wantGrad := run(false)
	gotOut, gotGrad := run(true)
	assertClose(t, "out", gotOut, wantOut, 0)
	assertClose(t, "grad", gotGrad, wantGrad, 0)
}

func TestReLUMaxPoolGradient(t *testing.T) {
	s := NewScope(tensor.Float64, 1, true)
	x := randomInput(s, "x", rand.New(rand.NewPCG(5, 6)), 2, 2, 6, 6)
	gradCheck(t, s, ReLUMaxPool2D(x, 2, 2), []*G.Node{x})
}

// TestMaxPoolNaNDoesNotPanic: a window of NaNs (a diverged run) yields NaN and no gradient,
// where Gorgonia's own max-pool gradient indexes out of range.
func TestMaxPoolNaNDoesNotPanic(t *testing.T) {
	s := NewScope(tensor.Float64, 1, true)
	x := s.Input("x", 1, 1, 4, 4)
	for i, d := 0, x.Value().Data().([]float64); i < len(d); i++ {
		d[i] = math.NaN()
	}
	y := ReLUMaxPool2D(x, 2, 2)
	loss := must(G.Sum(y))
	runWithGrads(t, s, loss, []*G.Node{x})
	if v := values(loss)[0]; !math.IsNaN(v) {
		t.Errorf("loss of NaN inputs = %v, want NaN", v)
	}
	for i, g := range gradOf(t, x) {
		if g != 0 {
			t.Fatalf("grad[%d] = %v, want 0", i, g)
		}
	}
}

// TestFusedOpsReuseBuffersCorrectly runs one machine twice on different inputs and batch
// sizes that do not split evenly among workers: every run must match a fresh graph, so
// no state leaks from one run into the next through the ops' buffers.
func TestFusedOpsReuseBuffersCorrectly(t *testing.T) {
	for _, batch := range []int{1, 3} {
		build := func() (*Scope, *G.Node, *G.Node) {
			s := NewScope(tensor.Float64, 2, true)
			x := s.Input("x", batch, 2, 6, 6)
			h := ReLUMaxPool2D(Conv2D(s.Sub("conv"), x, 3, 3, 1, 1), 2, 2)
			y := Linear(s.Sub("fc"), Flatten(h), 4)
			loss, _ := weightedSum(s, y, rand.New(rand.NewPCG(1, 1)))
			return s, x, loss
		}
		// Reused machine: run on input 1, then input 2.
		s, x, loss := build()
		got := runReused(t, s, x, loss, append([]*G.Node{x}, paramNodes(s)...), 1, 2)
		// Fresh graph, same parameters (same seed), input 2 only.
		s2, x2, loss2 := build()
		fillRandom(x2, 2)
		wrt2 := append([]*G.Node{x2}, paramNodes(s2)...)
		runWithGrads(t, s2, loss2, wrt2)
		assertClose(t, "loss", got[0], values(loss2), 1e-12)
		for i, n := range wrt2 {
			assertClose(t, "grad "+n.Name(), got[i+1], gradOf(t, n), 1e-12)
		}
	}
}
