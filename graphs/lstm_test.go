package graphs

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// maskInput adds a (B, T) mask input with 1 on the first lengths[b] steps of row b.
func maskInput(s *Scope, steps int, lengths ...int) *G.Node {
	m := s.Input("mask", len(lengths), steps)
	d := m.Value().Data().([]float64)
	for b, n := range lengths {
		for t := 0; t < n; t++ {
			d[b*steps+t] = 1
		}
	}
	return m
}

// TestGoldenLSTM checks outputs, final states and gradients against torch.nn.LSTM
// (testdata/gen_lstm_golden.py), with a nonzero initial state fed through the carried
// states, and in lstm_packed with sequences of different lengths.
func TestGoldenLSTM(t *testing.T) {
	cases := loadGolden(t, "testdata/lstm_golden.json")
	for _, name := range []string{"lstm_1layer", "lstm_2layer", "lstm_packed"} {
		t.Run(name, func(t *testing.T) {
			c, ok := cases[name]
			if !ok {
				t.Fatalf("no golden case %q", name)
			}
			layers, hidden := int(c.Args["layers"]), int(c.Args["hidden"])
			s := NewScope(tensor.Float64, 1, false)
			x := s.Input("x", c.Tensors["x"].Shape...)
			setValue(t, x, c.Tensors["x"])
			batch, steps := x.Shape()[0], x.Shape()[1]
			mask := make([]float64, batch*steps)
			for i := range mask {
				mask[i] = 1
			}
			o := RecurrentOptions{Layers: layers, Carry: true}
			if m, ok := c.Tensors["mask"]; ok {
				o.Mask = s.Input("mask", m.Shape...)
				setValue(t, o.Mask, m)
				mask = m.Data
			}
			out := LSTM(s.Sub("lstm"), x, hidden, o)
			for _, p := range s.Params() {
				setValue(t, p.Node, c.Tensors[strings.TrimPrefix(p.Name, "lstm.")])
			}
			bh := batch * hidden
			for k, st := range s.States() {
				if want := fmt.Sprintf("lstm.state_l%d", k); st.Name != want {
					t.Errorf("state %d is named %q, want %q", k, st.Name, want)
				}
				copy(st.Initial64, c.Tensors["h0"].Data[k*bh:][:bh])
				copy(st.Initial64[bh:], c.Tensors["c0"].Data[k*bh:][:bh])
			}
			u := s.Input("upstream", out.Shape().Clone()...)
			setValue(t, u, c.Tensors["upstream"])
			loss := must(G.Sum(must(G.HadamardProd(out, u))))
			wrt := append([]*G.Node{x}, paramNodes(s)...)
			runWithGrads(t, s, loss, wrt)

			got, want := values(out), c.Tensors["out"].Data
			last := make([]float64, bh) // our output at the last step
			for b := 0; b < batch; b++ {
				copy(last[b*hidden:][:hidden], got[((b+1)*steps-1)*hidden:][:hidden])
				for step := 0; step < steps; step++ {
					if mask[b*steps+step] == 1 {
						i := (b*steps + step) * hidden
						assertClose(t, fmt.Sprintf("out[%d, %d]", b, step), got[i:i+hidden], want[i:i+hidden], 1e-9)
					}
				}
			}
			assertClose(t, "out at the last step vs h_n of the top layer", last, c.Tensors["h_n"].Data[(layers-1)*bh:], 1e-9)
			for k, st := range s.States() {
				assertClose(t, fmt.Sprintf("h_n[%d]", k), st.Final64[:bh], c.Tensors["h_n"].Data[k*bh:][:bh], 1e-9)
				assertClose(t, fmt.Sprintf("c_n[%d]", k), st.Final64[bh:], c.Tensors["c_n"].Data[k*bh:][:bh], 1e-9)
			}
			assertClose(t, "grad.x", gradOf(t, x), c.Tensors["grad.x"].Data, 1e-9)
			for _, p := range s.Params() {
				short := strings.TrimPrefix(p.Name, "lstm.")
				assertClose(t, "grad."+short, gradOf(t, p.Node), c.Tensors["grad."+short].Data, 1e-9)
			}
		})
	}
}

