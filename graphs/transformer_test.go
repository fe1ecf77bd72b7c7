package graphs

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/gorgonet/gorgonet/kernels"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// keyPaddingInput adds a (B, S) key mask input with lengths[b] real keys in row b.
func keyPaddingInput(s *Scope, name string, lengths ...int) *G.Node {
	width := slices.Max(lengths)
	m := s.Input(name, len(lengths), width)
	d := m.Value().Data()
	for b, n := range lengths {
		for j := 0; j < n; j++ {
			switch d := d.(type) {
			case []float32:
				d[b*width+j] = 1
			case []float64:
				d[b*width+j] = 1
			}
		}
	}
	return m
}

// TestTransformerGradients checks the symbolic gradients of the Transformer blocks w.r.t.
// their inputs and every parameter against finite differences.
func TestTransformerGradients(t *testing.T) {
	cfg := LayerConfig{Dim: 8, Heads: 2, FF: 12}
	pre := cfg
	pre.NormFirst = true
	gelu := cfg
	gelu.Activation = "gelu"
	drop := cfg
	drop.Dropout = 0.2
	dropGELU := gelu
	dropGELU.Dropout, dropGELU.NormFirst = 0.2, true
	tests := []struct {
		name  string
		build func(s *Scope, r *rand.Rand) (*G.Node, []*G.Node)
	}{
		{"layernorm", func(s *Scope, r *rand.Rand) (*G.Node, []*G.Node) {
			x := randomInput(s, "x", r, 2, 3, 5)
			y := LayerNorm(s.Sub("ln"), x, 1e-5)
			perturbParams(s, r)
			return y, []*G.Node{x}
		}},
		{"layernorm 2-D", func(s *Scope, r *rand.Rand) (*G.Node, []*G.Node) {
			x := randomInput(s, "x", r, 4, 6)
			y := LayerNorm(s.Sub("ln"), x, 1e-5)
			perturbParams(s, r)
			return y, []*G.Node{x}
		}},
		{"gelu", func(s *Scope, r *rand.Rand) (*G.Node, []*G.Node) {
			x := randomInput(s, "x", r, 3, 7)
			return GELU(x), []*G.Node{x}
		}},
		{"positional encoding", func(s *Scope, r *rand.Rand) (*G.Node, []*G.Node) {
			x := randomInput(s, "x", r, 2, 3, 5)
			return PositionalEncoding(x), []*G.Node{x}
		}},
		{"self-attention, key padding", func(s *Scope, r *rand.Rand) (*G.Node, []*G.Node) {
			x := randomInput(s, "x", r, 3, 4, 6)
			pad := keyPaddingInput(s, "pad", 4, 2, 0) // the last example has no key at all
			y := MultiHeadAttention(s.Sub("attn"), x, x, 3, AttentionOptions{KeyPadding: pad})
			perturbParams(s, r)
			return y, []*G.Node{x}
		}},
		{"self-attention, causal", func(s *Scope, r *rand.Rand) (*G.Node, []*G.Node) {
			x := randomInput(s, "x", r, 2, 5, 4)
			y := MultiHeadAttention(s.Sub("attn"), x, x, 2, AttentionOptions{Causal: true})
			perturbParams(s, r)
			return y, []*G.Node{x}
		}},
		{"self-attention, causal and padding", func(s *Scope, r *rand.Rand) (*G.Node, []*G.Node) {
			x := randomInput(s, "x", r, 2, 4, 4)
			pad := s.Input("pad", 2, 4)
			copy(pad.Value().Data().([]float64), []float64{0, 1, 1, 0, 1, 1, 1, 1}) // query 0 of example 0 sees nothing
			y := MultiHeadAttention(s.Sub("attn"), x, x, 2, AttentionOptions{KeyPadding: pad, Causal: true})
			perturbParams(s, r)
			return y, []*G.Node{x}
		}},
		{"cross-attention, key padding", func(s *Scope, r *rand.Rand) (*G.Node, []*G.Node) {
			q := randomInput(s, "q", r, 2, 3, 6)
			kv := randomInput(s, "kv", r, 2, 5, 6)
			pad := keyPaddingInput(s, "pad", 5, 3)
			y := MultiHeadAttention(s.Sub("attn"), q, kv, 2, AttentionOptions{KeyPadding: pad})
			perturbParams(s, r)
			return y, []*G.Node{q, kv}
		}},
		{"cross-attention, key padding and weight dropout", func(s *Scope, r *rand.Rand) (*G.Node, []*G.Node) {
			q := randomInput(s, "q", r, 2, 3, 4)
			kv := randomInput(s, "kv", r, 2, 4, 4)
			y := MultiHeadAttention(s.Sub("attn"), q, kv, 2, AttentionOptions{KeyPadding: keyPaddingInput(s, "pad", 4, 3), Dropout: 0.3})
			resampleMasks(s, 1)
			perturbParams(s, r)
			return y, []*G.Node{q, kv}
		}},
		{"self-attention, weight dropout", func(s *Scope, r *rand.Rand) (*G.Node, []*G.Node) {
			x := randomInput(s, "x", r, 2, 4, 4)
			y := MultiHeadAttention(s.Sub("attn"), x, x, 2, AttentionOptions{Causal: true, Dropout: 0.3})
			s.Masks()[0].Resample(rand.New(rand.NewPCG(1, 2)))
			perturbParams(s, r)
			return y, []*G.Node{x}
		}},
		{"encoder layer", func(s *Scope, r *rand.Rand) (*G.Node, []*G.Node) {
			x := randomInput(s, "x", r, 2, 3, 8)
			y := EncoderLayer(s.Sub("enc"), x, cfg, keyPaddingInput(s, "pad", 3, 2))
			perturbParams(s, r)
			return y, []*G.Node{x}
		}},
		{"encoder layer, pre-norm", func(s *Scope, r *rand.Rand) (*G.Node, []*G.Node) {
			x := randomInput(s, "x", r, 2, 3, 8)
			y := EncoderLayer(s.Sub("enc"), x, pre, keyPaddingInput(s, "pad", 3, 2))
			perturbParams(s, r)
			return y, []*G.Node{x}
		}},
		{"encoder layer, gelu", func(s *Scope, r *rand.Rand) (*G.Node, []*G.Node) {
			x := randomInput(s, "x", r, 2, 3, 8)
			y := EncoderLayer(s.Sub("enc"), x, gelu, nil)
			perturbParams(s, r)
			return y, []*G.Node{x}
		}},
		{"encoder layer, dropout", func(s *Scope, r *rand.Rand) (*G.Node, []*G.Node) {
			x := randomInput(s, "x", r, 2, 3, 8)
			y := EncoderLayer(s.Sub("enc"), x, drop, keyPaddingInput(s, "pad", 3, 2))
			resampleMasks(s, 4)
			perturbParams(s, r)
			return y, []*G.Node{x}
		}},
		{"decoder layer, pre-norm, gelu, dropout", func(s *Scope, r *rand.Rand) (*G.Node, []*G.Node) {
			x := randomInput(s, "x", r, 2, 3, 8)
			mem := randomInput(s, "memory", r, 2, 4, 8)
			y := DecoderLayer(s.Sub("dec"), x, mem, dropGELU, keyPaddingInput(s, "tgt_pad", 3, 2), nil)
			resampleMasks(s, 6)
			perturbParams(s, r)
			return y, []*G.Node{x, mem}
		}},
		{"decoder layer", func(s *Scope, r *rand.Rand) (*G.Node, []*G.Node) {
			x := randomInput(s, "x", r, 2, 3, 8)
			mem := randomInput(s, "memory", r, 2, 4, 8)
			y := DecoderLayer(s.Sub("dec"), x, mem, cfg, keyPaddingInput(s, "tgt_pad", 3, 2), keyPaddingInput(s, "mem_pad", 4, 3))
			perturbParams(s, r)
			return y, []*G.Node{x, mem}
		}},
		{"decoder layer, pre-norm", func(s *Scope, r *rand.Rand) (*G.Node, []*G.Node) {
			x := randomInput(s, "x", r, 2, 3, 8)
			mem := randomInput(s, "memory", r, 2, 4, 8)
			y := DecoderLayer(s.Sub("dec"), x, mem, pre, nil, keyPaddingInput(s, "mem_pad", 4, 3))
			perturbParams(s, r)
			return y, []*G.Node{x, mem}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewScope(tensor.Float64, 3, true)
			out, inputs := tt.build(s, rand.New(rand.NewPCG(5, 6)))
			gradCheck(t, s, out, append(inputs, paramNodes(s)...))
		})
	}
}

