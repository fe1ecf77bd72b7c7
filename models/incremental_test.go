package models

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	G "gorgonia.org/gorgonia"

	"github.com/gorgonet/gorgonet/graphs"
)

// smallConfig is a model small enough to decode with the graph in every test.
func smallConfig(layer graphs.LayerConfig) TransformerConfig {
	layer.Dim, layer.Heads, layer.FF = 16, 2, 32
	return TransformerConfig{SourceVocab: 11, TargetVocab: 13, SourceLen: 6, TargetLen: 7, EncoderLayers: 2, DecoderLayers: 2, Layer: layer}
}

var layerVariants = []struct {
	name   string
	layer  graphs.LayerConfig
	shared bool // one vocabulary, embeddings tied to the output layer
}{
	{"post-norm relu", graphs.LayerConfig{}, false},
	{"pre-norm gelu", graphs.LayerConfig{NormFirst: true, Activation: "gelu", Eps: 1e-6}, false},
	{"shared embeddings", graphs.LayerConfig{}, true},
}

// variantConfig is smallConfig of the variant's layer, with one 13-token vocabulary if it
// shares its embeddings.
func variantConfig(layer graphs.LayerConfig, shared bool) TransformerConfig {
	c := smallConfig(layer)
	if shared {
		c.SourceVocab, c.ShareEmbeddings = c.TargetVocab, true
	}
	return c
}

