package train

import (
	"math"
	"testing"

	G "gorgonia.org/gorgonia"

	"github.com/gorgonet/gorgonet/graphs"
)

// graphs.Program, which runs training steps, computes the same loss and gradients, bit for
// bit, as Gorgonia's tape machine on every step of the benchmark suite, and again on a second
// run (where it reuses the ops' earlier results as buffers).
func TestProgramMatchesTapeMachine(t *testing.T) {
	for _, name := range []string{"cnn", "lstm2", "tfenc", "seq2seq"} {
		tape, err := suiteGraph(name)
		if err != nil {
			t.Fatal(err)
		}
		prog, err := suiteGraph(name)
		if err != nil {
			t.Fatal(err)
		}
		vm := G.NewTapeMachine(tape.Scope.Graph(), G.BindDualValues(tape.ParamNodes()...))
		if err := vm.RunAll(); err != nil {
			t.Fatalf("%s: tape machine: %v", name, err)
		}
		outputs := []*G.Node{prog.Loss}
		for _, n := range prog.ParamNodes() {
			outputs = append(outputs, n.Deriv())
		}
		p, err := graphs.Compile(prog.Scope.Graph(), outputs...)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for run := 1; run <= 2; run++ {
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
