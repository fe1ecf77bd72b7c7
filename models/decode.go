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
	bosID = 2
	eosID = 3
)

// Translator decodes with a trained encoder-decoder: the encoder runs once per batch of
// sources, the decoder once per output position on the prefix decoded so far (its causal
// attention makes the logits at position t depend only on positions ≤ t).
type Translator struct {
	c           TransformerConfig
	enc         *EncoderGraph
	dec         *DecoderGraph
	encVM       G.VM
	decVM       G.VM
	batch, beam int
}

// NewTranslator builds the decoding graphs of c for batch sources at a time and beam
// hypotheses per source, on the values of params (those of a Seq2Seq graph of c).
func NewTranslator(c TransformerConfig, params []*graphs.Param, batch, beam int) (*Translator, error) {
	if beam < 1 {
		return nil, fmt.Errorf("beam width must be at least 1, got %d", beam)
	}
	enc, err := BuildEncoder(c, BuildOptions{Batch: batch, Shared: params})
	if err != nil {
		return nil, err
	}
	dec, err := BuildDecoder(c, BuildOptions{Batch: batch * beam, Shared: params})
	if err != nil {
		return nil, err
	}
	return &Translator{c: c, enc: enc, dec: dec, encVM: G.NewTapeMachine(enc.Scope.Graph()),
		decVM: G.NewTapeMachine(dec.Scope.Graph()), batch: batch, beam: beam}, nil
}

// Close releases the machines.
func (t *Translator) Close() error {
	t.encVM.Close()
	return t.decVM.Close()
}

// Batch is the number of sources per call of Translate.
func (t *Translator) Batch() int { return t.batch }

// Translate decodes up to Batch sources (each 1…SourceLen ids) and returns each one's output
// ids without <bos> and <eos>, the best of the beam by log-probability / length^alpha.
func (t *Translator) Translate(srcs [][]int, alpha float64) ([][]int, error) {
	if len(srcs) > t.batch {
		return nil, fmt.Errorf("translate: %d sources, the graph takes %d", len(srcs), t.batch)
	}
	if err := t.runEncoder(srcs); err != nil {
		return nil, err
	}
	beams := make([]*beamSearch, len(srcs))
	for i := range beams {
		beams[i] = newBeamSearch(t.beam, alpha, t.c.TargetLen)
	}
	tgt := t.dec.TargetIn.Value().Data().([]float32)
	v := t.c.TargetVocab
	for pos := 0; pos < t.c.TargetLen; pos++ {
		clear(tgt)
		done := true
		for i, b := range beams {
			b.write(tgt[i*t.beam*t.c.TargetLen:], t.c.TargetLen)
			done = done && b.done()
		}
		if done {
			break
		}
		t.decVM.Reset() // without it the machine silently does not run again
		if err := t.decVM.RunAll(); err != nil {
			return nil, fmt.Errorf("decoding: %w", err)
		}
		logits := t.dec.Logits.Value().Data().([]float32)
		for i, b := range beams {
			b.step(func(k int) []float32 {
				r := (i*t.beam+k)*t.c.TargetLen + pos
				return logits[r*v : (r+1)*v]
			}, pos, pos == t.c.TargetLen-1)
		}
	}
	out := make([][]int, len(srcs))
	for i, b := range beams {
		out[i] = b.best()
	}
	return out, nil
}

// runEncoder encodes srcs and copies each memory to the decoder's input for all its beams.
func (t *Translator) runEncoder(srcs [][]int) error {
	s, d := t.c.SourceLen, t.c.Layer.Dim
	ids, mask := t.enc.Source.Value().Data().([]float32), t.enc.SourceMask.Value().Data().([]float32)
	clear(ids)
	clear(mask)
	for i, src := range srcs {
		if len(src) == 0 || len(src) > s {
			return fmt.Errorf("translate: source %d has %d tokens, want 1…%d", i, len(src), s)
		}
		for j, id := range src {
			ids[i*s+j], mask[i*s+j] = float32(id), 1
		}
	}
	t.encVM.Reset()
	if err := t.encVM.RunAll(); err != nil {
		return fmt.Errorf("encoding: %w", err)
	}
	mem := t.enc.Memory.Value().Data().([]float32)
	dmem, dmask := t.dec.Memory.Value().Data().([]float32), t.dec.SourceMask.Value().Data().([]float32)
	for i := 0; i < t.batch; i++ {
		for k := 0; k < t.beam; k++ {
			r := i*t.beam + k
			copy(dmem[r*s*d:(r+1)*s*d], mem[i*s*d:(i+1)*s*d])
			copy(dmask[r*s:(r+1)*s], mask[i*s:(i+1)*s])
		}
	}
	return nil
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
// only fall as hypotheses grow, and with α ≤ 1 their normalised scores cannot overtake).
func (b *beamSearch) done() bool {
	if len(b.live) == 0 {
		return true
	}
	if len(b.finished) < b.width || b.alpha > 1 {
		return false
	}
	worst := math.Inf(1)
	for _, f := range b.finished {
		worst = min(worst, b.normalized(f))
	}
	for _, h := range b.live {
		if h.score/math.Pow(float64(b.maxLen), b.alpha) > worst {
			return false
		}
	}
	return true
}

// write puts <bos> and each live hypothesis into its decoder row; spare rows repeat <bos>.
func (b *beamSearch) write(rows []float32, t int) {
	for k := 0; k < b.width; k++ {
		rows[k*t] = bosID
		if k < len(b.live) {
			for j, id := range b.live[k].ids {
				rows[k*t+1+j] = float32(id)
			}
		}
	}
}

// step extends every live hypothesis by every token and keeps the width best; a hypothesis
// ending in <eos> (or reaching the last position) is finished.
func (b *beamSearch) step(logits func(k int) []float32, pos int, last bool) {
	if len(b.live) == 0 {
		return
	}
	type cand struct {
		from, id int
		score    float64
	}
	var cands []cand
	for k, h := range b.live {
		row := logits(k)
		lse := logSumExp(row)
		for id, x := range row {
			if id == padID || id == bosID {
				continue
			}
			cands = append(cands, cand{k, id, h.score + float64(x) - lse})
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
			if len(b.finished) >= b.width && b.width == 1 {
				break
			}
			continue
		}
		next = append(next, hypothesis{ids, c.score})
	}
	b.live = next
	if b.width == 1 && len(b.finished) > 0 {
		b.live = nil // greedy: the first end is the answer
	}
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