// randomModel returns the parameters of a Seq2Seq of c with every value perturbed, so that
// LayerNorm weights and the zero-initialised biases matter too. eosBias is added to the
// <eos> logit so that outputs end at different lengths.
func randomModel(t testing.TB, c TransformerConfig, seed uint64, eosBias float32) []*graphs.Param {
	t.Helper()
	m, err := BuildSeq2Seq(c, BuildOptions{Batch: 1, Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(seed, 1))
	for _, p := range m.Params() {
		data := p.Value.Data().([]float32)
		for i := range data {
			data[i] += float32(0.2 * r.NormFloat64())
		}
		if p.Name == "out.bias" {
			data[eosID] += eosBias
		}
	}
	return m.Params()
}

func randomSources(r *rand.Rand, n, maxLen, vocab int) [][]int {
	srcs := make([][]int, n)
	for i := range srcs {
		srcs[i] = make([]int, 1+r.IntN(maxLen))
		for j := range srcs[i] {
			srcs[i][j] = 4 + r.IntN(vocab-4)
		}
	}
	return srcs
}

// graphDecoder runs a decoderGraph of c on batch full target rows.
type graphDecoder struct {
	c   TransformerConfig
	dec *decoderGraph
	vm  G.VM
}

func newGraphDecoder(t testing.TB, c TransformerConfig, params []*graphs.Param, batch int) *graphDecoder {
	t.Helper()
	dec, err := buildDecoder(c, BuildOptions{Batch: batch, Shared: params})
	if err != nil {
		t.Fatal(err)
	}
	g := &graphDecoder{c: c, dec: dec, vm: G.NewTapeMachine(dec.Scope.Graph())}
	t.Cleanup(func() { g.vm.Close() })
	return g
}

// run returns the logits (B·T, V) of target rows tgt (B, T) on memory (B, S, d) and mask (B, S).
func (g *graphDecoder) run(t testing.TB, memory, mask []float32, tgt [][]int) []float32 {
	t.Helper()
	copy(g.dec.Memory.Value().Data().([]float32), memory)
	copy(g.dec.SourceMask.Value().Data().([]float32), mask)
	in := g.dec.TargetIn.Value().Data().([]float32)
	clear(in)
	for b, row := range tgt {
		for j, id := range row {
			in[b*g.c.TargetLen+j] = float32(id)
		}
	}
	g.vm.Reset()
	if err := g.vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	return slices.Clone(g.dec.Logits.Value().Data().([]float32))
}

// encodeWithGraph returns the encoder memories (n, S, d) and masks (n, S) of srcs.
func encodeWithGraph(t testing.TB, c TransformerConfig, params []*graphs.Param, srcs [][]int) (memory, mask []float32) {
	t.Helper()
	enc, err := BuildEncoder(c, BuildOptions{Batch: len(srcs), Shared: params})
	if err != nil {
		t.Fatal(err)
	}
	vm := G.NewTapeMachine(enc.Scope.Graph())
	defer vm.Close()
	ids, m := enc.Source.Value().Data().([]float32), enc.SourceMask.Value().Data().([]float32)
	for i, src := range srcs {
		for j, id := range src {
			ids[i*c.SourceLen+j], m[i*c.SourceLen+j] = float32(id), 1
		}
	}
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	return slices.Clone(enc.Memory.Value().Data().([]float32)), slices.Clone(m)
}

// randomMemory is n random memories (n, S, d) with masks of random lengths 1…S.
func randomMemory(r *rand.Rand, c TransformerConfig, n int) (memory, mask []float32) {
	s, d := c.SourceLen, c.Layer.Dim
	memory, mask = make([]float32, n*s*d), make([]float32, n*s)
	for i := range memory {
		memory[i] = float32(r.NormFloat64())
	}
	for i := 0; i < n; i++ {
		for j := 0; j < 1+r.IntN(s); j++ {
			mask[i*s+j] = 1
		}
	}
	mask[0], mask[s-1] = 1, 0 // one memory has padding for sure
	return memory, mask
}

// closeLogits reports the first logit of got that differs from want by more than 1e-4·(1 + |want|).
func closeLogits(got, want []float32) error {
	for i, w := range want {
		if d := math.Abs(float64(got[i] - w)); !(d <= 1e-4*(1+math.Abs(float64(w)))) {
			return fmt.Errorf("logit %d: got %v, want %v", i, got[i], w)
		}
	}
	return nil
}

// TestIncrementalDecoderMatchesGraph feeds random prefixes one token at a time and compares
// each position's logits with the decoder graph's on the whole sequence.
func TestIncrementalDecoderMatchesGraph(t *testing.T) {
	for _, v := range layerVariants {
		t.Run(v.name, func(t *testing.T) {
			c := variantConfig(v.layer, v.shared)
			params := randomModel(t, c, 21, 2)
			r := rand.New(rand.NewPCG(4, 5))
			const batch = 3
			memory, mask := randomMemory(r, c, batch)
			tgt := make([][]int, batch)
			for b := range tgt {
				for range c.TargetLen {
					tgt[b] = append(tgt[b], r.IntN(c.TargetVocab))
				}
			}
			want := newGraphDecoder(t, c, params, batch).run(t, memory, mask, tgt)

			dec, err := NewIncrementalDecoder(c, params, batch+1)
			if err != nil {
				t.Fatal(err)
			}
			if err := dec.Start(memory, mask, []int{0, 1, 2}); err != nil {
				t.Fatal(err)
			}
			v := c.TargetVocab
			logits := make([]float32, batch*v)
			for pos := 0; pos < c.TargetLen; pos++ {
				tokens := []int{tgt[0][pos], tgt[1][pos], tgt[2][pos]}
				if err := dec.Step(tokens, logits); err != nil {
					t.Fatal(err)
				}
				for b := range batch {
					row := (b*c.TargetLen + pos) * v
					if err := closeLogits(logits[b*v:][:v], want[row:][:v]); err != nil {
						t.Fatalf("row %d position %d: %v", b, pos, err)
					}
				}
			}
			if err := dec.Step([]int{1, 1, 1}, logits); err == nil {
				t.Errorf("step %d of %d positions: got no error", c.TargetLen+1, c.TargetLen)
			}
		})
	}
}

// TestIncrementalDecoderReorder decodes four rows over two memories, then makes three rows
// continue rows 2, 0 and 0 and checks the logits against the graph on the spliced sequences.
func TestIncrementalDecoderReorder(t *testing.T) {
	c := smallConfig(graphs.LayerConfig{})
	params := randomModel(t, c, 21, 2)
	r := rand.New(rand.NewPCG(7, 8))
	memory, mask := randomMemory(r, c, 2)
	source := []int{0, 0, 1, 1}
	from := []int{2, 0, 0}
	const split = 3 // positions before the reorder
	v := c.TargetVocab
	randomRows := func(n int) [][]int {
		rows := make([][]int, n)
		for i := range rows {
			for range c.TargetLen {
				rows[i] = append(rows[i], r.IntN(v))
			}
		}
		return rows
	}
	before, after := randomRows(len(source)), randomRows(len(from))
	for i, f := range from {
		copy(after[i][:split], before[f][:split])
	}
	rowMemory := func(sources []int) (mem, msk []float32) {
		s, d := c.SourceLen, c.Layer.Dim
		for _, m := range sources {
			mem = append(mem, memory[m*s*d:(m+1)*s*d]...)
			msk = append(msk, mask[m*s:(m+1)*s]...)
		}
		return mem, msk
	}
	mem, msk := rowMemory(source)
	wantBefore := newGraphDecoder(t, c, params, len(source)).run(t, mem, msk, before)
	afterSources := []int{source[from[0]], source[from[1]], source[from[2]]}
	mem, msk = rowMemory(afterSources)
	wantAfter := newGraphDecoder(t, c, params, len(from)).run(t, mem, msk, after)

	dec, err := NewIncrementalDecoder(c, params, len(source))
	if err != nil {
		t.Fatal(err)
	}
	if err := dec.Start(memory, mask, source); err != nil {
		t.Fatal(err)
	}
	for pos := 0; pos < c.TargetLen; pos++ {
		rows, want := before, wantBefore
		if pos == split {
			if err := dec.Reorder(from); err != nil {
				t.Fatal(err)
			}
			if dec.Rows() != len(from) || dec.Position() != split {
				t.Fatalf("after Reorder: Rows() = %d, Position() = %d; want %d, %d", dec.Rows(), dec.Position(), len(from), split)
			}
		}
		if pos >= split {
			rows, want = after, wantAfter
		}
		tokens := make([]int, len(rows))
		for i := range rows {
			tokens[i] = rows[i][pos]
		}
		logits := make([]float32, len(rows)*v)
		if err := dec.Step(tokens, logits); err != nil {
			t.Fatal(err)
		}
		for i := range rows {
			at := (i*c.TargetLen + pos) * v
			if err := closeLogits(logits[i*v:][:v], want[at:][:v]); err != nil {
				t.Fatalf("row %d position %d: %v", i, pos, err)
			}
		}
	}
}

func TestIncrementalDecoderErrors(t *testing.T) {
	c := smallConfig(graphs.LayerConfig{})
	params := randomModel(t, c, 21, 2)
	without := func(name string) []*graphs.Param {
		var ps []*graphs.Param
		for _, p := range params {
			if p.Name != name {
				ps = append(ps, p)
			}
		}
		return ps
	}
	reshaped := func(name string, shape ...int) []*graphs.Param {
		ps := slices.Clone(params)
		for i, p := range ps {
			if p.Name == name {
				q := *p
				q.Shape = shape
				ps[i] = &q
			}
		}
		return ps
	}
	bigger := c
	bigger.DecoderLayers = 3
	tests := []struct {
		name   string
		c      TransformerConfig
		params []*graphs.Param
	}{
		{"missing out.bias", c, without("out.bias")},
		{"missing norm3", c, without("tf.decoder.layers.1.norm3.weight")},
		{"missing final norm", c, without("tf.decoder.norm.bias")},
		{"transposed linear1", c, reshaped("tf.decoder.layers.0.linear1.weight", 16, 32)},
		{"short in_proj_bias", c, reshaped("tf.decoder.layers.0.multihead_attn.in_proj_bias", 16)},
		{"more layers than params", bigger, params},
	}
	for _, tt := range tests {
		if _, err := NewIncrementalDecoder(tt.c, tt.params, 2); err == nil {
			t.Errorf("%s: got no error", tt.name)
		}
	}

	dec, err := NewIncrementalDecoder(c, params, 2)
	if err != nil {
		t.Fatal(err)
	}
	memory, mask := randomMemory(rand.New(rand.NewPCG(1, 1)), c, 2)
	v := c.TargetVocab
	calls := []struct {
		name string
		call func() error
	}{
		{"Start with 3 memories for 2 rows", func() error {
			m, k := randomMemory(rand.New(rand.NewPCG(1, 1)), c, 3)
			return dec.Start(m, k, []int{0, 1})
		}},
		{"Start on memory 2 of 2", func() error { return dec.Start(memory, mask, []int{0, 2}) }},
		{"Start with a short memory", func() error { return dec.Start(memory[1:], mask, []int{0, 1}) }},
		{"Step with 1 token for 2 rows", func() error {
			dec.Start(memory, mask, []int{0, 1})
			return dec.Step([]int{bosID}, make([]float32, 2*v))
		}},
		{"Step with token V", func() error { return dec.Step([]int{bosID, v}, make([]float32, 2*v)) }},
		{"Step with short logits", func() error { return dec.Step([]int{bosID, bosID}, make([]float32, v)) }},
		{"Reorder from row 2 of 2", func() error { return dec.Reorder([]int{0, 2}) }},
		{"Reorder to 3 rows of 2", func() error { return dec.Reorder([]int{0, 1, 1}) }},
	}
	for _, tt := range calls {
		if err := tt.call(); err == nil {
			t.Errorf("%s: got no error", tt.name)
		}
	}
}

// graphTranslate is the former Translator: beam search that reruns the decoder graph on the
// whole prefix at every position, without stopping early.
func graphTranslate(t testing.TB, c TransformerConfig, params []*graphs.Param, srcs [][]int, beam int, alpha float64) [][]int {
	t.Helper()
	memory, mask := encodeWithGraph(t, c, params, srcs)
	s, d, v := c.SourceLen, c.Layer.Dim, c.TargetVocab
	var rowMem, rowMask []float32
	for i := range srcs {
		for range beam {
			rowMem = append(rowMem, memory[i*s*d:(i+1)*s*d]...)
			rowMask = append(rowMask, mask[i*s:(i+1)*s]...)
		}
	}
	g := newGraphDecoder(t, c, params, len(srcs)*beam)
	beams := make([]*beamSearch, len(srcs))
	for i := range beams {
		beams[i] = newBeamSearch(beam, alpha, c.TargetLen)
	}
	for pos := 0; pos < c.TargetLen; pos++ {
		tgt := make([][]int, len(srcs)*beam)
		for i, b := range beams {
			for k, h := range b.live {
				tgt[i*beam+k] = append([]int{bosID}, h.ids...)
			}
		}
		logits := g.run(t, rowMem, rowMask, tgt)
		for i, b := range beams {
			b.step(func(k int) []float32 {
				at := ((i*beam+k)*c.TargetLen + pos) * v
				return logits[at:][:v]
			}, pos == c.TargetLen-1)
		}
	}
	out := make([][]int, len(srcs))
	for i, b := range beams {
		out[i] = b.best()
	}
	return out
}

// normalizedScores scores each hypothesis of hyps (without <bos> and <eos>) with the graph
// as beamSearch ranks them: log p(ids, <eos>) / (len+1)^alpha, without <eos> for those that
// fill every position.
func normalizedScores(t testing.TB, c TransformerConfig, params []*graphs.Param, srcs, hyps [][]int, alpha float64) []float64 {
	t.Helper()
	memory, mask := encodeWithGraph(t, c, params, srcs)
	tgt := make([][]int, len(hyps))
	for i, h := range hyps {
		tgt[i] = append([]int{bosID}, h...)[:min(len(h)+1, c.TargetLen)]
	}
	logits := newGraphDecoder(t, c, params, len(srcs)).run(t, memory, mask, tgt)
	v := c.TargetVocab
	scores := make([]float64, len(hyps))
	for i, h := range hyps {
		next := h
		if len(h) < c.TargetLen {
			next = append(slices.Clone(h), eosID)
		}
		var lp float64
		for pos, id := range next {
			row := logits[(i*c.TargetLen+pos)*v:][:v]
			lp += float64(row[id]) - logSumExp(row)
		}
		scores[i] = lp / math.Pow(float64(len(h)+1), alpha)
	}
	return scores
}

// TestTranslateMatchesGraph checks the incremental Translator against graph decoding: greedy
// and beam search give the same outputs (beam search here also stopping early, which with
// α = 0 happens before the last position), and the beam's are at least as likely as greedy's.
func TestTranslateMatchesGraph(t *testing.T) {
	for _, v := range layerVariants {
		t.Run(v.name, func(t *testing.T) {
			c := variantConfig(v.layer, v.shared)
			params := randomModel(t, c, 13, 1)
			srcs := randomSources(rand.New(rand.NewPCG(10, 11)), 7, c.SourceLen, c.SourceVocab)
			greedy := bruteGreedy(t, c, params, srcs)
			for _, alpha := range []float64{0, 0.6} {
				outputs := map[int][][]int{}
				for _, beam := range []int{1, 3} {
					tr, err := NewTranslator(c, params, len(srcs)+1, beam) // a batch with room to spare
					if err != nil {
						t.Fatal(err)
					}
					got, err := tr.Translate(srcs, alpha)
					tr.Close()
					if err != nil {
						t.Fatal(err)
					}
					want := graphTranslate(t, c, params, srcs, beam, alpha)
					for i := range srcs {
						if !slices.Equal(got[i], want[i]) {
							t.Errorf("α %v, beam %d, source %v: got %v, want %v", alpha, beam, srcs[i], got[i], want[i])
						}
					}
					outputs[beam] = got
				}
				for i := range srcs {
					if !slices.Equal(outputs[1][i], greedy[i]) {
						t.Errorf("α %v, beam 1, source %v: got %v, want greedy %v", alpha, srcs[i], outputs[1][i], greedy[i])
					}
				}
				beamScores := normalizedScores(t, c, params, srcs, outputs[3], alpha)
				greedyScores := normalizedScores(t, c, params, srcs, greedy, alpha)
				for i := range srcs {
					if beamScores[i] < greedyScores[i]-1e-5 {
						t.Errorf("α %v, source %v: beam output %v scores %.5f, below greedy %v's %.5f",
							alpha, srcs[i], outputs[3][i], beamScores[i], greedy[i], greedyScores[i])
					}
				}
			}
		})
	}
}

// bruteGreedy decodes each source alone with the decoder graph, taking the likeliest token
// other than <pad> and <bos> until <eos> or the last position.
func bruteGreedy(t testing.TB, c TransformerConfig, params []*graphs.Param, srcs [][]int) [][]int {
	t.Helper()
	g := newGraphDecoder(t, c, params, 1)
	v := c.TargetVocab
	out := make([][]int, len(srcs))
	for i, src := range srcs {
		memory, mask := encodeWithGraph(t, c, params, [][]int{src})
		ids := []int{}
		for pos := 0; pos < c.TargetLen; pos++ {
			logits := g.run(t, memory, mask, [][]int{append([]int{bosID}, ids...)})
			row := logits[pos*v:][:v]
			best := -1
			for id, x := range row {
				if id != padID && id != unkID && id != bosID && (best < 0 || x > row[best]) {
					best = id
				}
			}
			if best == eosID {
				break
			}
			ids = append(ids, best)
		}
		out[i] = ids
	}
	return out
}

func TestTranslateErrors(t *testing.T) {
	c := smallConfig(graphs.LayerConfig{})
	params := randomModel(t, c, 21, 2)
	if _, err := NewTranslator(c, params, 2, 0); err == nil {
		t.Error("beam 0: got no error")
	}
	tr, err := NewTranslator(c, params, 2, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	for _, srcs := range [][][]int{{{4}, {5}, {6}}, {{4}, {}}, {make([]int, c.SourceLen+1)}} {
		if _, err := tr.Translate(srcs, 0.6); err == nil {
			t.Errorf("Translate(%v): got no error", srcs)
		}
	}
	if out, err := tr.Translate(nil, 0.6); err != nil || len(out) != 0 {
		t.Errorf("Translate(nil) = %v, %v; want no outputs", out, err)
	}
}

// benchConfig is CMUdict-sized: letters to phonemes.
func benchConfig() TransformerConfig {
	return TransformerConfig{SourceVocab: 35, TargetVocab: 45, SourceLen: 20, TargetLen: 21, EncoderLayers: 3, DecoderLayers: 3,
		Layer: graphs.LayerConfig{Dim: 128, Heads: 4, FF: 512}}
}

// BenchmarkTranslate decodes 100 words with beam 4 and with greedy search. The random model
// rarely emits <eos>, so most hypotheses run to all 21 positions: the worst case.
func BenchmarkTranslate(b *testing.B) {
	c := benchConfig()
	params := randomModel(b, c, 7, 0)
	const batch = 100
	srcs := randomSources(rand.New(rand.NewPCG(1, 2)), batch, c.SourceLen, c.SourceVocab)
	for _, beam := range []int{4, 1} {
		b.Run(fmt.Sprintf("beam%d", beam), func(b *testing.B) {
			tr, err := NewTranslator(c, params, batch, beam)
			if err != nil {
				b.Fatal(err)
			}
			defer tr.Close()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := tr.Translate(srcs, 0.6); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkTranslateGraph is BenchmarkTranslate's beam 4 decoded as the former Translator
// did, rerunning the decoder graph on the whole prefix at every position (tens of seconds
// per operation).
func BenchmarkTranslateGraph(b *testing.B) {
	c := benchConfig()
	params := randomModel(b, c, 7, 0)
	srcs := randomSources(rand.New(rand.NewPCG(1, 2)), 100, c.SourceLen, c.SourceVocab)
	b.ReportAllocs()
	for b.Loop() {
		graphTranslate(b, c, params, srcs, 4, 0.6)
	}
}

// TestBeamSearchDone checks when a beam stops: only once no live hypothesis, even cut at the
// last position without <eos> (length maxLen+1), can beat the worst of width finished ones.
func TestBeamSearchDone(t *testing.T) {
	finished := []hypothesis{{ids: []int{5}, score: -1}, {ids: []int{5, 6}, score: -2}} // -0.5, -2/3 with α = 1
	tests := []struct {
		name     string
		alpha    float64
		finished []hypothesis
		live     []float64
		want     bool
	}{
		{"no live hypothesis", 1, nil, nil, true},
		{"fewer finished than the width", 1, finished[:1], []float64{-100}, false},
		{"live bound equals the worst", 1, finished, []float64{-4}, true},             // -4/6 = -2/3
		{"live cut at maxLen+1 beats the worst", 1, finished, []float64{-3.9}, false}, // -3.9/6 > -2/3
		{"one live of two can still win", 1, finished, []float64{-10, -3.9}, false},
		{"α 0 compares log-probabilities", 0, finished, []float64{-2.5}, true},
		{"α above 1 never stops", 1.5, finished, []float64{-100}, false},
		{"negative α never stops", -0.5, finished, []float64{-100}, false},
	}
	for _, tt := range tests {
		b := newBeamSearch(2, tt.alpha, 5)
		b.finished, b.live = tt.finished, nil
		for _, s := range tt.live {
			b.live = append(b.live, hypothesis{ids: []int{5}, score: s})
		}
		if got := b.done(); got != tt.want {
			t.Errorf("%s: done() = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// decoderGraph is the decoder half of a Seq2Seq as a graph (memory and a target prefix →
// the next-token logits at every position): the reference that incremental decoding is
// checked against.
type decoderGraph struct {
	*Graph
	Memory, SourceMask, TargetIn *G.Node
	Logits                       *G.Node // (B·T, V)
}

// buildDecoder builds the decoder of c on shared parameter values.
func buildDecoder(c TransformerConfig, o BuildOptions) (*decoderGraph, error) {
	if err := checkMemory("transformer decoder", c.footprint(), o); err != nil {
		return nil, err
	}
	d := &decoderGraph{}
	g, err := build(o, func(s *graphs.Scope) *G.Node {
		d.Memory = s.Input("memory", o.Batch, c.SourceLen, c.Layer.Dim)
		d.SourceMask = s.Input("source_mask", o.Batch, c.SourceLen)
		d.TargetIn = s.Input("target_in", o.Batch, c.TargetLen)
		d.Logits = decode(s, d.TargetIn, d.Memory, d.SourceMask, targetTable(s, c, nil), c, o.Batch)
		return nil
	})
	if err != nil {
		return nil, err
	}
	d.Graph = g
	return d, nil
}

// TestIncrementalDecoderRecordsAttention: with RecordAttention on, every head's last-layer
// cross-attention is a distribution over its memory's real tokens (0 on padding), and the
// logits are the same as without it.
func TestIncrementalDecoderRecordsAttention(t *testing.T) {
	c := smallConfig(graphs.LayerConfig{})
	params := randomModel(t, c, 21, 2)
	memory, mask := randomMemory(rand.New(rand.NewPCG(4, 5)), c, 3)
	v, s, heads := c.TargetVocab, c.SourceLen, c.Layer.Heads
	decode := func(record bool) (logits, weights []float32) {
		dec, err := NewIncrementalDecoder(c, params, 3)
		if err != nil {
			t.Fatal(err)
		}
		if err := dec.Start(memory, mask, []int{0, 1, 2}); err != nil {
			t.Fatal(err)
		}
		dec.RecordAttention(record)
		out := make([]float32, 3*v)
		for pos, tok := range []int{bosID, 5, 7, 4} {
			if err := dec.Step([]int{tok, tok, tok}, out); err != nil {
				t.Fatal(err)
			}
			logits = append(logits, out...)
			weights = append(weights, dec.Attention()...)
			if record && len(dec.Attention()) != 3*heads*s {
				t.Fatalf("position %d: %d weights, want (3, %d, %d)", pos, len(dec.Attention()), heads, s)
			}
		}
		return logits, weights
	}
	plain, none := decode(false)
	logits, weights := decode(true)
	if none != nil {
		t.Errorf("without RecordAttention: %d weights, want none", len(none))
	}
	if !slices.Equal(plain, logits) {
		t.Errorf("recording attention changed the logits")
	}
	for at := 0; at < len(weights); at += s {
		r := at / (heads * s) % 3 // the row, whose memory is r
		var sum float64
		for j, w := range weights[at:][:s] {
			if mask[r*s+j] == 0 && w != 0 || w < 0 {
				t.Fatalf("weights %d: %v on position %d of mask %v", at, w, j, mask[r*s:][:s])
			}
			sum += float64(w)
		}
		if math.Abs(sum-1) > 1e-5 {
			t.Errorf("weights %d of row %d sum to %v, want 1", at, r, sum)
		}
	}
}

// TestTranslatorAttention: Attention gives each output one step per token and one for <eos>,
// each step's weights a distribution over the source's tokens, the same whether a source is
// decoded alone or in a batch; Translate afterwards gives the same outputs as before.
func TestTranslatorAttention(t *testing.T) {
	c := smallConfig(graphs.LayerConfig{})
	params := randomModel(t, c, 13, 1)
	srcs := randomSources(rand.New(rand.NewPCG(10, 11)), 4, c.SourceLen, c.SourceVocab)
	tr, err := NewTranslator(c, params, len(srcs), 2)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	outs, err := tr.Translate(srcs, 0.6)
	if err != nil {
		t.Fatal(err)
	}
	maps, err := tr.Attention(srcs, outs)
	if err != nil {
		t.Fatal(err)
	}
	for i, a := range maps {
		if want := min(len(outs[i])+1, c.TargetLen); a.Steps != want || a.Heads != c.Layer.Heads || a.Source != len(srcs[i]) {
			t.Fatalf("source %d: %d steps, %d heads, %d source tokens; want %d, %d, %d", i, a.Steps, a.Heads, a.Source, want, c.Layer.Heads, len(srcs[i]))
		}
		for step := 0; step < a.Steps; step++ {
			var mean float64
			for j := 0; j < a.Source; j++ {
				mean += a.Mean(step, j)
			}
			if math.Abs(mean-1) > 1e-5 {
				t.Errorf("source %d step %d: mean weights sum to %v, want 1", i, step, mean)
			}
		}
		alone, err := tr.Attention(srcs[i:i+1], outs[i:i+1])
		if err != nil {
			t.Fatal(err)
		}
		for k, w := range alone[0].Weights {
			if math.Abs(float64(w-a.Weights[k])) > 1e-5 {
				t.Fatalf("source %d weight %d: %v alone, %v in a batch", i, k, w, a.Weights[k])
			}
		}
	}
	again, err := tr.Translate(srcs, 0.6)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.EqualFunc(again, outs, slices.Equal) {
		t.Errorf("Translate after Attention: %v, before: %v", again, outs)
	}
	if _, err := tr.Attention(srcs, outs[:1]); err == nil {
		t.Errorf("Attention of 4 sources and 1 output: no error")
	}
}
