package models

import (
	"encoding/json"
	"slices"
	"sync"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gorgonet/gorgonet/datasets"
	"github.com/gorgonet/gorgonet/graphs"
	"github.com/gorgonet/gorgonet/internal/golden"
)

// goldenTol is the tolerance of the whole-model comparisons, relative to max(1, |want|).
const goldenTol = 1e-9

// modelsGoldenConfig is the "config" of a case of testdata/gen_models_golden.py; each case
// sets the fields of its model.
type modelsGoldenConfig struct {
	Steps, Features, Vocab, Embedding, Hidden, Layers, Classes int
	Batch, Valid                                               int
	Dim, Heads, FF                                             int
	SourceVocab                                                int      `json:"source_vocab"`
	TargetVocab                                                int      `json:"target_vocab"`
	SourceLen                                                  int      `json:"source_len"`
	TargetLen                                                  int      `json:"target_len"`
	EncoderLayers                                              int      `json:"encoder_layers"`
	DecoderLayers                                              int      `json:"decoder_layers"`
	LabelSmoothing                                             float64  `json:"label_smoothing"`
	SharedEmbeddings                                           bool     `json:"shared_embeddings"`
	StateDict                                                  []string `json:"state_dict"`
}

var modelsGolden = sync.OnceValues(func() (map[string]golden.Case, error) {
	return golden.Load("testdata/models_golden.json")
})

// modelsGoldenCase returns the case name and its config.
func modelsGoldenCase(t *testing.T, name string) (golden.Case, modelsGoldenConfig) {
	t.Helper()
	cases, err := modelsGolden()
	if err != nil {
		t.Fatal(err)
	}
	gc, ok := cases[name]
	if !ok {
		t.Fatalf("no golden case %q", name)
	}
	var c modelsGoldenConfig
	if err := json.Unmarshal(gc.Config, &c); err != nil {
		t.Fatal(err)
	}
	return gc, c
}

// goldenTensor returns the case's tensor name, failing the test if it is missing.
func goldenTensor(t *testing.T, gc golden.Case, name string) golden.Tensor {
	t.Helper()
	v, ok := gc.Tensors[name]
	if !ok {
		t.Fatalf("case %s has no tensor %q", gc.Name, name)
	}
	return v
}

// setInput copies the case's tensor name into n, whose shape it must have.
func setInput(t *testing.T, gc golden.Case, n *G.Node, name string) {
	t.Helper()
	v := goldenTensor(t, gc, name)
	if !n.Shape().Eq(tensor.Shape(v.Shape)) {
		t.Fatalf("%s: PyTorch shape %v, graph input %v", name, v.Shape, n.Shape())
	}
	copy(n.Value().Data().([]float64), v.Data)
}

// ints converts a tensor of integer values stored as floats.
func ints(v golden.Tensor) []int {
	out := make([]int, len(v.Data))
	for i, f := range v.Data {
		out[i] = int(f)
	}
	return out
}

// setGoldenParams checks that the graph's parameters are exactly the PyTorch module's
// state_dict, by name and shape, and copies the PyTorch values into them.
func setGoldenParams(t *testing.T, g *Graph, gc golden.Case, stateDict []string) {
	t.Helper()
	var ours []string
	for _, p := range g.Params() {
		ours = append(ours, p.Name)
		want := goldenTensor(t, gc, p.Name)
		if !slices.Equal(p.Shape, want.Shape) {
			t.Fatalf("%s: PyTorch shape %v, ours %v", p.Name, want.Shape, p.Shape)
		}
		copy(p.Value.Data().([]float64), want.Data)
	}
	slices.Sort(ours)
	theirs := slices.Sorted(slices.Values(stateDict))
	if !slices.Equal(ours, theirs) {
		t.Fatalf("parameter names differ from the PyTorch state_dict keys:\nours   %q\ntorch  %q", ours, theirs)
	}
}

// runGolden runs the graph forward and backward and compares the logits, the loss and every
// parameter's gradient with PyTorch's.
func runGolden(t *testing.T, g *Graph, logits *G.Node, gc golden.Case) {
	t.Helper()
	vm := G.NewTapeMachine(g.Scope.Graph(), G.BindDualValues(g.ParamNodes()...))
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	check := func(what string, got []float64) {
		t.Helper()
		if err := golden.Compare(what, got, goldenTensor(t, gc, what).Data, goldenTol); err != nil {
			t.Error(err)
		}
	}
	check("logits", logits.Value().Data().([]float64))
	check("loss", []float64{g.Loss.Value().Data().(float64)})
	for _, p := range g.Params() {
		d, err := p.Node.Grad()
		if err != nil {
			t.Fatal(err)
		}
		check("grad."+p.Name, d.Data().([]float64))
	}
}

var float64Training = BuildOptions{Training: true, Dtype: tensor.Float64}

