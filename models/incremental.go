package models

import (
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/blas"
	G "gorgonia.org/gorgonia"

	"github.com/gorgonet/gorgonet/graphs"
)

// IncrementalDecoder runs the decoder of a trained Seq2Seq one position at a time in plain
// Go: each layer keeps the self-attention keys and values of the positions decoded so far,
// so position t costs one row per layer instead of the whole prefix (the decoder graph
// recomputes all t positions). It computes what the Seq2Seq's decoder computes, without dropout
// (incremental_test.go checks it against that decoder built as a graph).
//
// Rows are independent hypotheses, each attending to the memory of one source; several rows
// (the hypotheses of a beam) may share a source. Start sets the memories, Step appends one
// token to every row, and Reorder lets rows take over other rows' caches as a beam search
// keeps, drops and duplicates hypotheses.
type IncrementalDecoder struct {
	dim, heads, ff, vocab int
	srcLen, maxLen        int
	eps                   float64
	gelu, normFirst       bool

	emb    []float32 // (V, d) tgt_emb.weight
	pe     []float32 // (T, d) positional table
	layers []cachedLayer
	norm   layerNormWeights
	out    linearWeights

	rows    int   // capacity: the most rows Start and Reorder accept
	live    int   // rows in use
	pos     int   // positions decoded so far
	sources int   // memories given to Start
	source  []int // (rows) the memory each row attends to
	memMask []float32

	// Per-step buffers for the live rows, and spare room for Reorder.
	x, h, ctx, attn []float32 // (rows, d)
	proj            []float32 // (rows, 3d): Q | K | V of self-attention, Q of cross-attention
	hidden          []float32 // (rows, ff)
	scores          []float32 // (max(T, S))
	spare           []float32 // (rows, T, d)
	spareSource     []int

	// crossWeights, when RecordAttention turned it on, receives each Step's last-layer
	// cross-attention weights (rows, heads, S); nil in normal decoding, which skips the copy.
	crossWeights []float32
}

// cachedLayer is one decoder layer's weights and caches.
type cachedLayer struct {
	self, cross         attentionWeights
	linear1, linear2    linearWeights
	norm1, norm2, norm3 layerNormWeights
	keys, values        []float32 // (rows, T, d) self-attention keys and values per position
	memKV               []float32 // (rows·S, 2d) cross-attention K | V of each memory
}

// linearWeights is x·wᵀ + b with w (out, in), PyTorch's layout.
type linearWeights struct {
	w, b    []float32
	in, out int
}

type attentionWeights struct{ in, out linearWeights } // in_proj (3d, d), out_proj (d, d)

type layerNormWeights struct{ w, b []float32 }

