package experiment

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"

	G "gorgonia.org/gorgonia"

	"github.com/gorgonet/gorgonet/config"
	"github.com/gorgonet/gorgonet/datasets"
	"github.com/gorgonet/gorgonet/datasets/bpe"
	"github.com/gorgonet/gorgonet/graphs"
	"github.com/gorgonet/gorgonet/metrics"
	"github.com/gorgonet/gorgonet/models"
	"github.com/gorgonet/gorgonet/snapshot"
)

// pairSplits are a sequence-to-sequence data set's pairs, split into training, validation and
// test sets, and how the task reads them.
type pairSplits struct {
	train, val, test []datasets.Pair
	// tokens are what the target tokens are: phonemes (scored by word and phoneme error
	// rates), words or chars (both scored on words, by BLEU, chrF and word error rate), or bpe
	// (the pairs hold the words of their texts as written, which the task cuts into subword
	// units learned from the training split).
	tokens string
	// truncate cuts training sources to max_len instead of leaving their pairs out: a
	// description is summarised from its opening.
	truncate bool
	// leadWords, when > 0, makes the task a summarisation: outputs are scored by ROUGE beside
	// the lead baseline, the first sentence of each source (its Key) cut to leadWords words.
	leadWords int
}

// pairLoader loads and splits the pairs of a sequence-to-sequence data set.
type pairLoader func(cfg config.Experiment) (pairSplits, error)

// splitByKey is the pairLoader of pairs that datasets.SplitByKey splits (by Key, or Group
// where set); load reads them and says what their target tokens are.
func splitByKey(load func(d config.Data) ([]datasets.Pair, string, error)) pairLoader {
	return func(cfg config.Experiment) (pairSplits, error) {
		pairs, tokens, err := load(cfg.Data)
		if err != nil {
			return pairSplits{}, err
		}
		tr, va, te := datasets.SplitByKey(pairs, cfg.Data.ValFraction, cfg.Data.TestFraction, cfg.Seed)
		return pairSplits{train: tr, val: va, test: te, tokens: tokens}, nil
	}
}

// pairSet is the sequence-to-sequence task of the pairs that load reads.
func pairSet(load pairLoader) TaskLoader {
	return func(cfg config.Experiment, saved *snapshot.DataInfo) (Task, error) {
		return loadPairTask(load, cfg, saved)
	}
}

// EncodedPair is a pair as ids: the source truncated to the model's length, the target
// without <bos>/<eos>.
type EncodedPair struct {
	Key      string
	Src, Tgt []int
	Ref      []string // the target as written and scored (characters as their words), the reference for error rates, BLEU, chrF and ROUGE
}

// pairTask trains an encoder-decoder Transformer with teacher forcing.
type pairTask struct {
	cfg              config.Experiment
	info             snapshot.DataInfo
	tc               models.TransformerConfig
	train, val, test []EncodedPair
	truncate         bool // training sources are cut to max_len, not left out
	leadWords        int  // summarisation: the lead baseline's length in words (0: not a summarisation)

	lens    []int               // the length groups' source lengths (bucketLens)
	batches map[int]*pairFiller // training batches by shape, written by Batch
}

func loadPairTask(load pairLoader, cfg config.Experiment, saved *snapshot.DataInfo) (Task, error) {
	kind := Models[cfg.Model.Kind]
	if kind.Seq2Seq == nil {
		return nil, fmt.Errorf("model.kind: %s data needs an encoder-decoder, which kind %s does not build; use %s",
			cfg.Data.Name, cfg.Model.Kind, kindsWith(func(k ModelKind) bool { return k.Seq2Seq != nil }))
	}
	sp, err := load(cfg)
	if err != nil {
		return nil, err
	}
	tr := sample(sp.train, cfg.Data.Limit, cfg.Seed)
	info := snapshot.DataInfo{Kind: snapshot.KindPairs, MaxLen: cfg.Data.MaxLen, TargetLen: targetLen(cfg.Data), Tokens: sp.tokens}
	if saved != nil {
		if err := checkSavedPairs(saved, cfg.Data.Name, sp.tokens); err != nil {
			return nil, err
		}
		info = *saved
	} else if err := learnVocabs(&info, tr, cfg.Data, shareVocab(cfg.Model)); err != nil {
		return nil, err
	}
	t := &pairTask{cfg: cfg, info: info, lens: bucketLens(info.MaxLen), truncate: sp.truncate, leadWords: sp.leadWords}
	t.tc = kind.Seq2Seq(cfg.Model, info)
	if err := t.tc.Validate(); err != nil {
		return nil, fmt.Errorf("model.%v", err)
	}
	t.train = t.encode(tr, true)
	t.val, t.test = t.encode(sp.val, false), t.encode(sp.test, false)
	return t, nil
}