// buildGoldenClassifier builds spec, sets its parameters and inputs from the case and fills
// the targets as the experiment package does: 1/valid at each real row's label.
func buildGoldenClassifier(t *testing.T, spec Spec, gc golden.Case, c modelsGoldenConfig, input string) *Classifier {
	t.Helper()
	o := float64Training
	o.Batch = c.Batch
	m, err := BuildClassifier(spec, o)
	if err != nil {
		t.Fatal(err)
	}
	setGoldenParams(t, m.Graph, gc, c.StateDict)
	setInput(t, gc, m.Input, input)
	if m.Mask != nil {
		setInput(t, gc, m.Mask, "mask")
	}
	valid := c.Valid
	if valid == 0 {
		valid = c.Batch
	}
	graphs.FillTargets(m.Targets.Value().Data().([]float64), ints(goldenTensor(t, gc, "labels")), valid, spec.Classes)
	return m
}

// TestRecurrentClassifierGolden checks RecurrentSpec against PyTorch for both cells: over
// feature rows the LSTM is pytorch_reference.LSTMClassifier and the GRU the same with
// nn.GRU; over token ids the state after each sequence's last real token is h_n of
// pack_padded_sequence, and an empty row (a short last batch) has the zero state and no
// loss.
func TestRecurrentClassifierGolden(t *testing.T) {
	for _, tt := range []struct {
		name string
		cell Cell
	}{{"lstm_rows", LSTM}, {"lstm_tokens", LSTM}, {"gru_rows", GRU}, {"gru_tokens", GRU}} {
		t.Run(tt.name, func(t *testing.T) {
			gc, c := modelsGoldenCase(t, tt.name)
			cfg := RecurrentConfig{Cell: tt.cell, Steps: c.Steps, Features: c.Features, Vocab: c.Vocab, Embedding: c.Embedding,
				Hidden: c.Hidden, Layers: c.Layers, Classes: c.Classes}
			if err := cfg.Validate(); err != nil {
				t.Fatal(err)
			}
			input := "x"
			if c.Vocab > 0 {
				input = "ids"
			}
			spec := RecurrentSpec(cfg)
			if spec.Name != tt.cell.Name {
				t.Errorf("spec name %q, want %q", spec.Name, tt.cell.Name)
			}
			m := buildGoldenClassifier(t, spec, gc, c, input)
			runGolden(t, m.Graph, m.Logits, gc)
		})
	}
}

// TestLanguageModelGolden checks BuildLanguageModel against embedding → nn.LSTM → fc from a
// zero and from a given (h0, c0), the final state against (h_n, c_n), and with nn.GRU from a
// given h0, with the targets the character task writes: 1/(positions with a next token) at
// the next token.
func TestLanguageModelGolden(t *testing.T) {
	for _, tt := range []struct {
		name string
		cell Cell
	}{{"lm_zero_state", LSTM}, {"lm_carried_state", LSTM}, {"gru_lm_carried_state", GRU}} {
		t.Run(tt.name, func(t *testing.T) {
			gc, c := modelsGoldenCase(t, tt.name)
			cfg := RecurrentConfig{Cell: tt.cell, Steps: c.Steps, Vocab: c.Vocab, Embedding: c.Embedding, Hidden: c.Hidden,
				Layers: c.Layers, Classes: c.Vocab}
			o := float64Training
			o.Batch = c.Batch
			lm, err := BuildLanguageModel(cfg, o)
			if err != nil {
				t.Fatal(err)
			}
			setGoldenParams(t, lm.Graph, gc, c.StateDict)
			setInput(t, gc, lm.Input, "ids")
			next := ints(goldenTensor(t, gc, "targets"))
			var pos []int
			for p, id := range next {
				if id >= 0 {
					pos = append(pos, p)
				}
			}
			tgt := lm.Targets.Value().Data().([]float64)
			clear(tgt)
			for _, p := range pos {
				tgt[p*c.Vocab+next[p]] = 1 / float64(len(pos))
			}
			if n := len(lm.Scope.States()); n != c.Layers {
				t.Fatalf("%d carried states, want one per layer (%d)", n, c.Layers)
			}
			for _, st := range lm.Scope.States() {
				if init, ok := gc.Tensors["initial."+st.Name]; ok {
					copy(st.Initial64, init.Data) // (parts, B, H): h (then the LSTM's c)
				}
			}
			runGolden(t, lm.Graph, lm.Logits, gc)
			for _, st := range lm.Scope.States() {
				want := goldenTensor(t, gc, "final."+st.Name)
				if err := golden.Compare("final."+st.Name, st.Final64, want.Data, goldenTol); err != nil {
					t.Error(err)
				}
			}
		})
	}
}

