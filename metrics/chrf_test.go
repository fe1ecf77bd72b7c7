package metrics

import (
	"math"
	"slices"
	"strings"
	"testing"
)

// The expected scores below are sacrebleu's own, from its repository (github.com/mjpost/sacrebleu,
// snapshot of 2026-01-12): test/test_chrf.py (checked there to 1e-4) and README.md.

// TestCHRFSacrebleuDefaultREADME is README.md's "Using SacreBLEU from Python" example:
// CHRF().corpus_score(sys, refs) with two reference streams prints "chrF2 = 59.73".
func TestCHRFSacrebleuDefaultREADME(t *testing.T) {
	refs := [][]string{
		{"The dog bit the man.", "It was not unexpected.", "The man bit him first."},
		{"The dog had bit the man.", "No one was surprised.", "The man had bitten the dog."},
	}
	sys := []string{"The dog bit the man.", "It wasn't surprising.", "The man had just bitten him."}
	c, err := CorpusCHRFMultiRef(sys, refs)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.String(); got != "chrF2 = 59.73" {
		t.Errorf("got %s, want chrF2 = 59.73", got)
	}
}

// chrfCase is one of test_chrf.py's (hypotheses, references, expected_score) triples, scored
// with sacrebleu.corpus_chrf(hypotheses, [references], ...).
type chrfCase struct {
	hyps, refs []string
	want       float64
}

func checkCHRF(t *testing.T, opts CHRFOptions, cases []chrfCase) {
	t.Helper()
	for _, c := range cases {
		got, err := opts.Corpus(c.hyps, [][]string{c.refs})
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(got.Score-c.want) >= 1e-4 {
			t.Errorf("%+v: chrF(%q, %q) = %.6f, want %.6f", opts, c.hyps, c.refs, got.Score, c.want)
		}
	}
}

// TestCHRFSacrebleuEpsSmoothing is test_chrf.py's test_cases: char_order=6, word_order=0,
// beta=3, eps_smoothing=True.
func TestCHRFSacrebleuEpsSmoothing(t *testing.T) {
	checkCHRF(t, CHRFOptions{CharOrder: 6, Beta: 3, EpsSmoothing: true}, []chrfCase{
		{[]string{"abcdefg"}, []string{"hijklmnop"}, 0.0},
		{[]string{"a"}, []string{"b"}, 0.0},
		{[]string{""}, []string{"b"}, 0.0},
		{[]string{""}, []string{"ref"}, 0.0},
		{[]string{""}, []string{"reference"}, 0.0},
		{[]string{"aa"}, []string{"ab"}, 8.3333},
		{[]string{"a", "b"}, []string{"a", "c"}, 8.3333},
		{[]string{"a"}, []string{"a"}, 16.6667},
		{[]string{"a b c"}, []string{"a b c"}, 50.0},
		{[]string{"a b c"}, []string{"abc"}, 50.0},
		{[]string{" risk assessment must be made of those who are qualified and expertise in the sector - these are the scientists ."},
			[]string{"risk assessment has to be undertaken by those who are qualified and expert in that area - that is the scientists ."}, 63.361730},
		{[]string{" Die    Beziehung zwischen  Obama und Netanjahu ist nicht gerade  freundlich. "},
			[]string{"Das Verhältnis zwischen Obama und Netanyahu ist nicht gerade freundschaftlich."}, 64.1302698},
		{[]string{"Niemand hat die Absicht, eine Mauer zu errichten"}, []string{"Niemand hat die Absicht, eine Mauer zu errichten"}, 100.0},
	})
}

// TestCHRFSacrebleuEffectiveOrder is test_chrf.py's test_cases_effective_order: beta=3,
// eps_smoothing=False (sacrebleu's default smoothing).
func TestCHRFSacrebleuEffectiveOrder(t *testing.T) {
	checkCHRF(t, CHRFOptions{Beta: 3}, []chrfCase{
		{[]string{"a"}, []string{"a"}, 100.0},
		{[]string{""}, []string{"reference"}, 0.0},
		{[]string{"a b c"}, []string{"a b c"}, 100.0},
		{[]string{"a b c"}, []string{"abc"}, 100.0},
		{[]string{""}, []string{"c"}, 0.0},
		{[]string{"a", "b"}, []string{"a", "c"}, 50.0},
		{[]string{"aa"}, []string{"ab"}, 25.0},
	})
}

// TestCHRFSacrebleuKeepWhitespace is test_chrf.py's test_cases_keep_whitespace: beta=3,
// remove_whitespace=False (whitespace=True in sacrebleu 2.x).
func TestCHRFSacrebleuKeepWhitespace(t *testing.T) {
	checkCHRF(t, CHRFOptions{Beta: 3, Whitespace: true}, []chrfCase{
		{[]string{"Die Beziehung zwischen Obama und Netanjahu ist nicht gerade freundlich."},
			[]string{"Das Verhältnis zwischen Obama und Netanyahu ist nicht gerade freundschaftlich."}, 67.3481606},
		{[]string{"risk assessment must be made of those who are qualified and expertise in the sector - these are the scientists ."},
			[]string{"risk assessment has to be undertaken by those who are qualified and expert in that area - that is the scientists ."}, 65.2414427},
	})
}

