package experiment

import (
	"context"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/gorgonet/gorgonet/config"
	"github.com/gorgonet/gorgonet/datasets"
	"github.com/gorgonet/gorgonet/datasets/bpe"
	"github.com/gorgonet/gorgonet/internal/testrun"
	"github.com/gorgonet/gorgonet/snapshot"
)

// textPairs are pairs of texts as the sentence sets hold them: keyed by the source, each side
// its words as written.
func textPairs(st ...string) []datasets.Pair {
	var out []datasets.Pair
	for i := 0; i+1 < len(st); i += 2 {
		out = append(out, datasets.Pair{Key: st[i], Source: strings.Fields(st[i]), Target: strings.Fields(st[i+1])})
	}
	return out
}

var (
	spanishTrain = textPairs(
		"el perro come pan", "the dog eats bread",
		"el hombre come", "the man eats",
		"la mujer bebe agua", "the woman drinks water",
		"el perro bebe agua", "the dog drinks water",
		"el hombre ve el perro", "the man sees the dog",
		"la mujer ve el pan", "the woman sees the bread",
	)
	spanishVal = textPairs("el niño come pan", "the child eats bread", "la mujer come", "the woman eats")
	// otherTrain is a different training split, as a checkpoint's data might read another day.
	otherTrain = textPairs("zzz qqq", "xxx yyy", "qqq zzz", "yyy xxx")
)

// stubPairs is the pair task of fixed splits with the tiny Bible run's config, which reads
// no corpus until its task is loaded.
func stubPairs(t *testing.T, train, val []datasets.Pair, leadWords int) (config.Experiment, TaskLoader) {
	t.Helper()
	cfg, err := testrun.TaskConfig("bible-es-en-transformer", "data.max_len=8")
	if err != nil {
		t.Fatal(err)
	}
	load := func(config.Experiment) (pairSplits, error) {
		return pairSplits{train: train, val: val, test: val, tokens: "bpe", truncate: leadWords > 0, leadWords: leadWords}, nil
	}
	return cfg, pairSet(load)
}