// TestTransformerClassifierGolden checks TransformerSpec against
// pytorch_reference.TransformerClassifier without padding, and with padding against the same
// module given src_key_padding_mask and a mean over the real tokens (an empty row, a short
// last batch, gets the zero mean and no loss).
func TestTransformerClassifierGolden(t *testing.T) {
	for _, name := range []string{"tfenc_full", "tfenc_padded"} {
		t.Run(name, func(t *testing.T) {
			gc, c := modelsGoldenCase(t, name)
			cfg := TransformerConfig{SourceVocab: c.Vocab, SourceLen: c.Steps, Classes: c.Classes,
				Layer: graphs.LayerConfig{Dim: c.Dim, Heads: c.Heads, FF: c.FF}, EncoderLayers: c.Layers}
			if err := cfg.Validate(); err != nil {
				t.Fatal(err)
			}
			m := buildGoldenClassifier(t, TransformerSpec(cfg), gc, c, "ids")
			runGolden(t, m.Graph, m.Logits, gc)
		})
	}
}

// fillGoldenPairs writes pairs into a Seq2Seq graph as experiment's pairFiller.fill does
// (that package imports this one, so its filler cannot be called here): sources and their
// mask, decoder inputs <bos> y1 … yn, and the labels y1 … yn <eos> weighted 1/(target tokens
// in the batch); the graph's loss smooths them.
func fillGoldenPairs(m *Seq2Seq, c TransformerConfig, src, tgt [][]int) {
	s, t := c.SourceLen, c.TargetLen
	srcIDs, mask := m.Source.Value().Data().([]float64), m.SourceMask.Value().Data().([]float64)
	tgtIn := m.TargetIn.Value().Data().([]float64)
	labels, weights := m.Labels.Value().Data().([]float64), m.Weights.Value().Data().([]float64)
	for _, d := range [][]float64{srcIDs, mask, tgtIn, labels, weights} {
		clear(d)
	}
	tokens := 0
	for _, y := range tgt {
		tokens += min(len(y)+1, t)
	}
	w := 1 / float64(tokens)
	for r := range src {
		for k, id := range src[r] {
			srcIDs[r*s+k], mask[r*s+k] = float64(id), 1
		}
		tgtIn[r*t] = datasets.BosID
		for k := 0; k < min(len(tgt[r])+1, t); k++ {
			next := datasets.EosID
			if k < len(tgt[r]) {
				next = tgt[r][k]
				if k+1 < t {
					tgtIn[r*t+k+1] = float64(next)
				}
			}
			labels[r*t+k], weights[r*t+k] = float64(next), w
		}
	}
}

// TestSeq2SeqGolden checks BuildSeq2Seq against nn.Transformer with a causal target mask and
// the source padding as src_key_padding_mask and memory_key_padding_mask, the loss against
// F.cross_entropy over the real target tokens with and without label smoothing, and with one
// table for both embeddings and the output layer.
func TestSeq2SeqGolden(t *testing.T) {
	for _, name := range []string{"seq2seq", "seq2seq_smoothed", "seq2seq_shared"} {
		t.Run(name, func(t *testing.T) {
			gc, c := modelsGoldenCase(t, name)
			cfg := TransformerConfig{SourceVocab: c.SourceVocab, TargetVocab: c.TargetVocab, SourceLen: c.SourceLen,
				TargetLen: c.TargetLen, Layer: graphs.LayerConfig{Dim: c.Dim, Heads: c.Heads, FF: c.FF},
				EncoderLayers: c.EncoderLayers, DecoderLayers: c.DecoderLayers, ShareEmbeddings: c.SharedEmbeddings}
			if err := cfg.Validate(); err != nil {
				t.Fatal(err)
			}
			o := float64Training
			o.Batch, o.LabelSmoothing = c.Batch, c.LabelSmoothing
			m, err := BuildSeq2Seq(cfg, o)
			if err != nil {
				t.Fatal(err)
			}
			setGoldenParams(t, m.Graph, gc, c.StateDict)

			// The pairs as the task holds them: source ids without padding, target tokens
			// without <bos>/<eos>.
			srcAll, srcMask := ints(goldenTensor(t, gc, "source")), goldenTensor(t, gc, "source_mask").Data
			tgtAll, tgtLen := ints(goldenTensor(t, gc, "target")), ints(goldenTensor(t, gc, "target_len"))
			src, tgt := make([][]int, c.Batch), make([][]int, c.Batch)
			for r := range src {
				for k := 0; k < c.SourceLen && srcMask[r*c.SourceLen+k] == 1; k++ {
					src[r] = append(src[r], srcAll[r*c.SourceLen+k])
				}
				tgt[r] = tgtAll[r*(c.TargetLen-1):][:tgtLen[r]]
			}
			fillGoldenPairs(m, cfg, src, tgt)
			for _, in := range []struct {
				name string
				n    *G.Node
			}{{"source", m.Source}, {"source_mask", m.SourceMask}, {"target_in", m.TargetIn}} {
				if err := golden.Compare(in.name, in.n.Value().Data().([]float64), goldenTensor(t, gc, in.name).Data, 0); err != nil {
					t.Errorf("the filled inputs differ from PyTorch's: %v", err)
				}
			}
			runGolden(t, m.Graph, m.Logits, gc)
		})
	}
}