// checkSavedPairs refuses a checkpoint whose data description cannot read pairs of tokens.
func checkSavedPairs(saved *snapshot.DataInfo, name, tokens string) error {
	if saved.Kind != snapshot.KindPairs || saved.Vocab == nil || saved.TargetVocab == nil {
		return fmt.Errorf("data %q is sequence pairs; the model was trained on %s data", name, snapshot.KindName(saved.Kind))
	}
	if (tokens == "bpe") != (saved.BPE != nil && saved.TargetBPE != nil) {
		return fmt.Errorf("data %q is read as %s; the checkpoint's model reads %s", name, tokens, saved.Tokens)
	}
	return nil
}

// shareVocab reports whether the model wants one vocabulary for sources and targets.
func shareVocab(m config.Model) bool {
	return m.Kind == "transformer" && m.Transformer().ShareEmbeddings
}

// learnVocabs builds the vocabularies of info from the training pairs tr: for subword units
// one BPE model per side, learned from the training texts, so that held-out text never shapes
// the units; otherwise a vocabulary of the tokens. joint learns one for both sides, from the
// sources and the targets together.
func learnVocabs(info *snapshot.DataInfo, tr []datasets.Pair, d config.Data, joint bool) error {
	src, tgt := make([][]string, len(tr)), make([][]string, len(tr))
	for i, p := range tr {
		src[i], tgt[i] = p.Source, p.Target
	}
	if info.Tokens == "bpe" && d.VocabSize <= 0 {
		return fmt.Errorf("data.vocab_size must be > 0 for %s's subword units, got %d", d.Name, d.VocabSize)
	}
	if joint {
		return learnJointVocab(info, append(src, tgt...), d)
	}
	if info.Tokens != "bpe" {
		info.Vocab = datasets.BuildVocab(src, d.MinCount, d.VocabSize)
		info.TargetVocab = datasets.BuildVocab(tgt, d.MinCount, d.VocabSize)
		return nil
	}
	var err error
	if info.BPE, err = learnBPE(src, d.VocabSize, "sources"); err != nil {
		return err
	}
	if info.TargetBPE, err = learnBPE(tgt, d.VocabSize, "targets"); err != nil {
		return err
	}
	info.Vocab, info.TargetVocab = info.BPE.Vocab(), info.TargetBPE.Vocab()
	return nil
}

// learnJointVocab gives info one vocabulary of texts (sources and targets) for both sides.
func learnJointVocab(info *snapshot.DataInfo, texts [][]string, d config.Data) error {
	if info.Tokens != "bpe" {
		info.Vocab = datasets.BuildVocab(texts, d.MinCount, d.VocabSize)
		info.TargetVocab = info.Vocab
		return nil
	}
	m, err := learnBPE(texts, d.VocabSize, "sources and targets")
	if err != nil {
		return err
	}
	info.BPE, info.TargetBPE = m, m
	info.Vocab, info.TargetVocab = m.Vocab(), m.Vocab()
	return nil
}

// learnBPE learns subword units from texts given as their words, vocabSize ids in all: the
// four special tokens (ids PadID to EosID) and vocabSize-4 units.
func learnBPE(texts [][]string, vocabSize int, side string) (*bpe.Model, error) {
	joined := make([]string, len(texts))
	for i, t := range texts {
		joined[i] = strings.Join(t, " ")
	}
	m, err := bpe.Learn(joined, vocabSize-(datasets.EosID+1))
	if err != nil {
		return nil, fmt.Errorf("data.vocab_size %d, training %s: %v", vocabSize, side, err)
	}
	return m, nil
}

