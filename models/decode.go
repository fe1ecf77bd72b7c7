package models

import (
	"fmt"
	"math"
	"slices"

	G "gorgonia.org/gorgonia"

	"github.com/gorgonet/gorgonet/graphs"
)

// Token ids the decoder relies on; they match the datasets package's vocabularies.
const (
	padID = 0
	unkID = 1
	bosID = 2
	eosID = 3
)

// Translator decodes with a trained encoder-decoder: the encoder graph runs once per batch
// of sources, then an IncrementalDecoder extends every live hypothesis by one token per
// step, reusing the keys and values of the positions before it.
type Translator struct {
	c           TransformerConfig
	enc         *EncoderGraph
	encVM       G.VM
	dec         *IncrementalDecoder
	batch, beam int
	tokens      []int     // the last token of each live hypothesis, one decoder row each
	from        []int     // the row each hypothesis continues, for Reorder
	logits      []float32 // (batch·beam, V)
}

// NewTranslator builds the encoder graph of c for batch sources at a time and a decoder for
// beam hypotheses per source, on the values of params (those of a Seq2Seq graph of c).
func NewTranslator(c TransformerConfig, params []*graphs.Param, batch, beam int) (*Translator, error) {
	if beam < 1 {
		return nil, fmt.Errorf("beam width must be at least 1, got %d", beam)
	}
	if batch < 1 {
		return nil, fmt.Errorf("batch must be at least 1, got %d", batch)
	}
	if float64(batch)*float64(beam) > float64(MemoryLimit()) { // batch*beam would overflow int
		return nil, &TooBigError{Graph: "beam search", Batch: batch, Need: float64(batch) * float64(beam), Limit: float64(MemoryLimit())}
	}
	if err := checkMemory("transformer decoder", c.footprint(), BuildOptions{Batch: batch * beam}); err != nil {
		return nil, err
	}
	enc, err := BuildEncoder(c, BuildOptions{Batch: batch, Shared: params})
	if err != nil {
		return nil, err
	}
	dec, err := NewIncrementalDecoder(c, params, batch*beam)
	if err != nil {
		return nil, err
	}
	return &Translator{c: c, enc: enc, encVM: G.NewTapeMachine(enc.Scope.Graph()), dec: dec, batch: batch, beam: beam,
		tokens: make([]int, 0, batch*beam), from: make([]int, 0, batch*beam),
		logits: make([]float32, batch*beam*c.TargetVocab)}, nil
}

// Close releases the encoder's machine.
func (t *Translator) Close() error { return t.encVM.Close() }

// Batch is the number of sources per call of Translate.
func (t *Translator) Batch() int { return t.batch }

// Translate decodes up to Batch sources (each 1…SourceLen ids) and returns each one's output
// ids without <bos> and <eos>, the best of the beam by log-probability / length^alpha.
func (t *Translator) Translate(srcs [][]int, alpha float64) ([][]int, error) {
	if len(srcs) > t.batch {
		return nil, fmt.Errorf("translate: %d sources, the translator takes %d", len(srcs), t.batch)
	}
	if len(srcs) == 0 {
		return [][]int{}, nil
	}
	memory, mask, err := t.runEncoder(srcs)
	if err != nil {
		return nil, err
	}
	// Each source starts with one hypothesis, <bos>, in row i; later the live hypotheses of
	// all sources fill the first rows, source by source, in beam order.
	beams := make([]*beamSearch, len(srcs))
	tokens := t.tokens[:len(srcs)]
	for i := range beams {
		beams[i] = newBeamSearch(t.beam, alpha, t.c.TargetLen)
		tokens[i] = bosID
	}
	source := make([]int, len(srcs))
	for i := range source {
		source[i] = i
	}
	if err := t.dec.Start(memory, mask, source); err != nil {
		return nil, err
	}
	v := t.c.TargetVocab
	for pos := 0; pos < t.c.TargetLen && len(tokens) > 0; pos++ {
		logits := t.logits[:len(tokens)*v]
		if err := t.dec.Step(tokens, logits); err != nil {
			return nil, fmt.Errorf("decoding: %w", err)
		}
		from, next, row := t.from[:0], tokens[:0], 0 // Step has read tokens
		for _, b := range beams {
			live := len(b.live)
			if live == 0 {
				continue
			}
			parents := b.step(func(k int) []float32 { return logits[(row+k)*v:][:v] }, pos == t.c.TargetLen-1)
			if b.done() {
				b.live = nil // nothing left can beat its finished hypotheses
			}
			for k, h := range b.live {
				from = append(from, row+parents[k])
				next = append(next, h.ids[len(h.ids)-1])
			}
			row += live
		}
		tokens = next
		if err := t.dec.Reorder(from); err != nil {
			return nil, fmt.Errorf("decoding: %w", err)
		}
	}
	out := make([][]int, len(srcs))
	for i, b := range beams {
		out[i] = b.best()
	}
	return out, nil
}

