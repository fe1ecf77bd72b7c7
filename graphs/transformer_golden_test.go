package graphs

import (
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gorgonet/gorgonet/internal/golden"
)

// TestGoldenTransformer checks the Transformer blocks' outputs and the gradients of
// Σ out⊙U w.r.t. their inputs and every parameter against PyTorch
// (testdata/gen_transformer_golden.py). The parameters of the case, named by PyTorch's
// state_dict, must be exactly the layer's.
func TestGoldenTransformer(t *testing.T) {
	cases := loadGolden(t, "testdata/transformer_golden.json")
	for _, name := range []string{"layernorm", "gelu", "positional", "mha_self_padding", "mha_causal", "mha_cross_padding",
		"encoder_layer", "encoder_layer_prenorm", "encoder_layer_gelu", "decoder_layer", "decoder_layer_prenorm", "transformer"} {
		t.Run(name, func(t *testing.T) {
			c, ok := cases[name]
			if !ok {
				t.Fatalf("no golden case %q", name)
			}
			s := NewScope(tensor.Float64, 1, true)
			inputs := map[string]*G.Node{}
			input := func(k string) *G.Node {
				f, ok := c.Tensors[k]
				if !ok {
					t.Fatalf("case has no tensor %q", k)
				}
				n := s.Input(k, f.Shape...)
				setValue(t, n, f)
				if _, isGrad := c.Tensors["grad."+k]; isGrad {
					inputs[k] = n
				}
				return n
			}
			out := goldenTransformer(t, s.Sub("m"), c, input)
			used := map[string]bool{"upstream": true, "out": true}
			for k := range inputs {
				used[k] = true
			}
			for k := range c.Tensors {
				if strings.Contains(k, "pad") {
					used[k] = true
				}
			}
			for _, p := range s.Params() {
				short := strings.TrimPrefix(p.Name, "m.")
				f, ok := c.Tensors[short]
				if !ok {
					t.Fatalf("parameter %s is not in PyTorch's state_dict", short)
				}
				setValue(t, p.Node, f)
				used[short] = true
			}
			for k := range c.Tensors {
				if !strings.HasPrefix(k, "grad.") && !used[k] {
					t.Errorf("PyTorch parameter %s has no counterpart", k)
				}
			}
			u := s.Input("upstream", out.Shape().Clone()...)
			setValue(t, u, c.Tensors["upstream"])
			loss := must(G.Sum(must(G.HadamardProd(out, u))))
			wrt := paramNodes(s)
			for _, n := range inputs {
				wrt = append(wrt, n)
			}
			runWithGrads(t, s, loss, wrt)
			assertClose(t, "out", values(out), c.Tensors["out"].Data, 1e-9)
			for k, n := range inputs {
				assertClose(t, "grad."+k, gradOf(t, n), c.Tensors["grad."+k].Data, 1e-9)
			}
			for _, p := range s.Params() {
				short := strings.TrimPrefix(p.Name, "m.")
				assertClose(t, "grad."+short, gradOf(t, p.Node), c.Tensors["grad."+short].Data, 1e-9)
			}
		})
	}
}

// goldenTransformer builds the layer of a golden case under s, reading its inputs with input.
func goldenTransformer(t *testing.T, s *Scope, c golden.Case, input func(string) *G.Node) *G.Node {
	t.Helper()
	a := func(k string) int { return int(c.Args[k]) }
	cfg := LayerConfig{Dim: a("dim"), Heads: a("heads"), FF: a("ff"), NormFirst: a("norm_first") == 1}
	if a("gelu") == 1 {
		cfg.Activation = "gelu"
	}
	switch c.Layer {
	case "layernorm":
		return LayerNorm(s, input("x"), c.Args["eps"])
	case "gelu":
		return GELU(input("x"))
	case "positional":
		return PositionalEncoding(input("x"))
	case "mha":
		o := AttentionOptions{KeyPadding: input("pad"), Causal: a("causal") == 1}
		if _, cross := c.Tensors["q"]; cross {
			return MultiHeadAttention(s, input("q"), input("kv"), a("heads"), o)
		}
		x := input("x")
		return MultiHeadAttention(s, x, x, a("heads"), o)
	case "encoder_layer":
		return EncoderLayer(s, input("x"), cfg, input("pad"))
	case "decoder_layer":
		return DecoderLayer(s, input("x"), input("memory"), cfg, input("tgt_pad"), input("mem_pad"))
	case "transformer":
		srcPad := input("src_pad")
		memory := Encoder(s.Sub("encoder"), input("src"), a("layers"), cfg, srcPad, true)
		return Decoder(s.Sub("decoder"), input("tgt"), memory, a("layers"), cfg, input("tgt_pad"), srcPad, true)
	}
	t.Fatalf("unknown layer %q", c.Layer)
	return nil
}