// TestLSTMGradients checks the BPTT against finite differences.
func TestLSTMGradients(t *testing.T) {
	tests := []struct {
		name    string
		layers  int
		lengths []int // nil: no mask
		carry   bool
		dropout float64
		gap     bool // also mask step 1 of row 0, a gap the carry formula handles as well
	}{
		{"one layer", 1, nil, false, 0, false},
		{"two layers, mask, carried state, dropout", 2, []int{4, 1, 3}, true, 0.25, false},
		{"mask with a gap", 1, []int{4, 2, 3}, true, 0, true},
		{"wide", 1, nil, false, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			const steps, in = 4, 3
			hidden := 5
			if tt.name == "wide" {
				hidden = 20 // 4H = 80 columns: more than one slice in stepGemm
			}
			s := NewScope(tensor.Float64, 3, true)
			r := rand.New(rand.NewPCG(5, 6))
			x := randomInput(s, "x", r, 3, steps, in)
			o := RecurrentOptions{Layers: tt.layers, Carry: tt.carry, Dropout: tt.dropout}
			if tt.lengths != nil {
				o.Mask = maskInput(s, steps, tt.lengths...)
				if tt.gap {
					o.Mask.Value().Data().([]float64)[1] = 0
				}
			}
			out := LSTM(s.Sub("lstm"), x, hidden, o)
			for _, st := range s.States() {
				for i := range st.Initial64 {
					st.Initial64[i] = r.NormFloat64()
				}
			}
			if len(s.States()) != map[bool]int{false: 0, true: tt.layers}[tt.carry] {
				t.Fatalf("%d states registered", len(s.States()))
			}
			for _, m := range s.Masks() {
				m.Resample(r)
			}
			gradCheck(t, s, out, append([]*G.Node{x}, paramNodes(s)...))
		})
	}
}

// TestLSTMPaddingChangesNothing: a padded step carries h and c, so the output there equals
// the output at the last real step, and padded inputs get no gradient.
func TestLSTMPaddingChangesNothing(t *testing.T) {
	const steps, hidden = 5, 4
	s := NewScope(tensor.Float64, 2, false)
	x := randomInput(s, "x", rand.New(rand.NewPCG(1, 2)), 2, steps, 3)
	out := LSTM(s.Sub("lstm"), x, hidden, RecurrentOptions{Layers: 2, Mask: maskInput(s, steps, 2, 5)})
	loss, _ := weightedSum(s, out, rand.New(rand.NewPCG(3, 4)))
	runWithGrads(t, s, loss, []*G.Node{x})
	got := values(out)
	for t2 := 2; t2 < steps; t2++ {
		assertClose(t, fmt.Sprintf("out[0, %d]", t2), got[t2*hidden:][:hidden], got[1*hidden:][:hidden], 0)
	}
	for i, g := range gradOf(t, x)[2*3 : steps*3] {
		if g != 0 {
			t.Errorf("padded input of row 0 has gradient %v at %d", g, i)
		}
	}
}

// TestLSTMCarryContinues: two runs over the halves of a sequence, with Carry between them,
// give the outputs of one run over the whole sequence.
func TestLSTMCarryContinues(t *testing.T) {
	const batch, steps, in, hidden = 3, 6, 2, 4
	r := rand.New(rand.NewPCG(8, 9))
	seq := make([]float64, batch*steps*in)
	for i := range seq {
		seq[i] = r.NormFloat64()
	}
	whole := NewScope(tensor.Float64, 4, false)
	xw := whole.Input("x", batch, steps, in)
	copy(xw.Value().Data().([]float64), seq)
	outW := LSTM(whole.Sub("lstm"), xw, hidden, RecurrentOptions{Layers: 2, Carry: true})
	vm := G.NewTapeMachine(whole.Graph())
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	want := values(outW)

	half := NewSharedScope(tensor.Float64, whole.Params(), false)
	xh := half.Input("x", batch, steps/2, in)
	outH := LSTM(half.Sub("lstm"), xh, hidden, RecurrentOptions{Layers: 2, Carry: true})
	vmH := G.NewTapeMachine(half.Graph())
	defer vmH.Close()
	for part := 0; part < 2; part++ {
		for b := 0; b < batch; b++ {
			n := steps / 2 * in
			copy(xh.Value().Data().([]float64)[b*n:][:n], seq[b*steps*in+part*n:][:n])
		}
		vmH.Reset()
		if err := vmH.RunAll(); err != nil {
			t.Fatal(err)
		}
		got := values(outH)
		for b := 0; b < batch; b++ {
			n := steps / 2 * hidden
			assertClose(t, fmt.Sprintf("part %d row %d", part, b), got[b*n:][:n], want[b*steps*hidden+part*n:][:n], 1e-12)
		}
		for _, st := range half.States() {
			st.Carry()
		}
	}
}

// TestLSTMWorkersAgree: splitting the batch among workers (and each step's product into
// column slices) gives the results of one worker.
func TestLSTMWorkersAgree(t *testing.T) {
	run := func(workers int) [][]float64 {
		s := NewScope(tensor.Float64, 7, true)
		x := randomInput(s, "x", rand.New(rand.NewPCG(4, 4)), 5, 3, 6)
		y := LSTM(s.Sub("lstm"), x, 40, RecurrentOptions{Layers: 1, Mask: maskInput(s, 3, 3, 1, 2, 3, 3)})
		y.Op().(*recurrentOp).workers = workers
		loss, _ := weightedSum(s, y, rand.New(rand.NewPCG(5, 5)))
		wrt := append([]*G.Node{x}, paramNodes(s)...)
		runWithGrads(t, s, loss, wrt)
		got := [][]float64{slices.Clone(values(y))}
		for _, n := range wrt {
			got = append(got, gradOf(t, n))
		}
		return got
	}
	want := run(1)
	for i, g := range run(3) {
		assertClose(t, fmt.Sprintf("value %d", i), g, want[i], 1e-12)
	}
}

