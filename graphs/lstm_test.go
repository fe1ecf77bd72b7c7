package graphs

import (
	"math/rand/v2"
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
