package graphs

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// labelInputs adds (N) labels and weights inputs holding the given values.
func labelInputs(s *Scope, labels []int, weights []float64) (*G.Node, *G.Node) {
	l, w := s.Input("labels", len(labels)), s.Input("weights", len(weights))
	for i, y := range labels {
		switch d := l.Value().Data().(type) {
		case []float64:
			d[i], w.Value().Data().([]float64)[i] = float64(y), weights[i]
		case []float32:
			d[i], w.Value().Data().([]float32)[i] = float32(y), float32(weights[i])
		}
	}
	return l, w
}

// TestGoldenLabelCrossEntropy checks class-index targets against
// F.cross_entropy(label_smoothing=0.1) (testdata/gen_lstm_golden.py), the case the dense op
// is checked on.
func TestGoldenLabelCrossEntropy(t *testing.T) {
	c := loadGolden(t, "testdata/lstm_golden.json")["cross_entropy_smoothed"]
	s := NewScope(tensor.Float64, 1, true)
	logits := s.Input("logits", c.Tensors["logits"].Shape...)
	setValue(t, logits, c.Tensors["logits"])
	n := logits.Shape()[0]
	labels, weights := labelInputs(s, labelsOf(c.Tensors["labels"].Data), slices.Repeat([]float64{1 / float64(n)}, n))
	loss := LabelCrossEntropy(logits, labels, weights, c.Args["smoothing"])
	runWithGrads(t, s, loss, []*G.Node{logits})
	assertClose(t, "loss", values(loss), c.Tensors["out"].Data, 1e-9)
	assertClose(t, "grad.logits", gradOf(t, logits), c.Tensors["grad.logits"].Data, 1e-9)
}

// TestLabelCrossEntropyGradient: unequal row weights (one row of padding), a row far from
// uniform and a loss scaled after the op, checked by finite differences.
func TestLabelCrossEntropyGradient(t *testing.T) {
	for _, eps := range []float64{0, 0.1} {
		s := NewScope(tensor.Float64, 1, true)
		logits := randomInput(s, "logits", rand.New(rand.NewPCG(3, 3)), 4, 6)
		d := logits.Value().Data().([]float64)
		for i := range d[6:12] {
			d[6+i] *= 40
		}
		labels, weights := labelInputs(s, []int{1, 5, 0, 2}, []float64{0.5, 0.2, 0.3, 0})
		loss := must(G.Mul(LabelCrossEntropy(logits, labels, weights, eps), G.NewConstant(3.0)))
		gradCheck(t, s, loss, []*G.Node{logits})
	}
}

// TestLabelCrossEntropyMatchesDense: the same loss and gradient as SoftmaxCrossEntropy of the
// smoothed target matrix, in float32 over a vocabulary-sized row, to float32 rounding.
func TestLabelCrossEntropyMatchesDense(t *testing.T) {
	const n, classes, eps = 7, 1000, 0.1
	r := rand.New(rand.NewPCG(8, 9))
	labels := make([]int, n)
	weights := make([]float64, n)
	for i := range labels {
		labels[i], weights[i] = r.IntN(classes), 1.0/float64(n-1)
	}
	weights[n-1] = 0 // padding
	run := func(sparse bool) (float64, []float32) {
		s := NewScope(tensor.Float32, 1, true)
		logits := s.Input("logits", n, classes)
		rr := rand.New(rand.NewPCG(1, 2))
		for i, d := 0, logits.Value().Data().([]float32); i < len(d); i++ {
			d[i] = float32(4 * rr.NormFloat64())
		}
		var loss *G.Node
		if sparse {
			l, w := labelInputs(s, labels, weights)
			loss = LabelCrossEntropy(logits, l, w, eps)
		} else {
			tg := s.Input("targets", n, classes)
			dense := make([]float64, n*classes)
			smoothTargets(dense, labels, weights, classes, eps)
			for i, v := range dense {
				tg.Value().Data().([]float32)[i] = float32(v)
			}
			loss = SoftmaxCrossEntropy(logits, tg)
		}
		runWithGrads(t, s, loss, []*G.Node{logits})
		g, err := logits.Grad()
		if err != nil {
			t.Fatal(err)
		}
		return float64(loss.Value().Data().(float32)), slices.Clone(g.Data().([]float32))
	}
	l1, g1 := run(true)
	l2, g2 := run(false)
	if math.Abs(l1-l2) > 1e-5*math.Abs(l2) {
		t.Errorf("loss %v, dense %v", l1, l2)
	}
	for i := range g1 {
		if math.Abs(float64(g1[i]-g2[i])) > 1e-7 {
			t.Fatalf("grad[%d] = %v, dense %v", i, g1[i], g2[i])
		}
	}
}

// TestLabelCrossEntropyBadLabel: a label outside [0, C) or not an integer fails the run with
// an error naming it and its row, in either element type.
func TestLabelCrossEntropyBadLabel(t *testing.T) {
	for _, bad := range []float64{6, -1, 2.5, math.NaN()} {
		for _, dt := range []tensor.Dtype{tensor.Float32, tensor.Float64} {
			s := NewScope(dt, 1, false)
			logits := s.Input("logits", 3, 6)
			labels, weights := labelInputs(s, []int{1, 2, 3}, []float64{1, 1, 1})
			switch d := labels.Value().Data().(type) {
			case []float32:
				d[2] = float32(bad)
			case []float64:
				d[2] = bad
			}
			LabelCrossEntropy(logits, labels, weights, 0)
			vm := G.NewTapeMachine(s.Graph())
			err := vm.RunAll()
			vm.Close()
			if err == nil || !strings.Contains(err.Error(), "row 2") {
				t.Errorf("label %v (%v): error %v, want one naming row 2", bad, dt, err)
			}
		}
	}
}