// lstmNet builds a 2-layer masked LSTM with a weighted-sum loss; it returns the scope, the
// input and the loss.
func lstmNet(batch int) (*Scope, *G.Node, *G.Node) {
	s := NewScope(tensor.Float64, 6, true)
	x := s.Input("x", batch, 5, 3)
	lengths := []int{5, 2, 1, 4, 3}[:batch]
	y := LSTM(s.Sub("lstm"), x, 4, RecurrentOptions{Layers: 2, Mask: maskInput(s, 5, lengths...)})
	loss, _ := weightedSum(s, y, rand.New(rand.NewPCG(1, 1)))
	return s, x, loss
}

func fillRandom(n *G.Node, seed uint64) {
	r := rand.New(rand.NewPCG(seed, seed))
	for i, d := 0, n.Value().Data().([]float64); i < len(d); i++ {
		d[i] = r.NormFloat64()
	}
}

// TestLSTMReuseAndPartialGradients runs one machine twice on different inputs and compares
// with a fresh graph, so no state leaks between runs through the shared BPTT; and asks for
// each gradient alone, so it is right whichever gradient op runs first.
func TestLSTMReuseAndPartialGradients(t *testing.T) {
	for _, batch := range []int{1, 5} {
		s, x, loss := lstmNet(batch)
		wrt := append([]*G.Node{x}, paramNodes(s)...)
		if _, err := G.Grad(loss, wrt...); err != nil {
			t.Fatal(err)
		}
		vm := G.NewTapeMachine(s.Graph(), G.BindDualValues(wrt...))
		for _, seed := range []uint64{1, 2} {
			fillRandom(x, seed)
			for _, n := range wrt {
				if g, err := n.Grad(); err == nil && g != nil {
					clear(g.Data().([]float64))
				}
			}
			vm.Reset()
			if err := vm.RunAll(); err != nil {
				t.Fatal(err)
			}
		}
		got := [][]float64{slices.Clone(values(loss))}
		for _, n := range wrt {
			got = append(got, gradOf(t, n))
		}
		vm.Close()

		for i := range wrt {
			s2, x2, loss2 := lstmNet(batch)
			fillRandom(x2, 2)
			one := append([]*G.Node{x2}, paramNodes(s2)...)[i]
			runWithGrads(t, s2, loss2, []*G.Node{one})
			assertClose(t, "loss", got[0], values(loss2), 1e-12)
			assertClose(t, fmt.Sprintf("batch %d grad %s", batch, one.Name()), got[i+1], gradOf(t, one), 1e-12)
		}
	}
}

// TestLSTMFloat32 runs the float32 kernels and compares them with float64.
func TestLSTMFloat32(t *testing.T) {
	run := func(dt tensor.Dtype) (out, grad []float64) {
		s := NewScope(dt, 5, false)
		x := s.Input("x", 4, 6, 3)
		r := rand.New(rand.NewPCG(2, 3))
		fill(x.Value().(*tensor.Dense), r.NormFloat64)
		y := LSTM(s.Sub("lstm"), x, 8, RecurrentOptions{Layers: 2, Carry: true})
		for _, st := range s.States() {
			for i := range st.Initial {
				st.Initial[i] = float32(r.NormFloat64())
			}
			for i := range st.Initial64 {
				st.Initial64[i] = r.NormFloat64()
			}
		}
		loss := must(G.Sum(LastStep(y)))
		w := s.Params()[0].Node
		runWithGrads(t, s, loss, []*G.Node{w})
		g, _ := w.Grad()
		return asFloat64(y.Value().Data()), asFloat64(g.Data())
	}
	out64, grad64 := run(tensor.Float64)
	out32, grad32 := run(tensor.Float32)
	assertClose(t, "out", out32, out64, 1e-5)
	assertClose(t, "grad weight_ih_l0", grad32, grad64, 1e-4)
}

func asFloat64(d any) []float64 {
	switch d := d.(type) {
	case []float32:
		f := make([]float64, len(d))
		for i, v := range d {
			f[i] = float64(v)
		}
		return f
	case []float64:
		return slices.Clone(d)
	}
	panic(fmt.Sprintf("unexpected data %T", d))
}