// NewIncrementalDecoder reads the decoder's parameters of c by name from params (those of a
// Seq2Seq of c, float32) and allocates caches for up to rows hypotheses of TargetLen
// positions. It reads the values in place, without copying them.
func NewIncrementalDecoder(c TransformerConfig, params []*graphs.Param, rows int) (*IncrementalDecoder, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if c.TargetVocab < 1 {
		return nil, fmt.Errorf("incremental decoder: the model has no target vocabulary")
	}
	if rows < 1 {
		return nil, fmt.Errorf("incremental decoder: rows must be positive, got %d", rows)
	}
	l := c.Layer
	d, v, t, s := l.Dim, c.TargetVocab, c.TargetLen, c.SourceLen
	eps := l.Eps
	if eps == 0 {
		eps = 1e-5 // graphs.LayerConfig's default
	}
	dec := &IncrementalDecoder{dim: d, heads: l.Heads, ff: l.FF, vocab: v, srcLen: s, maxLen: t, eps: eps,
		gelu: l.Activation == "gelu", normFirst: l.NormFirst, rows: rows, pe: sinusoidTable(t, d)}
	w := paramReader{byName: make(map[string]*graphs.Param, len(params))}
	for _, p := range params {
		w.byName[p.Name] = p
	}
	table := "tgt_emb.weight"
	if c.ShareEmbeddings {
		table = "src_emb.weight"
	}
	dec.emb = w.get(table, v, d)
	for i := 0; i < c.DecoderLayers; i++ {
		p := fmt.Sprintf("tf.decoder.layers.%d.", i)
		dec.layers = append(dec.layers, cachedLayer{
			self:    w.attention(p+"self_attn.", d),
			cross:   w.attention(p+"multihead_attn.", d),
			linear1: w.linear(p+"linear1.", d, l.FF),
			linear2: w.linear(p+"linear2.", l.FF, d),
			norm1:   w.layerNorm(p+"norm1.", d),
			norm2:   w.layerNorm(p+"norm2.", d),
			norm3:   w.layerNorm(p+"norm3.", d),
			keys:    make([]float32, rows*t*d),
			values:  make([]float32, rows*t*d),
			memKV:   make([]float32, rows*s*2*d),
		})
	}
	dec.norm = w.layerNorm("tf.decoder.norm.", d)
	if c.ShareEmbeddings {
		dec.out = linearWeights{w: dec.emb, b: w.get("out.bias", v), in: d, out: v}
	} else {
		dec.out = w.linear("out.", d, v)
	}
	if w.err != nil {
		return nil, fmt.Errorf("incremental decoder: %w", w.err)
	}
	dec.source, dec.spareSource = make([]int, rows), make([]int, rows)
	dec.memMask = make([]float32, rows*s)
	dec.x, dec.h, dec.ctx, dec.attn = make([]float32, rows*d), make([]float32, rows*d), make([]float32, rows*d), make([]float32, rows*d)
	dec.proj, dec.hidden = make([]float32, rows*3*d), make([]float32, rows*l.FF)
	dec.scores = make([]float32, max(t, s))
	dec.spare = make([]float32, rows*t*d)
	return dec, nil
}

// paramReader looks parameters up by name and keeps the first problem.
type paramReader struct {
	byName map[string]*graphs.Param
	err    error
}

// get returns the float32 values of parameter name, whose PyTorch shape must be shape.
func (r *paramReader) get(name string, shape ...int) []float32 {
	if r.err != nil {
		return nil
	}
	p := r.byName[name]
	if p == nil {
		r.err = fmt.Errorf("no parameter %q", name)
		return nil
	}
	if !slices.Equal(p.Shape, shape) {
		r.err = fmt.Errorf("parameter %q has shape %v, want %v", name, p.Shape, shape)
		return nil
	}
	data, ok := p.Value.Data().([]float32)
	if !ok {
		r.err = fmt.Errorf("parameter %q holds %v, want float32", name, p.Value.Dtype())
		return nil
	}
	if len(data) != p.Value.Shape().TotalSize() || p.Value.Shape().TotalSize() != shapeSize(shape) {
		r.err = fmt.Errorf("parameter %q has %d values, want %d", name, len(data), shapeSize(shape))
		return nil
	}
	return data
}

func shapeSize(shape []int) int {
	n := 1
	for _, s := range shape {
		n *= s
	}
	return n
}

func (r *paramReader) linear(prefix string, in, out int) linearWeights {
	return linearWeights{w: r.get(prefix+"weight", out, in), b: r.get(prefix+"bias", out), in: in, out: out}
}

func (r *paramReader) attention(prefix string, d int) attentionWeights {
	in := linearWeights{w: r.get(prefix+"in_proj_weight", 3*d, d), b: r.get(prefix+"in_proj_bias", 3*d), in: d, out: 3 * d}
	return attentionWeights{in: in, out: r.linear(prefix+"out_proj.", d, d)}
}

func (r *paramReader) layerNorm(prefix string, d int) layerNormWeights {
	return layerNormWeights{w: r.get(prefix+"weight", d), b: r.get(prefix+"bias", d)}
}

// sinusoidTable is graphs.PositionalEncoding's (t, d) table in float32, as the graph adds it.
func sinusoidTable(t, d int) []float32 {
	pe := make([]float32, t*d)
	for pos := 0; pos < t; pos++ {
		for i := 0; i < d; i += 2 {
			a := float64(pos) * math.Exp(float64(i)*(-math.Log(10000)/float64(d)))
			pe[pos*d+i] = float32(math.Sin(a))
			if i+1 < d {
				pe[pos*d+i+1] = float32(math.Cos(a))
			}
		}
	}
	return pe
}

