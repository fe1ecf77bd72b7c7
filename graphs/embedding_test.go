package graphs

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// idsInput adds a (B, T) input of token ids.
func idsInput(s *Scope, batch int, ids ...float64) *G.Node {
	n := s.Input("ids", batch, len(ids)/batch)
	copy(n.Value().Data().([]float64), ids)
	return n
}

// TestGoldenEmbedding checks the lookup and the scatter-add of the weight gradient against
// nn.Embedding (testdata/gen_lstm_golden.py).
func TestGoldenEmbedding(t *testing.T) {
	c := loadGolden(t, "testdata/lstm_golden.json")["embedding"]
	s := NewScope(tensor.Float64, 1, true)
	ids := s.Input("ids", c.Tensors["ids"].Shape...)
	setValue(t, ids, c.Tensors["ids"])
	out := Embedding(s.Sub("emb"), ids, int(c.Args["vocab"]), int(c.Args["dim"]))
	w := s.Params()[0]
	if w.Name != "emb.weight" {
		t.Errorf("parameter %q, want emb.weight", w.Name)
	}
	setValue(t, w.Node, c.Tensors["weight"])
	u := s.Input("upstream", out.Shape().Clone()...)
	setValue(t, u, c.Tensors["upstream"])
	runWithGrads(t, s, must(G.Sum(must(G.HadamardProd(out, u)))), []*G.Node{w.Node})
	assertClose(t, "out", values(out), c.Tensors["out"].Data, 1e-9)
	assertClose(t, "grad.weight", gradOf(t, w.Node), c.Tensors["grad.weight"].Data, 1e-9)
}

func TestEmbeddingGradient(t *testing.T) {
	s := NewScope(tensor.Float64, 1, true)
	ids := idsInput(s, 2, 0, 4, 4, 2, 4, 0) // repeated ids add up
	out := Embedding(s.Sub("emb"), ids, 5, 3)
	gradCheck(t, s, out, paramNodes(s))
}

// TestTiedEmbeddingGradient: one table looked up twice and read back as an output layer
// (shared embeddings) gets the sum of the three gradients; checked by finite differences.
func TestTiedEmbeddingGradient(t *testing.T) {
	s := NewScope(tensor.Float64, 1, true)
	w := EmbeddingWeight(s.Sub("emb"), 5, 3, 1)
	a := EmbeddingOf(idsInput(s, 2, 0, 4, 4, 2), w)
	bIDs := s.Input("ids_b", 2, 2)
	copy(bIDs.Value().Data().([]float64), []float64{1, 4, 0, 0})
	b := EmbeddingOf(bIDs, w)
	h := Reshape(must(G.Add(a, b)), tensor.Shape{4, 3})
	out := TiedLinear(s.Sub("out"), h, w) // (4, 5)
	if got := len(s.Params()); got != 2 {
		t.Fatalf("%d parameters, want the table and the output bias", got)
	}
	gradCheck(t, s, out, paramNodes(s))
}

// TestEmbeddingBadID: an id outside the vocabulary fails the run with an error that names
// it and its position, for either element type, instead of panicking or reading another row.
func TestEmbeddingBadID(t *testing.T) {
	for _, bad := range []float64{5, -1, 1.5, math.NaN(), 1e9} {
		for _, dt := range []tensor.Dtype{tensor.Float32, tensor.Float64} {
			s := NewScope(dt, 1, false)
			ids := s.Input("ids", 2, 2)
			var want string
			switch d := ids.Value().Data().(type) {
			case []float32:
				d[3] = float32(bad)
				want = fmt.Sprintf("token id %v at (1, 1)", d[3])
			case []float64:
				d[3] = bad
				want = fmt.Sprintf("token id %v at (1, 1)", d[3])
			}
			Embedding(s.Sub("emb"), ids, 5, 3)
			vm := G.NewTapeMachine(s.Graph())
			err := vm.RunAll()
			vm.Close()
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("%v id %v: got error %v, want one containing %q", dt, bad, err, want)
			}
		}
	}
}

func TestEmbeddingInitAndShape(t *testing.T) {
	s := NewScope(tensor.Float32, 1, false)
	out := Embedding(s.Sub("tok"), s.Input("ids", 4, 7), 1000, 16)
	if want := (tensor.Shape{4, 7, 16}); !out.Shape().Eq(want) {
		t.Errorf("output shape %v, want %v", out.Shape(), want)
	}
	p := s.Params()[0]
	if p.Name != "tok.weight" || !tensor.Shape(p.Shape).Eq(tensor.Shape{1000, 16}) {
		t.Errorf("param %s %v, want tok.weight (1000, 16)", p.Name, p.Shape)
	}
	var sum, sq float64
	d := p.Value.Data().([]float32)
	for _, v := range d {
		sum += float64(v)
		sq += float64(v) * float64(v)
	}
	mean, std := sum/float64(len(d)), math.Sqrt(sq/float64(len(d)))
	if math.Abs(mean) > 0.05 || math.Abs(std-1) > 0.05 {
		t.Errorf("weight mean %.3f std %.3f, want N(0, 1)", mean, std)
	}
}

func TestEmbeddingFloat32(t *testing.T) {
	s := NewScope(tensor.Float32, 1, true)
	ids := s.Input("ids", 2, 3)
	copy(ids.Value().Data().([]float32), []float32{3, 1, 3, 0, 2, 3})
	out := Embedding(s.Sub("emb"), ids, 4, 2)
	w := s.Params()[0].Node
	runWithGrads(t, s, must(G.Sum(out)), []*G.Node{w})
	wv, ov := w.Value().Data().([]float32), out.Value().Data().([]float32)
	if ov[2] != wv[2] || ov[3] != wv[3] || ov[10] != wv[6] {
		t.Errorf("rows not copied: out %v, weight %v", ov, wv)
	}
	g, _ := w.Grad()
	if want := []float32{1, 1, 1, 1, 1, 1, 3, 3}; !slices.Equal(g.Data().([]float32), want) {
		t.Errorf("grad %v, want %v", g.Data(), want)
	}
}

func TestEmbeddingMisusePanics(t *testing.T) {
	s := NewScope(tensor.Float64, 1, true)
	defer func() {
		if r := recover(); r == nil {
			t.Errorf("3-D ids did not panic")
		}
	}()
	Embedding(s.Sub("emb"), s.Input("ids", 2, 3, 1), 5, 3)
}