// resampleMasks draws every dropout mask of s, which must have n of them.
func resampleMasks(s *Scope, n int) {
	if len(s.Masks()) != n {
		panic(fmt.Sprintf("%d dropout masks, want %d", len(s.Masks()), n))
	}
	for _, m := range s.Masks() {
		m.Resample(rand.New(rand.NewPCG(1, 2)))
	}
}

// perturbParams moves every parameter off its initial value, so that LayerNorm weights
// (1) and biases (0) are checked away from their special values.
func perturbParams(s *Scope, r *rand.Rand) {
	for _, p := range s.Params() {
		for i, d := 0, p.Value.Data().([]float64); i < len(d); i++ {
			d[i] += 0.3 * r.NormFloat64()
		}
	}
}

// TestAttentionFullyMaskedRow: a query with no key to attend to gets a zero context (the
// output is out_proj's bias) and no gradient, never NaN.
func TestAttentionFullyMaskedRow(t *testing.T) {
	s := NewScope(tensor.Float64, 1, true)
	r := rand.New(rand.NewPCG(1, 2))
	x := randomInput(s, "x", r, 2, 3, 4)
	pad := keyPaddingInput(s, "pad", 3, 0)
	y := MultiHeadAttention(s.Sub("attn"), x, x, 2, AttentionOptions{KeyPadding: pad, Causal: true})
	perturbParams(s, r)
	loss, _ := weightedSum(s, y, r)
	runWithGrads(t, s, loss, append([]*G.Node{x}, paramNodes(s)...))
	out := values(y)
	bias := s.Params()[3].Value.Data().([]float64) // out_proj.bias
	for i, v := range out {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			t.Fatalf("out[%d] = %v", i, v)
		}
		if i >= 12 && v != bias[i%4] {
			t.Errorf("out[%d] of a fully masked query = %v, want out_proj.bias %v", i, v, bias[i%4])
		}
	}
	for _, n := range append([]*G.Node{x}, paramNodes(s)...) {
		for i, g := range gradOf(t, n) {
			if math.IsNaN(g) || math.IsInf(g, 0) {
				t.Fatalf("grad %s[%d] = %v", n.Name(), i, g)
			}
		}
	}
	for i, g := range gradOf(t, x)[12:] {
		if g != 0 {
			t.Errorf("grad x[%d] of a fully masked example = %v, want 0", 12+i, g)
		}
	}
}