// sample keeps limit pairs chosen by the seed, in their original order (all for limit 0): the
// data sets list pairs alphabetically, so the first ones would all start with "a".
func sample(pairs []datasets.Pair, limit int, seed uint64) []datasets.Pair {
	if limit <= 0 || limit >= len(pairs) {
		return pairs
	}
	keep := datasets.EpochOrder(len(pairs), seed, -1)[:limit]
	slices.Sort(keep)
	out := make([]datasets.Pair, limit)
	for i, j := range keep {
		out[i] = pairs[j]
	}
	return out
}

// seq2seqConfig is the encoder-decoder the model section describes for the vocabularies and
// lengths of info.
func seq2seqConfig(m config.Model, info snapshot.DataInfo) models.TransformerConfig {
	c := transformerConfig(m)
	c.SourceVocab, c.TargetVocab = info.Vocab.Size(), info.TargetVocab.Size()
	c.SourceLen, c.TargetLen = info.MaxLen, info.TargetLen
	c.DecoderLayers = m.Transformer().DecoderLayers
	return c
}

// encode turns pairs into ids. Training leaves out pairs too long for the model (they are
// counted in the log), or truncates their sources where the task says so; evaluation
// truncates sources and keeps the pairs, so they count as errors where the model cannot
// produce them.
func (t *pairTask) encode(pairs []datasets.Pair, training bool) []EncodedPair {
	out := make([]EncodedPair, 0, len(pairs))
	for _, p := range pairs {
		src := sourceIDs(t.info, p.Source)
		tgt := targetIDs(t.info, p.Target)
		if training && (len(src) > t.info.MaxLen && !t.truncate || len(tgt) >= t.info.TargetLen || len(src) == 0) {
			continue
		}
		out = append(out, EncodedPair{Key: p.Key, Src: truncate(src, t.info.MaxLen), Tgt: tgt, Ref: scored(t.info, p.Target)})
	}
	return out
}

// sourceIDs are the ids of source tokens (unknown ones <unk>), not truncated: subword units of
// the words' text when the model reads BPE units.
func sourceIDs(info snapshot.DataInfo, toks []string) []int {
	if info.BPE != nil {
		return info.BPE.IDs(strings.Join(toks, " "))
	}
	return info.Vocab.Encode(toks)
}

// targetIDs are the ids of target tokens, as sourceIDs.
func targetIDs(info snapshot.DataInfo, toks []string) []int {
	if info.TargetBPE != nil {
		return info.TargetBPE.IDs(strings.Join(toks, " "))
	}
	return info.TargetVocab.Encode(toks)
}

// truncate cuts ids to maxLen; no ids become a single <unk>.
func truncate(ids []int, maxLen int) []int {
	if len(ids) > maxLen {
		ids = ids[:maxLen]
	}
	if len(ids) == 0 {
		ids = []int{datasets.UnkID}
	}
	return ids
}

// EncodeSource maps source tokens to ids (unknown ones to <unk>), truncated to maxLen; an
// empty source becomes a single <unk>.
func EncodeSource(v *datasets.Vocab, toks []string, maxLen int) []int {
	return truncate(v.Encode(toks), maxLen)
}

func (t *pairTask) Info() snapshot.DataInfo { return t.info }
func (t *pairTask) Sizes() (train, val int) { return len(t.train), len(t.val) }

// Training batches are grouped by length: most words and phrases are far shorter than
// max_len, and a graph as long as the longest pair would spend most of its work on padding.
// Pairs go to the shortest of three graphs (40%, 60% and 100% of max_len) that fits them.

// bucketLens are the source lengths of the training graphs for max_len m, ascending, the
// last m.
func bucketLens(m int) []int {
	var lens []int
	for _, l := range []int{(2*m + 4) / 5, (3*m + 4) / 5, m} {
		if l > 0 && (len(lens) == 0 || l > lens[len(lens)-1]) {
			lens = append(lens, l)
		}
	}
	return lens
}

