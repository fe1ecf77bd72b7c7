package graphs

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/gorgonet/gorgonet/internal/golden"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// recurrentKind is one of the recurrent layers, for the tests that check both alike.
type recurrentKind struct {
	name       string // the scope the tests build it under: "lstm", "gru"
	layer      func(s *Scope, x *G.Node, hidden int, o RecurrentOptions) *G.Node
	gates      int      // gate blocks per unit
	stateParts []string // the golden names of the carried state's blocks of B·H values
}

var recurrentKinds = []recurrentKind{
	{"lstm", LSTM, 4, []string{"h", "c"}},
	{"gru", GRU, 3, []string{"h"}},
}

// forEachKind runs test as a subtest for every recurrent layer.
func forEachKind(t *testing.T, test func(t *testing.T, k recurrentKind)) {
	for _, k := range recurrentKinds {
		t.Run(k.name, func(t *testing.T) { test(t, k) })
	}
}

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

// goldenRecurrent is a golden case's layer built with its input, mask, parameters and initial
// state (golden "h0", "c0": (layers, B, H)), its loss Σ out⊙upstream ready for gradients.
type goldenRecurrent struct {
	s         *Scope
	x, out    *G.Node
	loss      *G.Node
	mask      []float64 // (B, T), all ones without a golden mask
	layers, h int
}

func buildGoldenRecurrent(t *testing.T, k recurrentKind, c golden.Case) goldenRecurrent {
	t.Helper()
	g := goldenRecurrent{layers: int(c.Args["layers"]), h: int(c.Args["hidden"])}
	g.s = NewScope(tensor.Float64, 1, false)
	g.x = g.s.Input("x", c.Tensors["x"].Shape...)
	setValue(t, g.x, c.Tensors["x"])
	batch, steps := g.x.Shape()[0], g.x.Shape()[1]
	g.mask = make([]float64, batch*steps)
	for i := range g.mask {
		g.mask[i] = 1
	}
	o := RecurrentOptions{Layers: g.layers, Carry: true}
	if m, ok := c.Tensors["mask"]; ok {
		o.Mask = g.s.Input("mask", m.Shape...)
		setValue(t, o.Mask, m)
		g.mask = m.Data
	}
	g.out = k.layer(g.s.Sub(k.name), g.x, g.h, o)
	for _, p := range g.s.Params() {
		setValue(t, p.Node, c.Tensors[strings.TrimPrefix(p.Name, k.name+".")])
	}
	bh := batch * g.h
	for l, st := range g.s.States() {
		if want := fmt.Sprintf("%s.state_l%d", k.name, l); st.Name != want {
			t.Errorf("state %d is named %q, want %q", l, st.Name, want)
		}
		for i, part := range k.stateParts {
			copy(st.Initial64[i*bh:][:bh], c.Tensors[part+"0"].Data[l*bh:][:bh])
		}
	}
	u := g.s.Input("upstream", g.out.Shape().Clone()...)
	setValue(t, u, c.Tensors["upstream"])
	g.loss = must(G.Sum(must(G.HadamardProd(g.out, u))))
	return g
}

