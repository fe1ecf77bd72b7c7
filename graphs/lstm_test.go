package graphs

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestGoldenLSTM checks outputs, final states and gradients against torch.nn.LSTM
// (testdata/gen_lstm_golden.py), with a nonzero initial state fed through the carried
// states, and in lstm_packed with sequences of different lengths. The tests the LSTM shares
// with the GRU are in recurrent_test.go.
func TestGoldenLSTM(t *testing.T) {
	testGoldenRecurrent(t, recurrentKinds[0], "testdata/lstm_golden.json", "lstm_1layer", "lstm_2layer", "lstm_packed")
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