// Rows is the number of rows in use: those given to Start, then to the last Reorder.
func (dec *IncrementalDecoder) Rows() int { return dec.live }

// Position is the number of tokens each row has been given since Start.
func (dec *IncrementalDecoder) Position() int { return dec.pos }

// RecordAttention makes every later Step keep the last decoder layer's cross-attention
// weights for Attention (on), or stops it (off). Decoding is the same either way.
func (dec *IncrementalDecoder) RecordAttention(on bool) {
	switch {
	case !on:
		dec.crossWeights = nil
	case dec.crossWeights == nil:
		dec.crossWeights = make([]float32, dec.rows*dec.heads*dec.srcLen)
	}
}

// Attention is the last Step's cross-attention weights of the last decoder layer, (Rows,
// heads, S): row r's head h puts weight [(r·heads+h)·S + j] on source position j; each
// head's weights sum to 1 over the source's real tokens and are 0 on its padding. It is nil
// unless RecordAttention is on, and is rewritten by the next Step.
func (dec *IncrementalDecoder) Attention() []float32 {
	if dec.crossWeights == nil {
		return nil
	}
	return dec.crossWeights[:dec.live*dec.heads*dec.srcLen]
}

// Start begins decoding len(source) rows, row r attending to memory source[r]. memory holds
// n encoder outputs (n, S, d) and mask their key padding (n, S), 1 for real tokens and 0 for
// padding. The memories' keys and values are projected here, once.
func (dec *IncrementalDecoder) Start(memory, mask []float32, source []int) error {
	s, d := dec.srcLen, dec.dim
	n := len(mask) / s
	switch {
	case len(mask)%s != 0 || n < 1 || n > dec.rows:
		return fmt.Errorf("incremental decoder: mask has %d values, want n·%d for 1 ≤ n ≤ %d", len(mask), s, dec.rows)
	case len(memory) != n*s*d:
		return fmt.Errorf("incremental decoder: memory has %d values, want %d (%d, %d, %d)", len(memory), n*s*d, n, s, d)
	case len(source) < 1 || len(source) > dec.rows:
		return fmt.Errorf("incremental decoder: %d rows, want 1…%d", len(source), dec.rows)
	}
	for r, m := range source {
		if m < 0 || m >= n {
			return fmt.Errorf("incremental decoder: row %d attends to memory %d of %d", r, m, n)
		}
	}
	copy(dec.source, source)
	copy(dec.memMask, mask)
	dec.live, dec.pos, dec.sources = len(source), 0, n
	for i := range dec.layers {
		cw := dec.layers[i].cross.in
		kv := dec.layers[i].memKV[:n*s*2*d]
		sgemmT(n*s, 2*d, d, memory, cw.w[d*d:], kv) // K | V = memory · W_kvᵀ
		addBias(kv, cw.b[d:])
	}
	return nil
}

// Step appends tokens[r] to row r at the next position and writes the rows' next-token
// logits to logits (rows, V).
func (dec *IncrementalDecoder) Step(tokens []int, logits []float32) error {
	n, d := dec.live, dec.dim
	switch {
	case len(tokens) != n:
		return fmt.Errorf("incremental decoder: %d tokens for %d rows", len(tokens), n)
	case len(logits) != n*dec.vocab:
		return fmt.Errorf("incremental decoder: logits have %d values, want %d (%d, %d)", len(logits), n*dec.vocab, n, dec.vocab)
	case dec.pos >= dec.maxLen:
		return fmt.Errorf("incremental decoder: all %d positions are decoded", dec.maxLen)
	}
	x := dec.x[:n*d]
	scale := float32(math.Sqrt(float64(d)))
	pe := dec.pe[dec.pos*d:][:d]
	for r, id := range tokens {
		if id < 0 || id >= dec.vocab {
			return fmt.Errorf("incremental decoder: token %d of row %d is not in [0, %d)", id, r, dec.vocab)
		}
		row, e := x[r*d:][:d], dec.emb[id*d:][:d]
		for j := range row {
			row[j] = e[j]*scale + pe[j]
		}
	}
	for i := range dec.layers {
		dec.layer(&dec.layers[i], x, i == len(dec.layers)-1)
	}
	layerNormRows(x, dec.norm, d, dec.eps)
	dec.out.apply(x, logits)
	dec.pos++
	return nil
}