// bucket is the index in lens of the shortest graph that fits p: its source, and its target
// and <eos> within the group's target length (full being the model's).
func bucket(lens []int, full int, p EncodedPair) int {
	for k, l := range lens {
		if len(p.Src) <= l && len(p.Tgt)+1 <= groupTargetLen(l, full) {
			return k
		}
	}
	return len(lens) - 1
}

// Batches shuffles the pairs, cuts each length group into batches and shuffles the batches,
// all fixed by the seed and the epoch.
func (t *pairTask) Batches(epoch int) [][]int {
	lens := t.lens
	groups := make([][]int, len(lens))
	for _, i := range datasets.EpochOrder(len(t.train), t.cfg.Seed, epoch) {
		k := bucket(lens, t.info.TargetLen, t.train[i])
		groups[k] = append(groups[k], i)
	}
	var all [][]int
	for _, g := range groups {
		all = append(all, datasets.Batches(g, t.cfg.Train.BatchSize)...)
	}
	r := rand.New(rand.NewPCG(t.cfg.Seed, uint64(epoch)^0xb7c4e7))
	r.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
	return all
}

// NewGraph builds the training graph of one length group: shape 0 is the longest (it
// creates the parameters), shape l a graph of sources of l tokens and targets of l+1.
func (t *pairTask) NewGraph(shape int, shared []*graphs.Param, seed uint64) (*models.Graph, error) {
	m, err := models.BuildSeq2Seq(t.shapeConfig(shape), models.BuildOptions{Batch: t.cfg.Train.BatchSize, Training: true, Seed: seed,
		Shared: shared, LabelSmoothing: t.cfg.Train.LabelSmoothing})
	if err != nil {
		return nil, err
	}
	return m.Graph, nil
}

// shapeConfig is the model of length group shape (0: the full lengths).
func (t *pairTask) shapeConfig(shape int) models.TransformerConfig {
	c := t.tc
	if shape > 0 {
		c.SourceLen, c.TargetLen = shape, groupTargetLen(shape, t.info.TargetLen)
	}
	return c
}

// targetLen is the decoder's length of d: data.target_len, or max_len + 1.
func targetLen(d config.Data) int {
	if d.TargetLen > 0 {
		return d.TargetLen
	}
	return d.MaxLen + 1
}

// groupTargetLen is the decoder length of the length group of sources of l tokens: l + 1,
// at most the model's full target length.
func groupTargetLen(l, full int) int { return min(l+1, full) }

// Batch writes pairs idx into the batch of their length group: the group of their longest
// pair, the longest group being the full graph (shape 0).
func (t *pairTask) Batch(idx []int) models.Batch {
	lens := t.lens
	k := 0
	for _, i := range idx {
		k = max(k, bucket(lens, t.info.TargetLen, t.train[i]))
	}
	shape := lens[k]
	if k == len(lens)-1 {
		shape = 0
	}
	if t.batches == nil {
		t.batches = map[int]*pairFiller{}
	}
	f, ok := t.batches[shape]
	if !ok {
		f = newPairBatch(t.cfg.Train.BatchSize, t.shapeConfig(shape))
		f.batch.Shape = shape
		t.batches[shape] = f
	}
	f.fill(t.train, idx)
	f.batch.Examples = len(idx)
	return f.batch
}

// pairFiller writes pairs into the buffers of a batch for a Seq2Seq graph.
type pairFiller struct {
	src, mask, tgtIn, labels, weights []float32
	s, t                              int
	batch                             models.Batch // of those buffers
}

