package graphs

import (
	"testing"

	G "gorgonia.org/gorgonia"
)

// TestGoldenGRU checks outputs, final states and gradients against torch.nn.GRU
// (testdata/gen_gru_golden.py), with a nonzero initial state fed through the carried
// states, and in gru_packed with sequences of different lengths. The tests the GRU shares
// with the LSTM (finite differences, padding, carry, workers, float32, allocations, names,
// misuse) are in recurrent_test.go.
func TestGoldenGRU(t *testing.T) {
	testGoldenRecurrent(t, recurrentKinds[1], "testdata/gru_golden.json", "gru_1layer", "gru_2layer", "gru_packed")
}

// TestGoldenGRUCarry runs one graph twice, over the two halves of gru_carry's sequences, the
// state carried between the runs, and checks both runs' outputs and states and the second
// run's gradients against PyTorch's.
func TestGoldenGRUCarry(t *testing.T) {
	k := recurrentKinds[1]
	c := loadGolden(t, "testdata/gru_golden.json")["gru_carry"]
	g := buildGoldenRecurrent(t, k, c)
	wrt := append([]*G.Node{g.x}, paramNodes(g.s)...)
	if _, err := G.Grad(g.loss, wrt...); err != nil {
		t.Fatal(err)
	}
	vm := G.NewTapeMachine(g.s.Graph(), G.BindDualValues(wrt...))
	defer vm.Close()
	second := g.x.Value().Data().([]float64)
	x2 := append([]float64(nil), second...)
	copy(second, c.Tensors["x1"].Data)
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	assertClose(t, "first run out", values(g.out), c.Tensors["out1"].Data, 1e-9)
	bh := g.x.Shape()[0] * g.h
	for l, st := range g.s.States() {
		assertClose(t, "first run h_n", st.Final64, c.Tensors["h_n1"].Data[l*bh:][:bh], 1e-9)
		st.Carry()
	}
	for _, n := range wrt {
		grad, _ := n.Grad() // gradients accumulate across runs until an optimizer step
		clear(grad.Data().([]float64))
	}
	copy(second, x2)
	vm.Reset()
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	g.check(t, k, c)
}