// layer runs one decoder layer on x (n, d) in place, as nn.TransformerDecoderLayer; the
// last layer's cross-attention weights are recorded when RecordAttention is on.
func (dec *IncrementalDecoder) layer(l *cachedLayer, x []float32, last bool) {
	n, d := dec.live, dec.dim
	h, attn := dec.h[:n*d], dec.attn[:n*d]
	sublayer := func(norm layerNormWeights, f func(in, out []float32)) {
		if dec.normFirst { // x + f(norm(x))
			copy(h, x)
			layerNormRows(h, norm, d, dec.eps)
			f(h, attn)
			addInto(x, attn)
			return
		}
		f(x, attn) // norm(x + f(x))
		addInto(x, attn)
		layerNormRows(x, norm, d, dec.eps)
	}
	sublayer(l.norm1, func(in, out []float32) { dec.selfAttention(l, in, out) })
	var weights []float32
	if last {
		weights = dec.crossWeights
	}
	sublayer(l.norm2, func(in, out []float32) { dec.crossAttention(l, in, out, weights) })
	sublayer(l.norm3, func(in, out []float32) { dec.feedForward(l, in, out) })
}

// selfAttention appends the keys and values of in (n, d) to the cache and writes the
// attention of each row over its positions so far to out.
func (dec *IncrementalDecoder) selfAttention(l *cachedLayer, in, out []float32) {
	n, d, t := dec.live, dec.dim, dec.maxLen
	qkv, ctx := dec.proj[:n*3*d], dec.ctx[:n*d]
	l.self.in.apply(in, qkv)
	for r := 0; r < n; r++ {
		at := (r*t + dec.pos) * d
		copy(l.keys[at:at+d], qkv[r*3*d+d:][:d])
		copy(l.values[at:at+d], qkv[r*3*d+2*d:][:d])
		q := qkv[r*3*d:][:d]
		dec.attend(q, l.keys[r*t*d:], l.values[r*t*d:], d, dec.pos+1, nil, ctx[r*d:][:d], nil)
	}
	l.self.out.apply(ctx, out)
}

// crossAttention writes the attention of each row of in (n, d) over its memory to out, and
// its weights (n, heads, S) to weights unless that is nil.
func (dec *IncrementalDecoder) crossAttention(l *cachedLayer, in, out, weights []float32) {
	n, d, s := dec.live, dec.dim, dec.srcLen
	q, ctx := dec.proj[:n*d], dec.ctx[:n*d]
	w := l.cross.in
	sgemmT(n, d, d, in, w.w[:d*d], q) // Q = in · W_qᵀ
	addBias(q, w.b[:d])
	for r := 0; r < n; r++ {
		m := dec.source[r]
		kv := l.memKV[m*s*2*d:]
		var w []float32
		if weights != nil {
			w = weights[r*dec.heads*s:][:dec.heads*s]
		}
		dec.attend(q[r*d:][:d], kv, kv[d:], 2*d, s, dec.memMask[m*s:][:s], ctx[r*d:][:d], w)
	}
	l.cross.out.apply(ctx, out)
}