// TestTransformerParamNames: an Encoder and a Decoder under "encoder" and "decoder" have
// exactly the parameters of nn.Transformer's state_dict, with its shapes.
func TestTransformerParamNames(t *testing.T) {
	s := NewScope(tensor.Float32, 1, true)
	c := LayerConfig{Dim: 8, Heads: 2, FF: 16, Dropout: 0.1}
	src, tgt := s.Input("src", 2, 5, 8), s.Input("tgt", 2, 4, 8)
	mem := Encoder(s.Sub("encoder"), src, 2, c, nil, true)
	out := Decoder(s.Sub("decoder"), tgt, mem, 2, c, nil, nil, true)
	if !out.Shape().Eq(tensor.Shape{2, 4, 8}) {
		t.Errorf("output shape %v, want (2, 4, 8)", out.Shape())
	}
	want := map[string][]int{}
	layer := func(prefix string, attns ...string) {
		for _, a := range attns {
			want[prefix+a+".in_proj_weight"] = []int{24, 8}
			want[prefix+a+".in_proj_bias"] = []int{24}
			want[prefix+a+".out_proj.weight"] = []int{8, 8}
			want[prefix+a+".out_proj.bias"] = []int{8}
		}
		want[prefix+"linear1.weight"] = []int{16, 8}
		want[prefix+"linear1.bias"] = []int{16}
		want[prefix+"linear2.weight"] = []int{8, 16}
		want[prefix+"linear2.bias"] = []int{8}
		for i := 1; i <= len(attns)+1; i++ {
			want[prefix+"norm"+string(rune('0'+i))+".weight"] = []int{8}
			want[prefix+"norm"+string(rune('0'+i))+".bias"] = []int{8}
		}
	}
	for i := 0; i < 2; i++ {
		layer("encoder.layers."+string(rune('0'+i))+".", "self_attn")
		layer("decoder.layers."+string(rune('0'+i))+".", "self_attn", "multihead_attn")
	}
	for _, m := range []string{"encoder.norm.", "decoder.norm."} {
		want[m+"weight"], want[m+"bias"] = []int{8}, []int{8}
	}
	got := map[string][]int{}
	for _, p := range s.Params() {
		got[p.Name] = p.Shape
		if w, ok := want[p.Name]; !ok || !slices.Equal(w, p.Shape) {
			t.Errorf("param %s %v: want %v", p.Name, p.Shape, w)
		}
	}
	for name := range want {
		if _, ok := got[name]; !ok {
			t.Errorf("missing param %s", name)
		}
	}
	// Dropout after attention, in and after the feed-forward, and on attention weights.
	if n, want := len(s.Masks()), 2*(3+1)+2*(4+2); n != want {
		t.Errorf("%d dropout masks, want %d", n, want)
	}
}