// check compares the outputs at real steps, the last step, the final states (golden "h_n",
// "c_n") and the gradients of x and every parameter with c's.
func (g goldenRecurrent) check(t *testing.T, k recurrentKind, c golden.Case) {
	t.Helper()
	batch, steps := g.x.Shape()[0], g.x.Shape()[1]
	got, want, bh := values(g.out), c.Tensors["out"].Data, batch*g.h
	last := make([]float64, bh) // our output at the last step
	for b := 0; b < batch; b++ {
		copy(last[b*g.h:][:g.h], got[((b+1)*steps-1)*g.h:][:g.h])
		for step := 0; step < steps; step++ {
			if g.mask[b*steps+step] == 1 {
				i := (b*steps + step) * g.h
				assertClose(t, fmt.Sprintf("out[%d, %d]", b, step), got[i:i+g.h], want[i:i+g.h], 1e-9)
			}
		}
	}
	assertClose(t, "out at the last step vs h_n of the top layer", last, c.Tensors["h_n"].Data[(g.layers-1)*bh:], 1e-9)
	for l, st := range g.s.States() {
		for i, part := range k.stateParts {
			assertClose(t, fmt.Sprintf("%s_n[%d]", part, l), st.Final64[i*bh:][:bh], c.Tensors[part+"_n"].Data[l*bh:][:bh], 1e-9)
		}
	}
	assertClose(t, "grad.x", gradOf(t, g.x), c.Tensors["grad.x"].Data, 1e-9)
	for _, p := range g.s.Params() {
		short := strings.TrimPrefix(p.Name, k.name+".")
		assertClose(t, "grad."+short, gradOf(t, p.Node), c.Tensors["grad."+short].Data, 1e-9)
	}
}

// testGoldenRecurrent checks the named cases of file against the layer k: outputs, final
// states and gradients, with a nonzero initial state fed through the carried states.
func testGoldenRecurrent(t *testing.T, k recurrentKind, file string, names ...string) {
	cases := loadGolden(t, file)
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			c, ok := cases[name]
			if !ok {
				t.Fatalf("no golden case %q", name)
			}
			g := buildGoldenRecurrent(t, k, c)
			runWithGrads(t, g.s, g.loss, append([]*G.Node{g.x}, paramNodes(g.s)...))
			g.check(t, k, c)
		})
	}
}

// TestRecurrentGradients checks the BPTT against finite differences.
func TestRecurrentGradients(t *testing.T) {
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
		{"two layers, carried state, no mask", 2, nil, true, 0, false},
		{"wide", 1, nil, false, 0, false},
	}
	forEachKind(t, func(t *testing.T, k recurrentKind) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				const steps, in = 4, 3
				hidden := 5
				if tt.name == "wide" {
					hidden = 20 // gH = 60 or 80 columns: more than one slice in stepGemm
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
				out := k.layer(s.Sub(k.name), x, hidden, o)
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
	})
}

// TestRecurrentPaddingChangesNothing: a padded step carries the state, so the output there
// equals the output at the last real step, and padded inputs get no gradient.
func TestRecurrentPaddingChangesNothing(t *testing.T) {
	forEachKind(t, func(t *testing.T, k recurrentKind) {
		const steps, hidden = 5, 4
		s := NewScope(tensor.Float64, 2, false)
		x := randomInput(s, "x", rand.New(rand.NewPCG(1, 2)), 2, steps, 3)
		out := k.layer(s.Sub(k.name), x, hidden, RecurrentOptions{Layers: 2, Mask: maskInput(s, steps, 2, 5)})
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
	})
}

// TestRecurrentCarryContinues: two runs over the halves of a sequence, with Carry between
// them, give the outputs of one run over the whole sequence.
func TestRecurrentCarryContinues(t *testing.T) {
	forEachKind(t, func(t *testing.T, k recurrentKind) {
		const batch, steps, in, hidden = 3, 6, 2, 4
		r := rand.New(rand.NewPCG(8, 9))
		seq := make([]float64, batch*steps*in)
		for i := range seq {
			seq[i] = r.NormFloat64()
		}
		whole := NewScope(tensor.Float64, 4, false)
		xw := whole.Input("x", batch, steps, in)
		copy(xw.Value().Data().([]float64), seq)
		outW := k.layer(whole.Sub(k.name), xw, hidden, RecurrentOptions{Layers: 2, Carry: true})
		vm := G.NewTapeMachine(whole.Graph())
		defer vm.Close()
		if err := vm.RunAll(); err != nil {
			t.Fatal(err)
		}
		want := values(outW)

		half := NewSharedScope(tensor.Float64, whole.Params(), false)
		xh := half.Input("x", batch, steps/2, in)
		outH := k.layer(half.Sub(k.name), xh, hidden, RecurrentOptions{Layers: 2, Carry: true})
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
	})
}