func TestLSTMShapesAndNames(t *testing.T) {
	s := NewScope(tensor.Float32, 1, true)
	x := s.Input("x", 8, 28, 28)
	y := LSTM(s.Sub("lstm"), x, 16, RecurrentOptions{Layers: 2, Dropout: 0.5, Carry: true})
	if want := (tensor.Shape{8, 28, 16}); !y.Shape().Eq(want) {
		t.Errorf("output shape %v, want %v", y.Shape(), want)
	}
	if got := LastStep(y).Shape(); !got.Eq(tensor.Shape{8, 16}) {
		t.Errorf("LastStep shape %v, want (8, 16)", got)
	}
	want := map[string][]int{
		"lstm.weight_ih_l0": {64, 28}, "lstm.weight_hh_l0": {64, 16}, "lstm.bias_ih_l0": {64}, "lstm.bias_hh_l0": {64},
		"lstm.weight_ih_l1": {64, 16}, "lstm.weight_hh_l1": {64, 16}, "lstm.bias_ih_l1": {64}, "lstm.bias_hh_l1": {64},
	}
	if len(s.Params()) != len(want) {
		t.Errorf("%d params, want %d", len(s.Params()), len(want))
	}
	for _, p := range s.Params() {
		if w, ok := want[p.Name]; !ok || !slices.Equal(p.Shape, w) {
			t.Errorf("param %s shape %v, want %v", p.Name, p.Shape, w)
		}
		bound := float32(1 / 4.0) // 1/√16
		for _, v := range p.Value.Data().([]float32) {
			if v < -bound || v > bound {
				t.Fatalf("param %s value %v outside ±%v", p.Name, v, bound)
			}
		}
	}
	if len(s.Masks()) != 1 {
		t.Errorf("%d dropout masks, want 1 (between the two layers)", len(s.Masks()))
	}
	if len(s.States()) != 2 || len(s.States()[1].Initial) != 2*8*16 || s.States()[1].Name != "lstm.state_l1" {
		t.Errorf("states: %d, want 2 named lstm.state_l{0,1} of 2·B·H float32 values", len(s.States()))
	}
}

func TestLSTMMisusePanics(t *testing.T) {
	s := NewScope(tensor.Float64, 1, true)
	x3 := s.Input("x3", 2, 3, 4)
	tests := []struct {
		name  string
		build func()
	}{
		{"2-D input", func() { LSTM(s.Sub("a"), s.Input("x2", 2, 3), 4, RecurrentOptions{Layers: 1}) }},
		{"no layers", func() { LSTM(s.Sub("b"), x3, 4, RecurrentOptions{}) }},
		{"dropout 1", func() { LSTM(s.Sub("c"), x3, 4, RecurrentOptions{Layers: 2, Dropout: 1}) }},
		{"mask shape", func() { LSTM(s.Sub("d"), x3, 4, RecurrentOptions{Layers: 1, Mask: s.Input("m", 3, 2)}) }},
		{"LastStep of 2-D", func() { LastStep(s.Input("y", 2, 3)) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "graphs:") {
					t.Errorf("want a graphs: panic, got %v", r)
				}
			}()
			tt.build()
		})
	}
}

func TestLastStep(t *testing.T) {
	s := NewScope(tensor.Float64, 1, true)
	x := randomInput(s, "x", rand.New(rand.NewPCG(1, 1)), 2, 3, 4)
	y := LastStep(x)
	runWithGrads(t, s, must(G.Sum(y)), []*G.Node{x})
	assertClose(t, "row 1", values(y)[4:8], values(x)[(1*3+2)*4:][:4], 0)

	s = NewScope(tensor.Float64, 1, true)
	x = randomInput(s, "x", rand.New(rand.NewPCG(1, 1)), 2, 3, 4)
	gradCheck(t, s, LastStep(x), []*G.Node{x})
}

// BenchmarkLSTMLayer times forward + backward of the "lstm1" benchmark's layer: float32,
// batch 64, 28 steps of 28 inputs, hidden 128.
func BenchmarkLSTMLayer(b *testing.B) {
	s := NewScope(tensor.Float32, 1, true)
	x := s.Input("x", 64, 28, 28)
	fill(x.Value().(*tensor.Dense), rand.New(rand.NewPCG(1, 1)).NormFloat64)
	loss := must(G.Sum(LastStep(LSTM(s.Sub("lstm"), x, 128, RecurrentOptions{Layers: 1}))))
	wrt := paramNodes(s)
	if _, err := G.Grad(loss, wrt...); err != nil {
		b.Fatal(err)
	}
	vm := G.NewTapeMachine(s.Graph(), G.BindDualValues(wrt...))
	defer vm.Close()
	b.ReportAllocs()
	for b.Loop() {
		vm.Reset()
		if err := vm.RunAll(); err != nil {
			b.Fatal(err)
		}
	}
}