// TestBPEUnitsFromTrainingOnly: subword units are learned per side from the training split
// alone (a character only held-out text has reads as <unk>), the vocabularies are the BPE
// models', and references stay the words as written.
func TestBPEUnitsFromTrainingOnly(t *testing.T) {
	cfg, load := stubPairs(t, spanishTrain, spanishVal, 0)
	task, err := load(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	info := task.Info()
	if info.Tokens != "bpe" || info.BPE == nil || info.TargetBPE == nil {
		t.Fatalf("tokens %q, BPE %v, TargetBPE %v; want bpe and two models", info.Tokens, info.BPE, info.TargetBPE)
	}
	if info.Vocab != info.BPE.Vocab() || info.TargetVocab != info.TargetBPE.Vocab() {
		t.Error("the vocabularies are not the BPE models'")
	}
	if slices.Contains(info.TargetBPE.Units(), "ñ") || slices.Contains(info.Vocab.Tokens, "t") {
		t.Error("a side's units hold characters of the other side or of held-out text")
	}
	p := task.(*pairTask)
	if got := info.BPE.DecodeIDs(p.train[0].Src); got != "el perro come pan" {
		t.Errorf("training source 0 decodes to %q, want %q", got, "el perro come pan")
	}
	if !slices.Contains(p.val[0].Src, datasets.UnkID) {
		t.Errorf("held-out source %q has no <unk>, but ñ is not in training: ids %v", p.val[0].Key, p.val[0].Src)
	}
	if want := []string{"the", "child", "eats", "bread"}; !slices.Equal(p.val[0].Ref, want) {
		t.Errorf("reference %q, want %q", p.val[0].Ref, want)
	}
}

// TestBPEVocabTooSmall: a data.vocab_size below the training texts' characters is a
// one-line error naming the key, not a panic.
func TestBPEVocabTooSmall(t *testing.T) {
	cfg, load := stubPairs(t, spanishTrain, spanishVal, 0)
	cfg.Data.VocabSize = 8
	_, err := load(cfg, nil)
	if err == nil || !strings.Contains(err.Error(), "data.vocab_size") || strings.Contains(err.Error(), "\n") {
		t.Errorf("vocab_size 8: error %v, want one line naming data.vocab_size", err)
	}
}

// savePairs writes the untrained model of task as a checkpoint of cfg.
func savePairs(t *testing.T, cfg config.Experiment, task Task) *snapshot.Loaded {
	t.Helper()
	g, err := task.NewGraph(0, nil, cfg.Seed)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "bpe.safetensors")
	if err := snapshot.Save(path, snapshot.State{Config: cfg, Info: task.Info(), Params: g.Params(), States: g.Scope.States()}); err != nil {
		t.Fatal(err)
	}
	l, err := snapshot.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// TestBPECheckpointRoundTrip: evaluating a checkpoint cuts its data with the saved BPE
// models, never ones relearned from the data read now, and decoded outputs are scored as
// text by BLEU and chrF.
func TestBPECheckpointRoundTrip(t *testing.T) {
	cfg, load := stubPairs(t, spanishTrain, spanishVal, 0)
	task, err := load(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	l := savePairs(t, cfg, task)
	cfg2, reload := stubPairs(t, otherTrain, spanishVal, 0)
	again, err := reload(cfg2, &l.Info)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := again.Info().BPE.Merges(), task.Info().BPE.Merges(); !slices.Equal(got, want) {
		t.Errorf("evaluation's source merges %v, want the checkpoint's %v", got, want)
	}
	if got, want := again.(*pairTask).val[1].Src, task.(*pairTask).val[1].Src; !slices.Equal(got, want) {
		t.Errorf("held-out source ids %v, want %v as the checkpoint cut them", got, want)
	}
	m := evaluateSaved(t, again, l)
	if m.BLEU == nil || m.CHRF == nil || m.RougeL != nil {
		t.Errorf("translation metrics: BLEU %v, chrF %v, ROUGE-L %v; want BLEU and chrF only", m.BLEU, m.CHRF, m.RougeL)
	}
	for _, s := range m.Samples {
		if !utf8.ValidString(s.Hypothesis) || strings.Contains(s.Hypothesis, "▁") {
			t.Errorf("hypothesis %q is not decoded text", s.Hypothesis)
		}
	}
	if _, err := reload(cfg2, &snapshot.DataInfo{Kind: snapshot.KindPairs, Vocab: l.Info.Vocab, TargetVocab: l.Info.TargetVocab, Tokens: "words"}); err == nil {
		t.Error("a words checkpoint evaluated BPE data without an error")
	}
}

// TestSharedEmbeddings: model.transformer.share_embeddings learns one BPE model from sources
// and targets together, and the model has one embedding table (src_emb.weight, no tgt_emb or
// out.weight) which survives a checkpoint and decodes.
func TestSharedEmbeddings(t *testing.T) {
	cfg, load := stubPairs(t, spanishTrain, spanishVal, 0)
	tf := cfg.Model.Transformer()
	tf.ShareEmbeddings = true
	cfg.Model.Block = tf
	task, err := load(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	info := task.Info()
	if info.Vocab != info.TargetVocab || info.BPE != info.TargetBPE {
		t.Fatal("sources and targets have vocabularies of their own")
	}
	for _, ch := range []string{"j", "w"} { // one only in the Spanish sources, one only in the English targets
		if !slices.Contains(info.BPE.Units(), ch) {
			t.Errorf("the joint units lack %q: %v", ch, info.BPE.Units())
		}
	}
	g, err := task.NewGraph(0, nil, cfg.Seed)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range g.Params() {
		names = append(names, p.Name)
	}
	if slices.Contains(names, "tgt_emb.weight") || slices.Contains(names, "out.weight") ||
		!slices.Contains(names, "src_emb.weight") || !slices.Contains(names, "out.bias") {
		t.Errorf("parameters %v, want src_emb.weight and out.bias without tgt_emb.weight and out.weight", names)
	}
	l := savePairs(t, cfg, task)
	again, err := load(l.Config, &l.Info)
	if err != nil {
		t.Fatal(err)
	}
	if m := evaluateSaved(t, again, l); m.BLEU == nil {
		t.Error("no BLEU from the shared model's checkpoint")
	}
}

// TestSharedEmbeddingsNeedPairs: the encoder-only classifier has no target side to share.
func TestSharedEmbeddingsNeedPairs(t *testing.T) {
	cfg, err := testrun.TaskConfig("sentiment-lstm", "model.kind=transformer", "model.transformer.share_embeddings=true")
	if err != nil {
		t.Fatal(err)
	}
	task, err := LoadTask(cfg, nil)
	if err == nil {
		_, err = task.NewGraph(0, nil, cfg.Seed)
	}
	if err == nil || !strings.Contains(err.Error(), "share_embeddings") {
		t.Errorf("a classifier sharing embeddings: error %v, want one naming share_embeddings", err)
	}
}

// evaluateSaved decodes task's validation split with the checkpoint's parameters.
func evaluateSaved(t *testing.T, task Task, l *snapshot.Loaded) Metrics {
	t.Helper()
	ev, err := task.NewEvaluator(nil, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer ev.Close()
	if err := l.RestoreParams(ev.Params()); err != nil {
		t.Fatal(err)
	}
	m, err := ev.Evaluate(context.Background(), "val", EvalOptions{Decode: true, Samples: 2})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestSummaryLeadBaseline: a summarisation scores its outputs by ROUGE and reports the lead
// baseline of the same sources, checked here by hand.
func TestSummaryLeadBaseline(t *testing.T) {
	val := textPairs("Foo is a tool. It does bar.", "foo is a tool")
	cfg, load := stubPairs(t, spanishTrain, val, 3)
	task, err := load(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	m := evaluateSaved(t, task, savePairs(t, cfg, task))
	if m.BLEU != nil || m.Rouge1 == nil || m.Rouge2 == nil || m.RougeL == nil {
		t.Fatalf("summary metrics: BLEU %v, ROUGE %v %v %v; want ROUGE only", m.BLEU, m.Rouge1, m.Rouge2, m.RougeL)
	}
	// The lead "Foo is a" against "foo is a tool": 3 of 3 unigrams match 3 of 4 (F1 6/7),
	// 2 of 2 bigrams 2 of 3 (F1 4/5), the longest common subsequence is 3 long (F1 6/7).
	for _, c := range []struct {
		name      string
		got, want float64
	}{{"lead ROUGE-1", *m.LeadRouge1, 600.0 / 7}, {"lead ROUGE-2", *m.LeadRouge2, 80}, {"lead ROUGE-L", *m.LeadRougeL, 600.0 / 7}} {
		if math.Abs(c.got-c.want) > 1e-9 {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestLead(t *testing.T) {
	for _, tt := range []struct {
		text  string
		words int
		want  string
	}{
		{"Foo is a tool. It does bar.", 10, "Foo is a tool."},
		{"Foo is a tool. It does bar.", 3, "Foo is a"},
		{"Version 1.2 of foo! More here", 10, "Version 1.2 of foo!"},
		{"Runs fast?\nSecond line.", 10, "Runs fast?"},
		{"No full stop\n\nSecond paragraph.", 10, "No full stop"},
		{"  ", 5, ""},
	} {
		if got := Lead(tt.text, tt.words); got != tt.want {
			t.Errorf("Lead(%q, %d) = %q, want %q", tt.text, tt.words, got, tt.want)
		}
	}
}

func TestLeadLength(t *testing.T) {
	var train []datasets.Pair
	for n := 1; n <= 20; n++ {
		train = append(train, datasets.Pair{Target: make([]string, n)})
	}
	if got := leadLength(train); got != 19 {
		t.Errorf("95th percentile of lengths 1..20 = %d, want 19 (nearest rank)", got)
	}
	if got := leadLength(nil); got != 1 {
		t.Errorf("leadLength(nil) = %d, want 1", got)
	}
}

// TestTranslatorBPEInputs: predict reads a user's text with the checkpoint's BPE model and
// writes text; empty input gives empty output, long input is cut and flagged, characters
// never seen read as <unk>, and none of them panics.
func TestTranslatorBPEInputs(t *testing.T) {
	cfg, load := stubPairs(t, spanishTrain, spanishVal, 0)
	task, err := load(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	l := savePairs(t, cfg, task)
	tr, err := OpenTranslator(l, 2, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	inputs := []string{"el perro come pan", "", strings.Repeat("el hombre come pan ", 10), "ñ ☃\xff"}
	out, err := tr.Convert(context.Background(), inputs)
	if err != nil {
		t.Fatal(err)
	}
	if out[1].Output != "" || out[1].Truncated {
		t.Errorf("empty input: %+v, want an empty output", out[1])
	}
	if !out[2].Truncated || out[0].Truncated || out[3].Truncated {
		t.Errorf("truncated flags %v %v %v, want only the 40-word input's", out[0].Truncated, out[2].Truncated, out[3].Truncated)
	}
	for _, c := range out {
		if !utf8.ValidString(c.Output) || strings.Contains(c.Output, bpe.Marker) {
			t.Errorf("%q → %q, want decoded text", c.Input, c.Output)
		}
	}
	if got := SourceTokens(l.Info, "日本"); !slices.Equal(got, []string{bpe.Marker, bpe.Unk, bpe.Unk}) {
		t.Errorf("unseen characters read as %q, want <unk>", got)
	}
}

// TestSentenceSets: the Bible and the Debian descriptions load as BPE pair tasks (skipped
// where the corpora are not installed); descriptions longer than max_len units train cut,
// and the lead baseline is about as long as a synopsis.
func TestSentenceSets(t *testing.T) {
	for _, tt := range []struct {
		name      string
		available func() bool
	}{{"bible-es-en-transformer", testrun.BibleAvailable}, {"debian-summary-transformer", testrun.DescriptionsAvailable}} {
		t.Run(tt.name, func(t *testing.T) {
			if !tt.available() {
				t.Skip("corpus not installed")
			}
			p := tinyTask(t, tt.name).(*pairTask)
			info := p.Info()
			if info.Tokens != "bpe" || info.BPE == nil || info.Vocab.Size() > 300 || info.TargetVocab.Size() > 300 {
				t.Fatalf("tokens %q, vocabularies %d and %d; want bpe units, at most data.vocab_size 300", info.Tokens, info.Vocab.Size(), info.TargetVocab.Size())
			}
			if len(p.train) == 0 || len(p.val) == 0 || len(p.test) == 0 {
				t.Fatalf("splits of %d, %d and %d pairs", len(p.train), len(p.val), len(p.test))
			}
			cut := 0 // training pairs whose source is longer than the model reads
			for _, e := range p.train {
				if len(info.BPE.IDs(e.Key)) > info.MaxLen && len(e.Src) == info.MaxLen {
					cut++
				}
			}
			summaries := tt.name == "debian-summary-transformer"
			if summaries != (p.leadWords > 0) || summaries && (p.leadWords < 5 || p.leadWords > 30) {
				t.Errorf("lead baseline of %d words", p.leadWords)
			}
			if summaries != (cut > 0) {
				t.Errorf("%d training sources longer than max_len %d kept, cut to it", cut, info.MaxLen)
			}
			if summaries {
				return
			}
			cfg, err := testrun.TaskConfig(tt.name, "data.units=words")
			if err != nil {
				t.Fatal(err)
			}
			words, err := LoadTask(cfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			if wi := words.Info(); wi.Tokens != "words" || wi.BPE != nil || !slices.Contains(wi.Vocab.Tokens, "dios") {
				t.Errorf("units words: tokens %q, BPE %v; want lower-case words and no BPE", wi.Tokens, wi.BPE)
			}
		})
	}
}

// TestCharReferencesScoredOnce: character targets are scored as the words they spell, the
// references exactly once (a second pass would run the words together).
func TestCharReferencesScoredOnce(t *testing.T) {
	cfg, _ := stubPairs(t, nil, nil, 0)
	chars := func(s ...string) []datasets.Pair {
		var out []datasets.Pair
		for i := 0; i+1 < len(s); i += 2 {
			out = append(out, datasets.Pair{Key: s[i], Source: datasets.Chars(datasets.Tokenize(s[i])), Target: datasets.Chars(datasets.Tokenize(s[i+1]))})
		}
		return out
	}
	train := chars("el perro", "the dog", "la mujer", "the woman")
	load := pairSet(func(config.Experiment) (pairSplits, error) {
		return pairSplits{train: train, val: train, test: train, tokens: "chars"}, nil
	})
	task, err := load(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	m := evaluateSaved(t, task, savePairs(t, cfg, task))
	if len(m.Samples) == 0 || m.Samples[0].Reference != "the dog" {
		t.Errorf("samples %+v, want the first reference %q", m.Samples, "the dog")
	}
}

// TestEmptySplitScores: an empty held-out split decodes to no scores, not a panic.
func TestEmptySplitScores(t *testing.T) {
	for _, lead := range []int{0, 3} {
		cfg, load := stubPairs(t, spanishTrain, nil, lead)
		task, err := load(cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		m := evaluateSaved(t, task, savePairs(t, cfg, task))
		if m.Examples != 0 {
			t.Errorf("lead %d: %d examples of an empty split", lead, m.Examples)
		}
	}
}