// attend writes to ctx (d) the heads' softmax(q·Kᵀ/√dh)·V over keys rows of k and v (row
// stride ld), leaving out keys whose pad is 0; a head with no key left gets zeros. Unless
// weights is nil, it also writes the softmax of head h to weights[h·keys:][:keys].
func (dec *IncrementalDecoder) attend(q, k, v []float32, ld, keys int, pad, ctx, weights []float32) {
	dh := dec.dim / dec.heads
	scale := float32(1 / math.Sqrt(float64(dh)))
	p := dec.scores[:keys]
	for hd := 0; hd < dec.heads; hd++ {
		o := hd * dh
		qh := q[o : o+dh]
		top := float32(math.Inf(-1))
		for j := range p {
			if pad != nil && pad[j] == 0 {
				p[j] = float32(math.Inf(-1))
				continue
			}
			kh := k[j*ld+o:][:dh]
			var dot float32
			for i, qv := range qh {
				dot += qv * kh[i]
			}
			p[j] = dot * scale
			top = max(top, p[j])
		}
		c := ctx[o : o+dh]
		clear(c)
		if math.IsInf(float64(top), -1) {
			if weights != nil {
				clear(weights[hd*keys:][:keys])
			}
			continue
		}
		var sum float64
		for j, s := range p {
			e := math.Exp(float64(s - top))
			p[j] = float32(e)
			sum += e
		}
		inv := float32(1 / sum)
		if weights != nil {
			for j, w := range p {
				weights[hd*keys+j] = w * inv
			}
		}
		for j, w := range p {
			if w == 0 {
				continue
			}
			w *= inv
			vh := v[j*ld+o:][:dh]
			for i := range c {
				c[i] += w * vh[i]
			}
		}
	}
}

// feedForward writes linear2(activation(linear1(in))) to out.
func (dec *IncrementalDecoder) feedForward(l *cachedLayer, in, out []float32) {
	hidden := dec.hidden[:dec.live*dec.ff]
	l.linear1.apply(in, hidden)
	for i, v := range hidden {
		switch {
		case dec.gelu:
			f := float64(v)
			hidden[i] = float32(0.5 * f * (1 + math.Erf(f*math.Sqrt2/2)))
		case v < 0:
			hidden[i] = 0
		}
	}
	l.linear2.apply(hidden, out)
}

// Reorder makes row r continue the hypothesis of row from[r] (its cache and memory) for
// every r < len(from); rows from len(from) on are dropped. Rows may be repeated or left out.
func (dec *IncrementalDecoder) Reorder(from []int) error {
	if len(from) > dec.rows {
		return fmt.Errorf("incremental decoder: %d rows, want at most %d", len(from), dec.rows)
	}
	for r, f := range from {
		if f < 0 || f >= dec.live {
			return fmt.Errorf("incremental decoder: row %d takes row %d of %d", r, f, dec.live)
		}
	}
	t, d, used := dec.maxLen, dec.dim, dec.pos*dec.dim
	moved := func(cache []float32) {
		// Copy out first, then back, so that no row is overwritten before it is read.
		for r, f := range from {
			if f != r {
				copy(dec.spare[r*t*d:][:used], cache[f*t*d:][:used])
			}
		}
		for r, f := range from {
			if f != r {
				copy(cache[r*t*d:][:used], dec.spare[r*t*d:][:used])
			}
		}
	}
	for i := range dec.layers {
		moved(dec.layers[i].keys)
		moved(dec.layers[i].values)
	}
	for r, f := range from {
		dec.spareSource[r] = dec.source[f]
	}
	copy(dec.source, dec.spareSource[:len(from)])
	dec.live = len(from)
	return nil
}

// apply writes x (n, in) · wᵀ + b to out (n, out).
func (l linearWeights) apply(x, out []float32) {
	n := len(x) / l.in
	sgemmT(n, l.out, l.in, x, l.w, out[:n*l.out])
	addBias(out[:n*l.out], l.b)
}

// sgemmT sets c (m, n) to a (m, k) · bᵀ with b (n, k), with Gorgonia's BLAS as the graphs do.
func sgemmT(m, n, k int, a, b, c []float32) {
	G.WhichBLAS().Sgemm(blas.NoTrans, blas.Trans, m, n, k, 1, a, k, b, k, 0, c, n)
}

// addBias adds bias to every row of m.
func addBias(m, bias []float32) {
	for r := 0; r < len(m); r += len(bias) {
		row := m[r:][:len(bias)]
		for j, b := range bias {
			row[j] += b
		}
	}
}

func addInto(x, y []float32) {
	for i, v := range y {
		x[i] += v
	}
}

// layerNormRows normalises each row of x (n, d) in place, as graphs.LayerNorm does.
func layerNormRows(x []float32, w layerNormWeights, d int, eps float64) {
	for r := 0; r < len(x); r += d {
		row := x[r:][:d]
		graphs.NormalizeRow(row, row, w.w, w.b, eps)
	}
}
