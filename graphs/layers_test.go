package graphs

import (
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gorgonet/gorgonet/internal/golden"
)

// goldenLayer builds the layer of a golden case on input x (its fixture already loaded) and
// returns its output.
func goldenLayer(t *testing.T, s *Scope, c golden.Case, x *G.Node) *G.Node {
	t.Helper()
	a := func(k string) int { return int(c.Args[k]) }
	switch c.Layer {
	case "linear":
		return Linear(s.Sub("m"), x, a("out"))
	case "conv2d":
		return Conv2D(s.Sub("m"), x, a("out"), a("kernel"), a("stride"), a("pad"))
	case "maxpool2d":
		return MaxPool2D(x, a("kernel"), a("stride"))
	case "relu":
		return ReLU(x)
	case "flatten":
		return Flatten(x)
	case "log_softmax":
		return logSoftmax(x)
	case "dropout":
		y := Dropout(s, x, c.Args["p"])
		mask := s.Masks()[0]
		for i, m := range c.Tensors["mask"].Data {
			mask.Node.Value().Data().([]float64)[i] = m / (1 - mask.P)
		}
		return y
	}
	t.Fatalf("unknown layer %q", c.Layer)
	return nil
}

// TestGoldenLayers checks each layer's output and gradients against PyTorch
// (testdata/gen_golden.py).
func TestGoldenLayers(t *testing.T) {
	cases := loadGolden(t, "testdata/golden.json")
	for _, name := range []string{"linear", "conv2d", "conv2d_stride2", "maxpool2d", "maxpool2d_odd", "relu", "dropout", "flatten", "log_softmax"} {
		t.Run(name, func(t *testing.T) {
			c, ok := cases[name]
			if !ok {
				t.Fatalf("no golden case %q", name)
			}
			s := NewScope(tensor.Float64, 1, true)
			x := s.Input("x", c.Tensors["x"].Shape...)
			setValue(t, x, c.Tensors["x"])
			out := goldenLayer(t, s, c, x)
			for _, p := range s.Params() {
				setValue(t, p.Node, c.Tensors[p.Name[len("m."):]])
			}
			u := s.Input("upstream", out.Shape().Clone()...)
			setValue(t, u, c.Tensors["upstream"])
			loss := must(G.Sum(must(G.HadamardProd(out, u))))
			wrt := append([]*G.Node{x}, paramNodes(s)...)
			runWithGrads(t, s, loss, wrt)
			assertClose(t, "out", values(out), c.Tensors["out"].Data, 1e-9)
			assertClose(t, "grad.x", gradOf(t, x), c.Tensors["grad.x"].Data, 1e-9)
			for _, p := range s.Params() {
				short := p.Name[len("m."):]
				assertClose(t, "grad."+short, gradOf(t, p.Node), c.Tensors["grad."+short].Data, 1e-9)
			}
		})
	}
}

// TestGoldenCrossEntropy checks the loss, including a padded batch whose extra rows must
// neither count nor receive gradient.
func TestGoldenCrossEntropy(t *testing.T) {
	cases := loadGolden(t, "testdata/golden.json")
	for _, name := range []string{"cross_entropy", "cross_entropy_padded"} {
		t.Run(name, func(t *testing.T) {
			c := cases[name]
			s := NewScope(tensor.Float64, 1, true)
			logits := s.Input("logits", c.Tensors["logits"].Shape...)
			setValue(t, logits, c.Tensors["logits"])
			targets := s.Input("targets", logits.Shape().Clone()...)
			FillTargets(targets.Value().Data().([]float64), labelsOf(c.Tensors["labels"].Data), int(c.Args["valid"]), logits.Shape()[1])
			loss := SoftmaxCrossEntropy(logits, targets)
			runWithGrads(t, s, loss, []*G.Node{logits})
			assertClose(t, "loss", values(loss), c.Tensors["out"].Data, 1e-12)
			assertClose(t, "grad.logits", gradOf(t, logits), c.Tensors["grad.logits"].Data, 1e-12)
		})
	}
}