// TestRecurrentWorkersAgree: splitting the batch among workers (and each step's product
// into column slices) gives the results of one worker.
func TestRecurrentWorkersAgree(t *testing.T) {
	forEachKind(t, func(t *testing.T, k recurrentKind) {
		run := func(workers int) [][]float64 {
			s := NewScope(tensor.Float64, 7, true)
			x := randomInput(s, "x", rand.New(rand.NewPCG(4, 4)), 5, 3, 6)
			y := k.layer(s.Sub(k.name), x, 40, RecurrentOptions{Layers: 1, Mask: maskInput(s, 3, 3, 1, 2, 3, 3)})
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
	})
}

// recurrentNet builds a 2-layer masked layer of kind k with a weighted-sum loss; it returns
// the scope, the input and the loss.
func recurrentNet(k recurrentKind, batch int) (*Scope, *G.Node, *G.Node) {
	s := NewScope(tensor.Float64, 6, true)
	x := s.Input("x", batch, 5, 3)
	lengths := []int{5, 2, 1, 4, 3}[:batch]
	y := k.layer(s.Sub(k.name), x, 4, RecurrentOptions{Layers: 2, Mask: maskInput(s, 5, lengths...)})
	loss, _ := weightedSum(s, y, rand.New(rand.NewPCG(1, 1)))
	return s, x, loss
}

// TestRecurrentReuseAndPartialGradients runs one machine twice on different inputs and
// compares with a fresh graph, so no state leaks between runs through the shared BPTT; and
// asks for each gradient alone, so it is right whichever gradient op runs first.
func TestRecurrentReuseAndPartialGradients(t *testing.T) {
	forEachKind(t, func(t *testing.T, k recurrentKind) {
		for _, batch := range []int{1, 5} {
			s, x, loss := recurrentNet(k, batch)
			wrt := append([]*G.Node{x}, paramNodes(s)...)
			got := runReused(t, s, x, loss, wrt, 1, 2)

			for i := range wrt {
				s2, x2, loss2 := recurrentNet(k, batch)
				fillRandom(x2, 2)
				one := append([]*G.Node{x2}, paramNodes(s2)...)[i]
				runWithGrads(t, s2, loss2, []*G.Node{one})
				assertClose(t, "loss", got[0], values(loss2), 1e-12)
				assertClose(t, fmt.Sprintf("batch %d grad %s", batch, one.Name()), got[i+1], gradOf(t, one), 1e-12)
			}
		}
	})
}

// TestRecurrentFloat32 runs the float32 kernels and compares them with float64.
func TestRecurrentFloat32(t *testing.T) {
	forEachKind(t, func(t *testing.T, k recurrentKind) {
		run := func(dt tensor.Dtype) (out, grad []float64) {
			s := NewScope(dt, 5, false)
			x := s.Input("x", 4, 6, 3)
			r := rand.New(rand.NewPCG(2, 3))
			fill(x.Value().(*tensor.Dense), r.NormFloat64)
			y := k.layer(s.Sub(k.name), x, 8, RecurrentOptions{Layers: 2, Carry: true})
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
	})
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

// TestRecurrentStepsDoNotAllocate: a training run of four times as many steps allocates
// (nearly) as often as a short one: nothing in the forward or backward recurrence allocates
// per step.
func TestRecurrentStepsDoNotAllocate(t *testing.T) {
	forEachKind(t, func(t *testing.T, k recurrentKind) {
		allocs := func(steps int) float64 {
			s := NewScope(tensor.Float32, 1, true)
			x := s.Input("x", 4, steps, 3)
			loss := must(G.Sum(LastStep(k.layer(s.Sub(k.name), x, 8, RecurrentOptions{Layers: 2, Carry: true}))))
			wrt := paramNodes(s)
			if _, err := G.Grad(loss, wrt...); err != nil {
				t.Fatal(err)
			}
			vm := G.NewTapeMachine(s.Graph(), G.BindDualValues(wrt...))
			defer vm.Close()
			return testing.AllocsPerRun(5, func() {
				vm.Reset()
				if err := vm.RunAll(); err != nil {
					t.Fatal(err)
				}
			})
		}
		// Less than one allocation per extra step: the race detector adds a few of its own.
		const few, many = 4, 16
		if short, long := allocs(few), allocs(many); long-short >= many-few {
			t.Errorf("a run of %d steps allocates %v times, of %d steps %v: something allocates per step", many, long, few, short)
		}
	})
}

func TestRecurrentShapesAndNames(t *testing.T) {
	forEachKind(t, func(t *testing.T, k recurrentKind) {
		s := NewScope(tensor.Float32, 1, true)
		x := s.Input("x", 8, 28, 28)
		y := k.layer(s.Sub(k.name), x, 16, RecurrentOptions{Layers: 2, Dropout: 0.5, Carry: true})
		if want := (tensor.Shape{8, 28, 16}); !y.Shape().Eq(want) {
			t.Errorf("output shape %v, want %v", y.Shape(), want)
		}
		if got := LastStep(y).Shape(); !got.Eq(tensor.Shape{8, 16}) {
			t.Errorf("LastStep shape %v, want (8, 16)", got)
		}
		gH := k.gates * 16
		want := map[string][]int{}
		for l, in := range []int{28, 16} {
			want[fmt.Sprintf("%s.weight_ih_l%d", k.name, l)] = []int{gH, in}
			want[fmt.Sprintf("%s.weight_hh_l%d", k.name, l)] = []int{gH, 16}
			want[fmt.Sprintf("%s.bias_ih_l%d", k.name, l)] = []int{gH}
			want[fmt.Sprintf("%s.bias_hh_l%d", k.name, l)] = []int{gH}
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
		n := len(k.stateParts) * 8 * 16
		if len(s.States()) != 2 || len(s.States()[1].Initial) != n || s.States()[1].Name != k.name+".state_l1" {
			t.Errorf("states: %d, want 2 named %s.state_l{0,1} of %d float32 values", len(s.States()), k.name, n)
		}
	})
}

func TestRecurrentMisusePanics(t *testing.T) {
	forEachKind(t, func(t *testing.T, k recurrentKind) {
		s := NewScope(tensor.Float64, 1, true)
		x3 := s.Input("x3", 2, 3, 4)
		tests := []struct {
			name  string
			build func()
		}{
			{"2-D input", func() { k.layer(s.Sub("a"), s.Input("x2", 2, 3), 4, RecurrentOptions{Layers: 1}) }},
			{"no layers", func() { k.layer(s.Sub("b"), x3, 4, RecurrentOptions{}) }},
			{"no hidden units", func() { k.layer(s.Sub("e"), x3, 0, RecurrentOptions{Layers: 1}) }},
			{"dropout 1", func() { k.layer(s.Sub("c"), x3, 4, RecurrentOptions{Layers: 2, Dropout: 1}) }},
			{"mask shape", func() { k.layer(s.Sub("d"), x3, 4, RecurrentOptions{Layers: 1, Mask: s.Input("m", 3, 2)}) }},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				defer func() {
					r := recover()
					if r == nil || !strings.Contains(fmt.Sprint(r), "graphs: "+strings.ToUpper(k.name)) {
						t.Errorf("want a graphs: %s panic, got %v", strings.ToUpper(k.name), r)
					}
				}()
				tt.build()
			})
		}
	})
}

func TestLastStepMisusePanics(t *testing.T) {
	s := NewScope(tensor.Float64, 1, true)
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "graphs:") {
			t.Errorf("want a graphs: panic, got %v", r)
		}
	}()
	LastStep(s.Input("y", 2, 3))
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