// newPairBatch is a pairFiller of its own batch buffers, for batch pairs of model c.
func newPairBatch(batch int, c models.TransformerConfig) *pairFiller {
	f := &pairFiller{src: make([]float32, batch*c.SourceLen), mask: make([]float32, batch*c.SourceLen),
		tgtIn: make([]float32, batch*c.TargetLen), labels: make([]float32, batch*c.TargetLen),
		weights: make([]float32, batch*c.TargetLen), s: c.SourceLen, t: c.TargetLen}
	f.batch.Inputs = map[string][]float32{"source": f.src, "source_mask": f.mask, "target_in": f.tgtIn,
		"labels": f.labels, "weights": f.weights}
	return f
}

// fill writes pairs idx of data: sources and their mask, decoder inputs <bos> y1 … yn, and
// the targets y1 … yn <eos> as labels weighted 1/(target tokens in the batch), as
// F.cross_entropy's mean over tokens (the graph's loss applies label smoothing). Targets
// longer than the graph are cut (evaluation).
func (f *pairFiller) fill(data []EncodedPair, idx []int) {
	clear(f.src)
	clear(f.mask)
	clear(f.tgtIn)
	clear(f.labels)
	clear(f.weights)
	tokens := 0
	for _, j := range idx {
		tokens += min(len(data[j].Tgt)+1, f.t)
	}
	w := float32(1 / float64(tokens))
	for r, j := range idx {
		p := data[j]
		for k, id := range p.Src {
			f.src[r*f.s+k], f.mask[r*f.s+k] = float32(id), 1
		}
		f.tgtIn[r*f.t] = datasets.BosID
		for k := 0; k < min(len(p.Tgt)+1, f.t); k++ {
			next := datasets.EosID
			if k < len(p.Tgt) {
				next = p.Tgt[k]
				if k+1 < f.t {
					f.tgtIn[r*f.t+k+1] = float32(next)
				}
			}
			f.labels[r*f.t+k], f.weights[r*f.t+k] = float32(next), w
		}
	}
}

func (t *pairTask) NewEvaluator(params []*graphs.Param, batch int) (Evaluator, error) {
	m, err := models.BuildSeq2Seq(t.tc, models.BuildOptions{Batch: batch, Shared: params})
	if err != nil {
		return nil, err
	}
	return &pairEvaluator{task: t, m: m, batch: batch, fill: newPairBatch(batch, t.tc), vm: newMachine(m.Graph)}, nil
}

// pairEvaluator scores a sequence-to-sequence model: teacher-forced loss and token accuracy
// always, and with decoding the error rates or BLEU of its outputs.
type pairEvaluator struct {
	task  *pairTask
	m     *models.Seq2Seq
	batch int
	fill  *pairFiller
	vm    G.VM
}

func (e *pairEvaluator) Params() []*graphs.Param { return e.m.Params() }

func (e *pairEvaluator) Close() error { return e.vm.Close() }

// UseArena: see SharesBuffers.
func (e *pairEvaluator) UseArena(a *graphs.Arena) { useArena(e.vm, a) }

func (e *pairEvaluator) Evaluate(ctx context.Context, split string, o EvalOptions) (Metrics, error) {
	data, err := pickSplit(split, e.task.train, e.task.val, e.task.test)
	if err != nil {
		return Metrics{}, err
	}
	m, err := e.teacherForced(ctx, split, data)
	if err != nil || !o.Decode {
		return m, err
	}
	return m, e.decode(ctx, &m, data, o)
}

// teacherForced computes the mean cross-entropy per target token (<eos> included) and the
// share of target tokens predicted right given the true prefix.
func (e *pairEvaluator) teacherForced(ctx context.Context, split string, data []EncodedPair) (Metrics, error) {
	m := Metrics{Split: split, Examples: len(data)}
	v, t := e.task.tc.TargetVocab, e.task.tc.TargetLen
	var nll float64
	var n, correct int
	idx := make([]int, 0, e.batch)
	for start := 0; start < len(data); start += e.batch {
		if err := interrupted(ctx, start, len(data), "examples"); err != nil {
			return m, err
		}
		idx = idx[:0]
		for i := start; i < min(start+e.batch, len(data)); i++ {
			idx = append(idx, i)
		}
		e.fill.fill(data, idx)
		if err := e.m.Fill(e.fill.batch); err != nil {
			return m, err
		}
		e.vm.Reset() // without it the machine silently does not run again
		if err := e.vm.RunAll(); err != nil {
			return m, fmt.Errorf("evaluation: %w", err)
		}
		logits := graphs.Float32s(e.m.Logits)
		for r, j := range idx {
			tgt := data[j].Tgt
			for k := 0; k < min(len(tgt)+1, t); k++ {
				next := datasets.EosID
				if k < len(tgt) {
					next = tgt[k]
				}
				row := logits[(r*t+k)*v:][:v]
				nll -= logSoftmaxAt(row, next)
				if argmax(row) == next {
					correct++
				}
				n++
			}
		}
	}
	if n > 0 {
		m.Loss, m.Accuracy = nll/float64(n), float64(correct)/float64(n)
		m.Perplexity = metrics.Perplexity(m.Loss)
	}
	return m, nil
}

