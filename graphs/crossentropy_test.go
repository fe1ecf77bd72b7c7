package graphs

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// smoothTargets writes (1−ε)·onehot(label) + ε/C for every row, times weights[i].
func smoothTargets(dst []float64, labels []int, weights []float64, classes int, eps float64) {
	for i, l := range labels {
		row := dst[i*classes:][:classes]
		for j := range row {
			row[j] = eps / float64(classes) * weights[i]
		}
		row[l] += (1 - eps) * weights[i]
	}
}

// TestGoldenCrossEntropySmoothed checks label-smoothed targets against
// F.cross_entropy(label_smoothing=0.1) (testdata/gen_lstm_golden.py).
func TestGoldenCrossEntropySmoothed(t *testing.T) {
	c := loadGolden(t, "testdata/lstm_golden.json")["cross_entropy_smoothed"]
	s := NewScope(tensor.Float64, 1, true)
	logits := s.Input("logits", c.Tensors["logits"].Shape...)
	setValue(t, logits, c.Tensors["logits"])
	n, classes := logits.Shape()[0], logits.Shape()[1]
	targets := s.Input("targets", n, classes)
	weights := slices.Repeat([]float64{1 / float64(n)}, n)
	smoothTargets(targets.Value().Data().([]float64), labelsOf(c.Tensors["labels"].Data), weights, classes, c.Args["smoothing"])
	loss := SoftmaxCrossEntropy(logits, targets)
	runWithGrads(t, s, loss, []*G.Node{logits})
	assertClose(t, "loss", values(loss), c.Tensors["out"].Data, 1e-9)
	assertClose(t, "grad.logits", gradOf(t, logits), c.Tensors["grad.logits"].Data, 1e-9)
}

// TestCrossEntropyGradient: smoothed targets with unequal row weights (one row of padding),
// large logits, and a loss scaled after the op, so the incoming gradient is not 1.
func TestCrossEntropyGradient(t *testing.T) {
	s := NewScope(tensor.Float64, 1, true)
	logits := randomInput(s, "logits", rand.New(rand.NewPCG(3, 3)), 4, 6)
	d := logits.Value().Data().([]float64)
	for i := range d[6:12] {
		d[6+i] *= 40 // a row far from uniform
	}
	targets := s.Input("targets", 4, 6)
	smoothTargets(targets.Value().Data().([]float64), []int{1, 5, 0, 2}, []float64{0.5, 0.2, 0.3, 0}, 6, 0.1)
	loss := must(G.Mul(SoftmaxCrossEntropy(logits, targets), G.NewConstant(3.0)))
	gradCheck(t, s, loss, []*G.Node{logits})
}

// TestCrossEntropyLargeLogits: logits far beyond exp's range give the exact finite loss
// and gradient in both element types.
func TestCrossEntropyLargeLogits(t *testing.T) {
	for _, dt := range []tensor.Dtype{tensor.Float32, tensor.Float64} {
		s := NewScope(dt, 1, true)
		logits := s.Input("logits", 2, 3)
		targets := s.Input("targets", 2, 3)
		fill(logits.Value().(*tensor.Dense), iter(1e4, -1e4, 0, -3e4, 2e4, 2e4))
		fill(targets.Value().(*tensor.Dense), iter(0, 1, 0, 0.5, 0, 0))
		loss := SoftmaxCrossEntropy(logits, targets)
		runWithGrads(t, s, loss, []*G.Node{logits})
		// row 0: target class is 2e4 below the max; row 1: half weight on a class 5e4 below
		// two tied maxima, so log softmax = −5e4 − log 2.
		want := 2e4 + 0.5*(5e4+math.Log(2))
		got := asFloat64([]float64{scalarFloat(t, loss.Value())})
		assertClose(t, dt.String()+" loss", got, []float64{want}, 1e-6)
		g, _ := logits.Grad()
		assertClose(t, dt.String()+" grad", asFloat64(g.Data()), []float64{1, -1, 0, -0.5, 0.25, 0.25}, 1e-6)
	}
}

func iter(vs ...float64) func() float64 {
	i := -1
	return func() float64 { i++; return vs[i] }
}

func scalarFloat(t *testing.T, v G.Value) float64 {
	t.Helper()
	f, err := scalarOf[float64](v)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestCrossEntropyReusesBuffers runs one machine on two batches of logits, large enough to
// be split among workers, and compares with a fresh graph.
func TestCrossEntropyReusesBuffers(t *testing.T) {
	const n, classes = 64, 300
	build := func() (*Scope, *G.Node, *G.Node) {
		s := NewScope(tensor.Float64, 1, true)
		logits := s.Input("logits", n, classes)
		targets := s.Input("targets", n, classes)
		labels := make([]int, n)
		for i := range labels {
			labels[i] = (i * 7) % classes
		}
		smoothTargets(targets.Value().Data().([]float64), labels, slices.Repeat([]float64{1.0 / n}, n), classes, 0.1)
		return s, logits, SoftmaxCrossEntropy(logits, targets)
	}
	s, logits, loss := build()
	if _, err := G.Grad(loss, logits); err != nil {
		t.Fatal(err)
	}
	vm := G.NewTapeMachine(s.Graph())
	defer vm.Close()
	for _, seed := range []uint64{1, 2} {
		fillRandom(logits, seed)
		vm.Reset()
		if err := vm.RunAll(); err != nil {
			t.Fatal(err)
		}
	}
	gotLoss, gotGrad := values(loss)[0], gradOf(t, logits)

	s2, logits2, loss2 := build()
	fillRandom(logits2, 2)
	runWithGrads(t, s2, loss2, []*G.Node{logits2})
	assertClose(t, "loss", []float64{gotLoss}, values(loss2), 1e-12)
	assertClose(t, "grad", gotGrad, gradOf(t, logits2), 1e-12)
}

// TestCrossEntropyFloat32 compares the float32 kernels with float64.
func TestCrossEntropyFloat32(t *testing.T) {
	run := func(dt tensor.Dtype) (loss float64, grad []float64) {
		s := NewScope(dt, 1, true)
		logits := s.Input("logits", 5, 7)
		r := rand.New(rand.NewPCG(4, 4))
		fill(logits.Value().(*tensor.Dense), func() float64 { return 3 * r.NormFloat64() })
		targets := s.Input("targets", 5, 7)
		fill(targets.Value().(*tensor.Dense), r.Float64)
		l := SoftmaxCrossEntropy(logits, targets)
		runWithGrads(t, s, l, []*G.Node{logits})
		g, _ := logits.Grad()
		return scalarFloat(t, l.Value()), asFloat64(g.Data())
	}
	l64, g64 := run(tensor.Float64)
	l32, g32 := run(tensor.Float32)
	assertClose(t, "loss", []float64{l32}, []float64{l64}, 1e-5)
	assertClose(t, "grad", g32, g64, 1e-5)
}

func TestCrossEntropyShapePanics(t *testing.T) {
	s := NewScope(tensor.Float64, 1, true)
	defer func() {
		if r := recover(); r == nil {
			t.Errorf("targets of another shape did not panic")
		}
	}()
	SoftmaxCrossEntropy(s.Input("logits", 2, 3), s.Input("targets", 2, 4))
}
