package train

import (
	"math"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"

	"github.com/gorgonet/gorgonet/graphs"
	"github.com/gorgonet/gorgonet/models"
)

// graphs.Program, which runs training steps, computes the same loss and gradients, bit for
// bit, as Gorgonia's tape machine on every step of the benchmark suite, and again on a second
// run (where it reuses the ops' earlier results as buffers) after its arena was filled with
// NaNs, so no op reads a buffer before writing it.
func TestProgramMatchesTapeMachine(t *testing.T) {
	for _, name := range []string{"cnn", "lstm2", "tfenc", "seq2seq", "gru-dropout", "charlm-dropout", "seq2seq-dropout"} {
		tape, err := programTestGraph(name)
		if err != nil {
			t.Fatal(err)
		}
		prog, err := programTestGraph(name)
		if err != nil {
			t.Fatal(err)
		}
		vm := G.NewTapeMachine(tape.Scope.Graph(), G.BindDualValues(tape.ParamNodes()...))
		if err := vm.RunAll(); err != nil {
			t.Fatalf("%s: tape machine: %v", name, err)
		}
		p, err := compileStep(prog)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		arena := &graphs.Arena{}
		p.UseArena(arena)
		for run := 1; run <= 2; run++ {
			if run == 2 {
				if arena.Floats() == 0 {
					t.Fatalf("%s: no buffer came from the arena", name)
				}
				arena.Poison() // what one run leaves, another graph may overwrite: no op may read it
			}
			if err := p.Run(); err != nil {
				t.Fatalf("%s: run %d: %v", name, run, err)
			}
			want, got := tape.Loss.Value().Data().(float32), prog.Loss.Value().Data().(float32)
			if math.Float32bits(got) != math.Float32bits(want) {
				t.Errorf("%s run %d: loss %v, tape machine %v", name, run, got, want)
			}
			for i, n := range prog.ParamNodes() {
				g, err := n.Grad()
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				wg, _ := tape.ParamNodes()[i].Grad()
				if d := firstDiff(graphs.ValueFloat32s(g), graphs.ValueFloat32s(wg)); d >= 0 {
					t.Errorf("%s run %d: gradient of %s differs at %d", name, run, tape.Params()[i].Name, d)
				}
			}
		}
		vm.Close()
	}
}

// programTestGraph is suiteGraph's step name, or one of three more that cover the ops the
// suite lacks: a two-layer GRU and an LSTM language model carrying its states, and the seq2seq
// step, all with dropout (its masks drawn from a fixed seed).
func programTestGraph(name string) (*models.Graph, error) {
	r := rand.New(rand.NewPCG(3, 4))
	var g *models.Graph
	switch name {
	case "gru-dropout":
		c := models.RecurrentConfig{Cell: models.GRU, Steps: 12, Features: 10, Hidden: 24, Layers: 2, Classes: 5, Dropout: 0.2}
		net, err := models.BuildClassifier(models.RecurrentSpec(c), models.BuildOptions{Batch: 8, Training: true})
		if err != nil {
			return nil, err
		}
		randomClassifierInputs(net, r, func() float32 { return float32(r.NormFloat64()) })
		g = net.Graph
	case "charlm-dropout":
		c := models.RecurrentConfig{Cell: models.LSTM, Steps: 16, Hidden: 32, Layers: 2, Vocab: 30, Embedding: 8, Classes: 30, Dropout: 0.1}
		lm, err := models.BuildLanguageModel(c, models.BuildOptions{Batch: 4, Training: true})
		if err != nil {
			return nil, err
		}
		ids, labels := graphs.Float32s(lm.Input), make([]int, 4*16)
		for i := range ids {
			ids[i], labels[i] = float32(r.IntN(30)), r.IntN(30)
		}
		graphs.FillTargets(graphs.Float32s(lm.Targets), labels, len(labels), 30)
		for _, st := range lm.Scope.States() {
			for i := range st.Initial {
				st.Initial[i] = float32(r.NormFloat64())
			}
		}
		g = lm.Graph
	case "seq2seq-dropout":
		c := benchSeq2Seq
		c.Layer.Dropout = 0.1
		m, err := models.BuildSeq2Seq(c, models.BuildOptions{Batch: 4, Training: true})
		if err != nil {
			return nil, err
		}
		fillSeq2Seq(m, r, true)
		g = m.Graph
	default:
		return suiteGraph(name)
	}
	for _, m := range g.Scope.Masks() {
		for i, x := 0, graphs.Float32s(m.Node); i < len(x); i++ {
			if r.Float64() >= m.P {
				x[i] = float32(1 / (1 - m.P))
			}
		}
	}
	return g, nil
}

// firstDiff is the first index where a and b differ in their bits, -1 if nowhere.
func firstDiff(a, b []float32) int {
	if len(a) != len(b) {
		return 0
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return i
		}
	}
	return -1
}

// BenchmarkMachine times one forward and backward run of each suite step's graph on
// Gorgonia's tape machine and on graphs.Program, without the optimizer: the machine's own
// overhead is the difference.
func BenchmarkMachine(b *testing.B) {
	for _, name := range []string{"cnn", "lstm1", "lstm2", "tfenc", "seq2seq"} {
		b.Run("tape/"+name, func(b *testing.B) {
			g, err := suiteGraph(name)
			if err != nil {
				b.Fatal(err)
			}
			vm := G.NewTapeMachine(g.Scope.Graph(), G.BindDualValues(g.ParamNodes()...))
			defer vm.Close()
			b.ReportAllocs()
			for b.Loop() {
				vm.Reset()
				if err := vm.RunAll(); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("program/"+name, func(b *testing.B) {
			g, err := suiteGraph(name)
			if err != nil {
				b.Fatal(err)
			}
			p, err := compileStep(g)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if err := p.Run(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