func labelsOf(f []float64) []int {
	l := make([]int, len(f))
	for i, v := range f {
		l[i] = int(v)
	}
	return l
}

func runWithGrads(t *testing.T, s *Scope, loss *G.Node, wrt []*G.Node) {
	t.Helper()
	if _, err := G.Grad(loss, wrt...); err != nil {
		t.Fatal(err)
	}
	vm := G.NewTapeMachine(s.Graph(), G.BindDualValues(wrt...))
	t.Cleanup(func() { vm.Close() })
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
}

// TestGradients checks every layer's symbolic gradients against finite differences.
func TestGradients(t *testing.T) {
	tests := []struct {
		name  string
		shape []int
		build func(s *Scope, x *G.Node) *G.Node
	}{
		{"linear", []int{3, 4}, func(s *Scope, x *G.Node) *G.Node { return Linear(s.Sub("fc"), x, 5) }},
		{"conv2d pad 1", []int{2, 2, 5, 5}, func(s *Scope, x *G.Node) *G.Node { return Conv2D(s.Sub("conv"), x, 3, 3, 1, 1) }},
		{"conv2d valid", []int{2, 2, 5, 7}, func(s *Scope, x *G.Node) *G.Node { return Conv2D(s.Sub("conv"), x, 3, 3, 1, 0) }},
		{"conv2d 5×5 pad 2", []int{1, 3, 6, 5}, func(s *Scope, x *G.Node) *G.Node { return Conv2D(s.Sub("conv"), x, 2, 5, 1, 2) }},
		{"conv2d stride 2", []int{1, 2, 7, 7}, func(s *Scope, x *G.Node) *G.Node { return Conv2D(s.Sub("conv"), x, 2, 3, 2, 0) }},
		{"conv2d stride 2 pad 1", []int{1, 2, 6, 7}, func(s *Scope, x *G.Node) *G.Node { return Conv2D(s.Sub("conv"), x, 2, 3, 2, 1) }},
		{"maxpool2d", []int{2, 2, 6, 6}, func(s *Scope, x *G.Node) *G.Node { return MaxPool2D(x, 2, 2) }},
		{"relu", []int{3, 4}, func(s *Scope, x *G.Node) *G.Node { return ReLU(x) }},
		{"flatten", []int{2, 3, 2, 2}, func(s *Scope, x *G.Node) *G.Node { return Flatten(x) }},
		{"log_softmax", []int{3, 5}, func(s *Scope, x *G.Node) *G.Node { return logSoftmax(x) }},
		{"dropout", []int{4, 6}, func(s *Scope, x *G.Node) *G.Node {
			y := Dropout(s, x, 0.3)
			s.Masks()[0].Resample(rand.New(rand.NewPCG(1, 2)))
			return y
		}},
		{"cross_entropy", []int{4, 3}, func(s *Scope, x *G.Node) *G.Node {
			tg := s.Input("targets", 4, 3)
			FillTargets(tg.Value().Data().([]float64), []int{2, 0, 1, 1}, 3, 3)
			return SoftmaxCrossEntropy(x, tg)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewScope(tensor.Float64, 3, true)
			x := randomInput(s, "x", rand.New(rand.NewPCG(5, 6)), tt.shape...)
			out := tt.build(s, x)
			gradCheck(t, s, out, append([]*G.Node{x}, paramNodes(s)...))
		})
	}
}