// decode translates every distinct source of data and scores the outputs against all the
// references of its key.
func (e *pairEvaluator) decode(ctx context.Context, m *Metrics, data []EncodedPair, o EvalOptions) error {
	beam := e.task.cfg.Decode.Beam
	if o.Beam > 0 {
		beam = o.Beam
	}
	tr, err := models.NewTranslator(e.task.tc, e.m.Params(), e.batch, beam)
	if err != nil {
		return err
	}
	defer tr.Close()
	alpha := e.task.cfg.Decode.LengthPenalty
	if o.LengthPenalty != nil {
		alpha = *o.LengthPenalty
	}
	keys, srcs, refs := groupByKey(data)
	hyps := make([][]int, 0, len(keys))
	for start := 0; start < len(srcs); start += e.batch {
		if err := interrupted(ctx, start, len(srcs), "decoded sources"); err != nil {
			return err
		}
		out, err := tr.Translate(srcs[start:min(start+e.batch, len(srcs))], alpha)
		if err != nil {
			return err
		}
		hyps = append(hyps, out...)
	}
	if o.Plots {
		if err := e.keepAttention(ctx, m, tr, keys, srcs, hyps); err != nil {
			return err
		}
	}
	var rates metrics.ErrorRates
	var hypText []string
	refStreams := [][]string{}
	for i, h := range hyps {
		words := strings.Fields(OutputText(e.task.info, h))
		rs := refs[i] // as written: a word outside the vocabulary stays itself, not <unk>
		rates.Add(words, rs)
		hypText = append(hypText, strings.Join(words, " "))
		for k, r := range rs {
			for len(refStreams) <= k {
				refStreams = append(refStreams, make([]string, len(hyps)))
			}
			refStreams[k][i] = strings.Join(r, " ")
		}
		if i < o.Samples {
			m.Samples = append(m.Samples, Sample{Source: keys[i], Reference: joinRefs(rs), Hypothesis: strings.Join(words, " ")})
		}
	}
	m.Examples = len(hyps)
	wer := rates.WER()
	m.WER = &wer
	if e.task.info.Tokens == "phonemes" {
		per := rates.PER()
		m.PER = &per
		return nil
	}
	return e.task.scoreText(m, keys, hypText, refStreams)
}

// scored is target tokens as they are scored: characters as the words they spell, other
// tokens (words of BPE pairs among them) as they are.
func scored(info snapshot.DataInfo, toks []string) []string {
	if info.Tokens == "chars" {
		return datasets.Words(toks)
	}
	return toks
}

// groupByKey lists each key once, in first-seen order, with its source and every reference.
func groupByKey(data []EncodedPair) (keys []string, srcs [][]int, refs [][][]string) {
	at := map[string]int{}
	for _, p := range data {
		i, ok := at[p.Key]
		if !ok {
			i = len(keys)
			at[p.Key] = i
			keys, srcs, refs = append(keys, p.Key), append(srcs, p.Src), append(refs, nil)
		}
		refs[i] = append(refs[i], p.Ref)
	}
	return keys, srcs, refs
}

func joinRefs(rs [][]string) string {
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = strings.Join(r, " ")
	}
	return strings.Join(parts, " | ")
}