// runEncoder encodes srcs and returns their memories (n, S, d) and padding masks (n, S).
func (t *Translator) runEncoder(srcs [][]int) (memory, mask []float32, err error) {
	s, d := t.c.SourceLen, t.c.Layer.Dim
	ids, m := graphs.Float32s(t.enc.Source), graphs.Float32s(t.enc.SourceMask)
	clear(ids)
	clear(m)
	for i, src := range srcs {
		if len(src) == 0 || len(src) > s {
			return nil, nil, fmt.Errorf("translate: source %d has %d tokens, want 1…%d", i, len(src), s)
		}
		for j, id := range src {
			ids[i*s+j], m[i*s+j] = float32(id), 1
		}
	}
	t.encVM.Reset() // without it the machine silently does not run again
	if err := t.encVM.RunAll(); err != nil {
		return nil, nil, fmt.Errorf("encoding: %w", err)
	}
	n := len(srcs)
	return graphs.Float32s(t.enc.Memory)[:n*s*d], m[:n*s], nil
}

// hypothesis is a decoded prefix (after <bos>) and its total log-probability.
type hypothesis struct {
	ids   []int
	score float64
}

// beamSearch keeps the live hypotheses of one source and the finished ones.
type beamSearch struct {
	width    int
	alpha    float64
	live     []hypothesis
	finished []hypothesis
	maxLen   int
}

func newBeamSearch(width int, alpha float64, maxLen int) *beamSearch {
	return &beamSearch{width: width, alpha: alpha, maxLen: maxLen, live: []hypothesis{{}}}
}

// normalized is the score beams are ranked by at the end: log p / length^α, the length
// counting the <eos>.
func (b *beamSearch) normalized(h hypothesis) float64 {
	return h.score / math.Pow(float64(len(h.ids)+1), b.alpha)
}

// done reports whether no live hypothesis can still beat the finished ones: the width is
// filled with finished hypotheses better than every live one's score so far (log-probabilities
// only fall as hypotheses grow, and with 0 ≤ α ≤ 1 their normalised scores cannot overtake).
// The longest hypothesis, cut at the last position without <eos>, counts maxLen+1.
func (b *beamSearch) done() bool {
	if len(b.live) == 0 {
		return true
	}
	if len(b.finished) < b.width || b.alpha > 1 || b.alpha < 0 {
		return false
	}
	worst := math.Inf(1)
	for _, f := range b.finished {
		worst = min(worst, b.normalized(f))
	}
	for _, h := range b.live {
		if h.score/math.Pow(float64(b.maxLen+1), b.alpha) > worst {
			return false
		}
	}
	return true
}

// step extends every live hypothesis by every token and keeps the width best; a hypothesis
// ending in <eos> (or reaching the last position) is finished. It returns, for each new live
// hypothesis, the index of the one it extends.
func (b *beamSearch) step(logits func(k int) []float32, last bool) []int {
	if len(b.live) == 0 {
		return nil
	}
	type cand struct {
		from, id int
		score    float64
	}
	// Only a hypothesis's width+1 best tokens can make the new beam: at most one of them is
	// <eos>, and the beam keeps width continuations in all. Selecting them instead of sorting
	// every token matters for large vocabularies (8,000 words: 32,000 candidates a step).
	cands := make([]cand, 0, len(b.live)*(b.width+1))
	top := make([]int, 0, b.width+1)
	for k, h := range b.live {
		row := logits(k)
		lse := logSumExp(row)
		top = topTokens(top[:0], row, b.width+1)
		for _, id := range top {
			cands = append(cands, cand{k, id, h.score + float64(row[id]) - lse})
		}
	}
	slices.SortFunc(cands, func(x, y cand) int {
		switch {
		case x.score > y.score:
			return -1
		case x.score < y.score:
			return 1
		}
		return 0
	})
	var next []hypothesis
	var parents []int
	for _, c := range cands {
		if len(next) == b.width {
			break
		}
		ids := append(slices.Clone(b.live[c.from].ids), c.id)
		if c.id == eosID || last {
			if c.id == eosID {
				ids = ids[:len(ids)-1]
			}
			b.finished = append(b.finished, hypothesis{ids, c.score})
			if (len(b.finished) >= b.width && b.width == 1) || (last && len(b.finished) >= b.width) {
				break
			}
			continue
		}
		next = append(next, hypothesis{ids, c.score})
		parents = append(parents, c.from)
	}
	b.live = next
	if b.width == 1 && len(b.finished) > 0 {
		b.live = nil // greedy: the first end is the answer
	}
	return parents
}

