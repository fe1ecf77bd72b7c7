package models

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
)

// TestRecurrentSpecNames: the cell names the parameters, the carried states and the Spec,
// so LSTM checkpoints keep their keys and GRU ones get keys of their own.
func TestRecurrentSpecNames(t *testing.T) {
	c := RecurrentConfig{Steps: 3, Vocab: 7, Embedding: 4, Hidden: 5, Layers: 2, Classes: 3}
	for _, tt := range []struct{ cell Cell }{{LSTM}, {GRU}} {
		t.Run(tt.cell.Name, func(t *testing.T) {
			c.Cell = tt.cell
			spec := RecurrentSpec(c)
			if spec.Name != tt.cell.Name {
				t.Errorf("spec name %q, want %q", spec.Name, tt.cell.Name)
			}
			m, err := BuildClassifier(spec, BuildOptions{Batch: 2, Training: true})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range m.Params() {
				got = append(got, p.Name)
			}
			want := []string{"embedding.weight"}
			for k := range 2 {
				for _, w := range []string{"weight_ih", "weight_hh", "bias_ih", "bias_hh"} {
					want = append(want, fmt.Sprintf("%s.%s_l%d", tt.cell.Name, w, k))
				}
			}
			want = append(want, "fc.weight", "fc.bias")
			if !slices.Equal(got, want) {
				t.Errorf("parameters %q, want %q", got, want)
			}
			if n := m.Params()[1].Shape[0]; n != tt.cell.Gates*c.Hidden {
				t.Errorf("weight_ih_l0 has %d rows, want %d gates × %d", n, tt.cell.Gates, c.Hidden)
			}
		})
	}
}

// TestRecurrentConfigZeroCellIsLSTM: a config without a cell (as its callers wrote them
// before the GRU) builds the LSTM; a cell with parts missing is refused.
func TestRecurrentConfigZeroCellIsLSTM(t *testing.T) {
	c := RecurrentConfig{Steps: 3, Vocab: 5, Embedding: 2, Hidden: 4, Layers: 1, Classes: 5}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if name := RecurrentSpec(c).Name; name != "lstm" {
		t.Errorf("spec name %q, want lstm", name)
	}
	lm, err := BuildLanguageModel(c, BuildOptions{Batch: 2})
	if err != nil {
		t.Fatal(err)
	}
	if got := lm.Params()[1].Name; got != "lstm.weight_ih_l0" {
		t.Errorf("language model parameter %q, want lstm.weight_ih_l0", got)
	}
	if c.footprint(false) != (c.withCell()).footprint(false) {
		t.Error("the memory estimate of the zero cell is not the LSTM's")
	}
	c.Cell = Cell{Name: "gru", Gates: 3}
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "cell") {
		t.Errorf("Validate of a cell without its layer: %v, want an error naming the cell", err)
	}
	c.Cell, c.Hidden = GRU, 0
	if err := c.Validate(); err == nil || !strings.HasPrefix(err.Error(), "gru.hidden") {
		t.Errorf("Validate with hidden 0: %v, want gru.hidden …", err)
	}
}

// TestGRULanguageModelCarriesH: the GRU language model carries one state per layer, h alone
// (B·H values), from one run into the next.
func TestGRULanguageModelCarriesH(t *testing.T) {
	const batch, hidden = 2, 4
	c := RecurrentConfig{Cell: GRU, Steps: 3, Vocab: 5, Embedding: 2, Hidden: hidden, Layers: 2, Classes: 5}
	lm, err := BuildLanguageModel(c, BuildOptions{Batch: batch})
	if err != nil {
		t.Fatal(err)
	}
	states := lm.Scope.States()
	if len(states) != 2 {
		t.Fatalf("%d carried states, want 2", len(states))
	}
	for k, st := range states {
		if want := fmt.Sprintf("gru.state_l%d", k); st.Name != want || len(st.Initial) != batch*hidden {
			t.Errorf("state %d: %q of %d values, want %q of %d", k, st.Name, len(st.Initial), want, batch*hidden)
		}
	}
	vm := G.NewTapeMachine(lm.Scope.Graph())
	defer vm.Close()
	copy(lm.Input.Value().Data().([]float32), []float32{1, 2, 3, 4, 0, 1})
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	if slices.Equal(states[1].Final, make([]float32, batch*hidden)) {
		t.Error("the top layer's final state is all zeros after a run")
	}
}