func TestTransformerInitialisation(t *testing.T) {
	s := NewScope(tensor.Float64, 1, false)
	EncoderLayer(s.Sub("l"), s.Input("x", 1, 2, 64), LayerConfig{Dim: 64, Heads: 4, FF: 256}, nil)
	for _, p := range s.Params() {
		d := p.Value.Data().([]float64)
		lo, hi := slices.Min(d), slices.Max(d)
		var want float64 // the bound of a uniform initialisation, or the constant
		switch {
		case strings.HasSuffix(p.Name, "in_proj_weight"):
			want = math.Sqrt(6.0 / (64 + 192))
		case strings.HasSuffix(p.Name, "linear2.weight"):
			want = 1 / math.Sqrt(256)
		case strings.HasSuffix(p.Name, ".weight") && strings.Contains(p.Name, "norm"):
			if lo != 1 || hi != 1 {
				t.Errorf("%s in [%v, %v], want 1", p.Name, lo, hi)
			}
			continue
		case strings.Contains(p.Name, "proj_bias"), strings.Contains(p.Name, "out_proj.bias"), strings.Contains(p.Name, "norm"):
			if lo != 0 || hi != 0 {
				t.Errorf("%s in [%v, %v], want 0", p.Name, lo, hi)
			}
			continue
		default: // linear1.*, linear2.bias, out_proj.weight: nn.Linear's U(±1/√fan_in)
			want = 1 / math.Sqrt(64)
			if p.Name == "l.linear2.bias" {
				want = 1 / math.Sqrt(256)
			}
		}
		if lo < -want || hi > want || hi-lo < want {
			t.Errorf("%s in [%v, %v], want U(±%v)", p.Name, lo, hi, want)
		}
	}
}