// TestShapes pins output shapes and parameter names and PyTorch shapes.
func TestShapes(t *testing.T) {
	tests := []struct {
		name   string
		in     []int
		build  func(s *Scope, x *G.Node) *G.Node
		out    tensor.Shape
		params map[string][]int
	}{
		{"linear", []int{8, 3136}, func(s *Scope, x *G.Node) *G.Node { return Linear(s.Sub("fc1"), x, 128) },
			tensor.Shape{8, 128}, map[string][]int{"fc1.weight": {128, 3136}, "fc1.bias": {128}}},
		{"conv same", []int{8, 1, 28, 28}, func(s *Scope, x *G.Node) *G.Node { return Conv2D(s.Sub("conv1"), x, 32, 3, 1, 1) },
			tensor.Shape{8, 32, 28, 28}, map[string][]int{"conv1.weight": {32, 1, 3, 3}, "conv1.bias": {32}}},
		{"conv valid stride 2", []int{2, 3, 9, 9}, func(s *Scope, x *G.Node) *G.Node { return Conv2D(s.Sub("c"), x, 4, 3, 2, 0) },
			tensor.Shape{2, 4, 4, 4}, map[string][]int{"c.weight": {4, 3, 3, 3}, "c.bias": {4}}},
		{"maxpool even", []int{8, 32, 28, 28}, func(s *Scope, x *G.Node) *G.Node { return MaxPool2D(x, 2, 2) },
			tensor.Shape{8, 32, 14, 14}, nil},
		{"maxpool odd floors", []int{8, 64, 7, 7}, func(s *Scope, x *G.Node) *G.Node { return MaxPool2D(x, 2, 2) },
			tensor.Shape{8, 64, 3, 3}, nil},
		{"flatten", []int{8, 64, 7, 7}, func(s *Scope, x *G.Node) *G.Node { return Flatten(x) },
			tensor.Shape{8, 3136}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewScope(tensor.Float32, 1, false)
			out := tt.build(s, s.Input("x", tt.in...))
			if !out.Shape().Eq(tt.out) {
				t.Errorf("output shape: got %v, want %v", out.Shape(), tt.out)
			}
			if len(s.Params()) != len(tt.params) {
				t.Errorf("got %d params, want %d", len(s.Params()), len(tt.params))
			}
			for _, p := range s.Params() {
				if want, ok := tt.params[p.Name]; !ok || !tensor.Shape(p.Shape).Eq(tensor.Shape(want)) {
					t.Errorf("param %s shape %v: want %v", p.Name, p.Shape, want)
				}
			}
		})
	}
}

func TestSharedScopeSharesValues(t *testing.T) {
	train := NewScope(tensor.Float32, 1, true)
	Linear(train.Sub("fc"), train.Input("x", 4, 3), 2)
	eval := NewSharedScope(tensor.Float32, train.Params(), false)
	Linear(eval.Sub("fc"), eval.Input("x", 16, 3), 2)
	for i, p := range eval.Params() {
		if p.Value != train.Params()[i].Value {
			t.Errorf("%s: eval graph has its own copy of the value", p.Name)
		}
	}
}

func TestDropoutOffOutsideTraining(t *testing.T) {
	s := NewScope(tensor.Float32, 1, false)
	x := s.Input("x", 2, 3)
	if y := Dropout(s, x, 0.5); y != x || len(s.Masks()) != 0 {
		t.Errorf("dropout in an evaluation graph should be the identity")
	}
}

func TestDropoutMaskStatistics(t *testing.T) {
	s := NewScope(tensor.Float64, 1, true)
	Dropout(s, s.Input("x", 100, 100), 0.25)
	m := s.Masks()[0]
	m.Resample(rand.New(rand.NewPCG(1, 1)))
	var kept int
	for _, v := range m.Node.Value().Data().([]float64) {
		switch v {
		case 0:
		case 1 / 0.75:
			kept++
		default:
			t.Fatalf("mask value %v is neither 0 nor 1/(1-p)", v)
		}
	}
	if frac := float64(kept) / 10000; frac < 0.73 || frac > 0.77 {
		t.Errorf("kept fraction %.3f, want about 0.75", frac)
	}
}

// logSoftmax is log(softmax(x)) along the last axis of a (B, C) input: Gorgonia's op,
// checked here against PyTorch, though the models use the fused softmax cross-entropy.
func logSoftmax(x *G.Node) *G.Node { return must(G.LogSoftMax(x, 1)) }