// TestCHRFSacrebleuSentenceLevel is test_chrf.py's test_sentence_level_chrf:
// sentence_chrf(hypothesis, references, eps_smoothing=True), beta 2.
func TestCHRFSacrebleuSentenceLevel(t *testing.T) {
	for _, c := range []struct {
		hyp, ref string
		want     float64
	}{
		{"Co nás nejvíc trápí, protože lékaři si vybírají, kdo bude žít a kdo zemře.",
			"Nejvíce smutní jsme z toho, že musíme rozhodovat o tom, kdo bude žít a kdo zemře.", 39.14078509},
		{"Nebo prostě nemají vybavení, které by jim pomohlo, uvedli lékaři.",
			"A někdy nemáme ani potřebný materiál, abychom jim pomohli, popsali lékaři.", 31.22557079},
		{"Lapali po dechu, jejich životy skončily dřív, než skutečně začaly.",
			"Lapali po dechu a pak jejich život skončil - dřív, než skutečně mohl začít, připomněli.", 57.15704367},
	} {
		got := CHRFOptions{EpsSmoothing: true}.Sentence(c.hyp, []string{c.ref})
		if math.Abs(got.Score-c.want) >= 1e-4 {
			t.Errorf("sentence chrF(%q) = %.8f, want %.8f", c.hyp, got.Score, c.want)
		}
	}
}

// TestCHRFHandComputed works the default statistics out by hand.
func TestCHRFHandComputed(t *testing.T) {
	// hyp "ab" vs ref "abc": 1-grams a b / a b c: 2 matches of 2 hyp, 3 ref; 2-grams ab / ab bc:
	// 1 of 1, 2 ref; 3-grams: the hyp has none (0), the ref has abc (1). Orders 1 and 2 are
	// effective: P = (1 + 1)/2 = 1, R = (2/3 + 1/2)/2 = 7/12; F2 = 5·P·R / (4·P + R).
	c, err := CorpusCHRF([]string{"a b"}, []string{"abc"})
	if err != nil {
		t.Fatal(err)
	}
	want := 100 * 5 * (7.0 / 12) / (4 + 7.0/12)
	if !closeTo(c.Score, want) {
		t.Errorf("score %v, want %v", c.Score, want)
	}
	if !slices.Equal(c.Hyp, []int{2, 1, 0, 0, 0, 0}) || !slices.Equal(c.Ref, []int{3, 2, 1, 0, 0, 0}) || !slices.Equal(c.Match, []int{2, 1, 0, 0, 0, 0}) {
		t.Errorf("stats hyp %v ref %v match %v", c.Hyp, c.Ref, c.Match)
	}
	// A hypothesis n-gram counts only where the reference has n-grams of that order: "abcd"
	// against "ab" has 3-grams, but the reference has none, so order 3 adds 0 hypothesis grams.
	c, _ = CorpusCHRF([]string{"abcd"}, []string{"ab"})
	if c.Hyp[2] != 0 || c.Hyp[0] != 4 {
		t.Errorf("hyp counts %v, want 4 … and 0 at order 3", c.Hyp)
	}
}

// TestCHRFPicksTheBestReference checks the per-sentence choice: the better reference's
// statistics are summed, and missing ("") references are skipped.
func TestCHRFPicksTheBestReference(t *testing.T) {
	hyps := []string{"the cat sat", "a dog"}
	exact := []string{"the cat sat", "a dog"}
	poor := []string{"xyz", "qq"}
	both, err := CorpusCHRFMultiRef(hyps, [][]string{poor, exact})
	if err != nil {
		t.Fatal(err)
	}
	if !closeTo(both.Score, 100) {
		t.Errorf("with an exact reference in the second stream: %v, want 100", both.Score)
	}
	missing, err := CorpusCHRFMultiRef(hyps, [][]string{{"", "a dog"}, {"the cat sat", ""}})
	if err != nil {
		t.Fatal(err)
	}
	if !closeTo(missing.Score, 100) {
		t.Errorf("with missing references: %v, want 100", missing.Score)
	}
}

func TestCHRFErrors(t *testing.T) {
	if _, err := CorpusCHRF([]string{"a", "b"}, []string{"a"}); err == nil || !strings.Contains(err.Error(), "2 hypotheses but 1") {
		t.Errorf("length mismatch: err = %v", err)
	}
	if _, err := CorpusCHRFMultiRef([]string{"a"}, nil); err == nil {
		t.Error("no reference streams accepted")
	}
	c, err := CorpusCHRF(nil, nil)
	if err != nil || c.Score != 0 {
		t.Errorf("empty corpus: %v, %v", c, err)
	}
}