func TestTransformerMisusePanics(t *testing.T) {
	c := LayerConfig{Dim: 8, Heads: 2, FF: 16}
	tests := []struct {
		name, want string
		build      func(s *Scope)
	}{
		{"heads do not divide d", "not divisible", func(s *Scope) {
			x := s.Input("x", 2, 3, 6)
			MultiHeadAttention(s.Sub("attn"), x, x, 4, AttentionOptions{})
		}},
		{"attention on 2-D", "(B, T, d)", func(s *Scope) {
			x := s.Input("x", 2, 6)
			MultiHeadAttention(s.Sub("attn"), x, x, 2, AttentionOptions{})
		}},
		{"causal cross-attention", "causal", func(s *Scope) {
			MultiHeadAttention(s.Sub("attn"), s.Input("q", 2, 3, 4), s.Input("kv", 2, 5, 4), 2, AttentionOptions{Causal: true})
		}},
		{"padding shape", "padding mask", func(s *Scope) {
			x := s.Input("x", 2, 3, 4)
			MultiHeadAttention(s.Sub("attn"), x, x, 2, AttentionOptions{KeyPadding: s.Input("pad", 2, 4)})
		}},
		{"encoder dim", "(B, T, 8)", func(s *Scope) { EncoderLayer(s.Sub("enc"), s.Input("x", 2, 3, 6), c, nil) }},
		{"bad activation", "activation", func(s *Scope) {
			bad := c
			bad.Activation = "tanh"
			Encoder(s.Sub("enc"), s.Input("x", 2, 3, 8), 1, bad, nil, false)
		}},
		{"decoder memory batch", "memory batch", func(s *Scope) {
			Decoder(s.Sub("dec"), s.Input("x", 2, 3, 8), s.Input("m", 3, 3, 8), 1, c, nil, nil, false)
		}},
		{"layernorm on a vector", "rank", func(s *Scope) { LayerNorm(s.Sub("ln"), s.Input("x", 4), 1e-5) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				msg, _ := recover().(string)
				if !strings.Contains(msg, tt.want) || !strings.Contains(msg, "graphs: ") {
					t.Errorf("panic %q, want one mentioning %q", msg, tt.want)
				}
				if !strings.Contains(msg, "attn") && !strings.Contains(msg, "enc") && !strings.Contains(msg, "dec") && !strings.Contains(msg, "ln") {
					t.Errorf("panic %q does not name the scope", msg)
				}
			}()
			tt.build(NewScope(tensor.Float32, 1, false))
		})
	}
}