// best is the finished hypothesis with the highest normalised score.
func (b *beamSearch) best() []int {
	all := b.finished
	if len(all) == 0 {
		all = b.live
	}
	best := 0
	for i, h := range all {
		if b.normalized(h) > b.normalized(all[best]) {
			best = i
		}
	}
	if len(all) == 0 {
		return nil
	}
	return all[best].ids
}

func logSumExp(row []float32) float64 {
	mx := math.Inf(-1)
	for _, x := range row {
		mx = max(mx, float64(x))
	}
	var sum float64
	for _, x := range row {
		sum += math.Exp(float64(x) - mx)
	}
	return mx + math.Log(sum)
}

// topTokens appends to dst the ids of the k largest logits of row, largest first, leaving
// out the tokens that are never an output (<pad>, <unk>, <bos>).
func topTokens(dst []int, row []float32, k int) []int {
	for id, x := range row {
		if id == padID || id == unkID || id == bosID { // <unk> says nothing to the user
			continue
		}
		if len(dst) == k && x <= row[dst[k-1]] {
			continue
		}
		i := len(dst)
		if i < k {
			dst = append(dst, id)
		} else {
			i = k - 1
		}
		for ; i > 0 && row[dst[i-1]] < x; i-- {
			dst[i] = dst[i-1]
		}
		dst[i] = id
	}
	return dst
}

// CrossAttention is where the last decoder layer looked in a source while one output was
// decoded: at step t (the query that chose output token t, or <eos> after the last one)
// head h puts Weights[(t·Heads+h)·Source + j] on source token j.
type CrossAttention struct {
	Steps, Heads, Source int
	Weights              []float32 // (Steps, Heads, Source)
}

// Mean is the weight on source token j at step t averaged over the heads.
func (a CrossAttention) Mean(t, j int) float64 {
	var sum float64
	for h := 0; h < a.Heads; h++ {
		sum += float64(a.Weights[(t*a.Heads+h)*a.Source+j])
	}
	return sum / float64(a.Heads)
}

// Attention decodes outs again as the outputs of srcs (up to Batch pairs, such as
// Translate returned) and returns the last decoder layer's cross-attention at every step:
// len(out)+1 steps, the last the one that chose <eos>, at most TargetLen. Translate itself
// records nothing.
func (t *Translator) Attention(srcs, outs [][]int) ([]CrossAttention, error) {
	if len(srcs) != len(outs) {
		return nil, fmt.Errorf("attention: %d sources and %d outputs", len(srcs), len(outs))
	}
	if len(srcs) > t.batch {
		return nil, fmt.Errorf("attention: %d sources, the translator takes %d", len(srcs), t.batch)
	}
	if len(srcs) == 0 {
		return []CrossAttention{}, nil
	}
	memory, mask, err := t.runEncoder(srcs)
	if err != nil {
		return nil, err
	}
	rows := make([]int, len(srcs))
	for i := range rows {
		rows[i] = i
	}
	if err := t.dec.Start(memory, mask, rows); err != nil {
		return nil, err
	}
	t.dec.RecordAttention(true)
	defer t.dec.RecordAttention(false)
	heads, s := t.c.Layer.Heads, t.c.SourceLen
	maps := make([]CrossAttention, len(srcs))
	steps := 0
	for i, out := range outs {
		n := min(len(out)+1, t.c.TargetLen)
		maps[i] = CrossAttention{Steps: n, Heads: heads, Source: len(srcs[i]), Weights: make([]float32, n*heads*len(srcs[i]))}
		steps = max(steps, n)
	}
	tokens := t.tokens[:len(srcs)]
	logits := t.logits[:len(srcs)*t.c.TargetVocab]
	for pos := 0; pos < steps; pos++ {
		for i, out := range outs {
			tokens[i] = bosID
			if pos > 0 && pos <= len(out) {
				tokens[i] = out[pos-1]
			}
		}
		if err := t.dec.Step(tokens, logits); err != nil {
			return nil, fmt.Errorf("attention: %w", err)
		}
		w := t.dec.Attention()
		for i := range maps {
			a := &maps[i]
			if pos >= a.Steps {
				continue
			}
			for h := 0; h < heads; h++ {
				copy(a.Weights[(pos*heads+h)*a.Source:][:a.Source], w[(i*heads+h)*s:][:a.Source])
			}
		}
	}
	return maps, nil
}