// benchmarkStep times forward and backward of build's output summed, in float32 at the
// size of the tfenc benchmark: B 32, T 32, d 64, 4 heads, ff 256.
func benchmarkStep(b *testing.B, dropout float64, build func(s *Scope, x *G.Node, c LayerConfig) *G.Node) {
	s := NewScope(tensor.Float32, 1, true)
	x := s.Input("x", 32, 32, 64)
	r := rand.New(rand.NewPCG(1, 2))
	for i, d := 0, x.Value().Data().([]float32); i < len(d); i++ {
		d[i] = float32(r.NormFloat64())
	}
	c := LayerConfig{Dim: 64, Heads: 4, FF: 256, Dropout: dropout}
	loss := must(G.Sum(build(s, x, c)))
	wrt := append([]*G.Node{x}, paramNodes(s)...)
	if _, err := G.Grad(loss, wrt...); err != nil {
		b.Fatal(err)
	}
	vm := G.NewTapeMachine(s.Graph(), G.BindDualValues(wrt...))
	defer vm.Close()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, m := range s.Masks() {
			m.Resample(r)
		}
		vm.Reset()
		if err := vm.RunAll(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAttention(b *testing.B) {
	for _, p := range []float64{0, 0.1} {
		b.Run(fmt.Sprintf("dropout=%v", p), func(b *testing.B) {
			benchmarkStep(b, p, func(s *Scope, x *G.Node, c LayerConfig) *G.Node {
				return MultiHeadAttention(s.Sub("attn"), x, x, c.Heads, AttentionOptions{Dropout: c.Dropout})
			})
		})
	}
}

// BenchmarkDecoderLayer is one layer of the 2+2 encoder-decoder, its memory as long as its
// target.
func BenchmarkDecoderLayer(b *testing.B) {
	benchmarkStep(b, 0, func(s *Scope, x *G.Node, c LayerConfig) *G.Node {
		return DecoderLayer(s.Sub("dec"), x, s.Input("memory", x.Shape().Clone()...), c, nil, nil)
	})
}

func BenchmarkEncoderLayer(b *testing.B) {
	for _, p := range []float64{0, 0.1} {
		b.Run(fmt.Sprintf("dropout=%v", p), func(b *testing.B) {
			benchmarkStep(b, p, func(s *Scope, x *G.Node, c LayerConfig) *G.Node {
				return EncoderLayer(s.Sub("enc"), x, c, nil)
			})
		})
	}
}

func TestExpNonPositive32(t *testing.T) {
	worst := 0.0
	for i := 0; i <= 200000; i++ {
		x := -87.3 * float64(i) / 200000
		want := math.Exp(float64(float32(x)))
		got := float64(kernels.ExpNonPositive32(float32(x)))
		worst = max(worst, math.Abs(got-want)/want)
	}
	if worst > 2.5e-7 {
		t.Errorf("worst relative error %.3g, want ≤ 2.5e-7 (2 ulp)", worst)
	}
	for _, x := range []float32{-88, -1000, float32(math.Inf(-1))} {
		if got := kernels.ExpNonPositive32(x); got != 0 {
			t.Errorf("exp(%v) = %v, want 0", x, got)
		}
	}
	if got := kernels.ExpNonPositive32(float32(math.NaN())); got == got {
		t.Errorf("exp(NaN) = %v, want NaN", got)
	}
}

// TestTransformerFloat32 runs an encoder and a decoder layer with dropout in float32 and
// float64 on the same values: the float32 kernels (own exp, BLAS) agree to float32 precision.
func TestTransformerFloat32(t *testing.T) {
	c := LayerConfig{Dim: 16, Heads: 4, FF: 24, Dropout: 0.2, Activation: "gelu"}
	run := func(dt tensor.Dtype) (out []float64, grads [][]float64) {
		s := NewScope(dt, 9, true)
		r := rand.New(rand.NewPCG(3, 3))
		x, mem := s.Input("x", 3, 5, 16), s.Input("memory", 3, 6, 16)
		for _, n := range []*G.Node{x, mem} {
			fill(n.Value().(*tensor.Dense), r.NormFloat64)
		}
		h := EncoderLayer(s.Sub("enc"), mem, c, keyPaddingInput(s, "mem_pad", 6, 4, 1))
		y := DecoderLayer(s.Sub("dec"), x, h, c, keyPaddingInput(s, "tgt_pad", 5, 5, 2), keyPaddingInput(s, "mem_pad2", 6, 4, 1))
		for _, m := range s.Masks() {
			m.Resample(rand.New(rand.NewPCG(4, 4)))
		}
		loss := must(G.Sum(y))
		wrt := append([]*G.Node{x, mem}, paramNodes(s)...)
		runWithGrads(t, s, loss, wrt)
		out = asFloat64(y.Value().Data())
		for _, n := range wrt {
			g, err := n.Grad()
			if err != nil {
				t.Fatal(err)
			}
			grads = append(grads, asFloat64(g.Data()))
		}
		return out, grads
	}
	out32, grads32 := run(tensor.Float32)
	out64, grads64 := run(tensor.Float64)
	assertClose(t, "out", out32, out64, 1e-4)
	for i := range grads64 {
		assertClose(t, fmt.Sprintf("grad %d", i), grads32[i], grads64[i], 1e-3)
	}
}
