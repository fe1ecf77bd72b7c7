package metrics

import (
	"math"
	"strings"
	"testing"
)

func closeTo(got, want float64) bool {
	return math.Abs(got-want) <= 1e-9*max(1, math.Abs(want))
}

// TestCorpusBLEUHandComputed checks cases whose statistics are worked out in
// the comments; every score is BP · (p1·p2·p3·p4)^(1/4) with p in percent.
func TestCorpusBLEUHandComputed(t *testing.T) {
	tests := []struct {
		name           string
		hyps, refs     []string
		wantCorrect    [4]int
		wantTotal      [4]int
		wantPrecisions [4]float64
		wantBP         float64
		wantScore      float64
	}{
		{
			name: "identical corpora",
			hyps: []string{"The cat sat on the mat.", "It was not unexpected."},
			refs: []string{"The cat sat on the mat.", "It was not unexpected."},
			// 13a splits the final ".": 7 + 5 tokens, every n-gram matches.
			wantCorrect: [4]int{12, 10, 8, 6}, wantTotal: [4]int{12, 10, 8, 6},
			wantPrecisions: [4]float64{100, 100, 100, 100},
			wantBP:         1, wantScore: 100,
		},
		{
			// hyp  the cat sat on the mat
			// ref  the cat is  on the mat
			// 1-grams: the×2 cat on mat match, sat not: 5/6
			// 2-grams: "the cat" "on the" "the mat": 3/5
			// 3-grams: "on the mat": 1/4
			// 4-grams: none of 3; first zero order → 100/(2·3)
			name: "cat on the mat",
			hyps: []string{"the cat sat on the mat"}, refs: []string{"the cat is on the mat"},
			wantCorrect: [4]int{5, 3, 1, 0}, wantTotal: [4]int{6, 5, 4, 3},
			wantPrecisions: [4]float64{500.0 / 6, 60, 25, 100.0 / 6},
			wantBP:         1,
			// (83.33·60·25·16.67)^(1/4) = 2083333.3^(1/4) ≈ 37.99
			wantScore: math.Pow(500.0/6*60*25*100.0/6, 0.25),
		},
		{
			// All n-grams of the 4-token hypothesis match, so every precision
			// is 100 and the score is the brevity penalty:
			// exp(1 − 6/4) = exp(−0.5) ≈ 0.6065.
			name: "brevity penalty",
			hyps: []string{"the cat sat on"}, refs: []string{"the cat sat on the mat"},
			wantCorrect: [4]int{4, 3, 2, 1}, wantTotal: [4]int{4, 3, 2, 1},
			wantPrecisions: [4]float64{100, 100, 100, 100},
			wantBP:         math.Exp(-0.5), wantScore: 100 * math.Exp(-0.5),
		},
		{
			// Longer hypotheses are not penalised: BP = 1 when hyp ≥ ref.
			// Every n-gram except those ending in "today" matches:
			// p = 6/7, 5/6, 4/5, 3/4.
			name: "long hypothesis",
			hyps: []string{"the cat sat on the mat today"}, refs: []string{"the cat sat on the mat"},
			wantCorrect: [4]int{6, 5, 4, 3}, wantTotal: [4]int{7, 6, 5, 4},
			wantPrecisions: [4]float64{600.0 / 7, 500.0 / 6, 80, 75},
			wantBP:         1,
			wantScore:      math.Pow(600.0/7*500.0/6*80*75, 0.25),
		},
		{
			// hyp a b c d e, ref a b x d e
			// 1-grams: a b d e: 4/5; 2-grams: "a b" "d e": 2/4
			// 3-grams: 0/3 → first zero order: 100/(2·3) = 16.67
			// 4-grams: 0/2 → second zero order: 100/(4·2) = 12.5
			name: "exp smoothing doubles per zero order",
			hyps: []string{"a b c d e"}, refs: []string{"a b x d e"},
			wantCorrect: [4]int{4, 2, 0, 0}, wantTotal: [4]int{5, 4, 3, 2},
			wantPrecisions: [4]float64{80, 50, 100.0 / 6, 12.5},
			wantBP:         1,
			// (80·50·16.67·12.5)^(1/4) = 833333.3^(1/4) ≈ 30.21
			wantScore: math.Pow(80*50*100.0/6*12.5, 0.25),
		},
		{
			// sys_len = 0: no matches, so score 0, and BP = 0 because
			// sacrebleu sets it to 0 rather than dividing by zero.
			name: "empty hypotheses",
			hyps: []string{"", "  "}, refs: []string{"a b", "c"},
			wantBP: 0, wantScore: 0,
		},
		{
			// Matches exist but no hypothesis has 4 tokens, so total4 = 0,
			// p4 stays 0 and log(0) is floored to −9999999999: score 0.
			// (Only effective_order, off by default, avoids this.)
			name: "no 4-grams in the corpus",
			hyps: []string{"the cat", "a dog sat"}, refs: []string{"the cat", "a dog sat"},
			wantCorrect: [4]int{5, 3, 1, 0}, wantTotal: [4]int{5, 3, 1, 0},
			wantPrecisions: [4]float64{100, 100, 100, 0},
			wantBP:         1, wantScore: 0,
		},
		{
			// Clipping: "the" appears 7 times but only twice in the reference.
			// 1-grams 2/7; 2-grams "the the" not in ref: 0/6 → 100/(2·6);
			// 3-grams 0/5 → 100/(4·5); 4-grams 0/4 → 100/(8·4).
			name: "clipped counts",
			hyps: []string{"the the the the the the the"}, refs: []string{"the cat is on the mat ."},
			wantCorrect: [4]int{2, 0, 0, 0}, wantTotal: [4]int{7, 6, 5, 4},
			wantPrecisions: [4]float64{200.0 / 7, 100.0 / 12, 5, 100.0 / 32},
			wantBP:         1,
			wantScore:      math.Pow(200.0/7*100.0/12*5*100.0/32, 0.25),
		},
	}
	for _, tt := range tests {
		got, err := CorpusBLEU(tt.hyps, tt.refs)
		if err != nil {
			t.Errorf("%s: CorpusBLEU: %v", tt.name, err)
			continue
		}
		if got.Correct != tt.wantCorrect || got.Total != tt.wantTotal {
			t.Errorf("%s: correct/total = %v/%v, want %v/%v", tt.name, got.Correct, got.Total, tt.wantCorrect, tt.wantTotal)
		}
		for n := range got.Precisions {
			if !closeTo(got.Precisions[n], tt.wantPrecisions[n]) {
				t.Errorf("%s: Precisions = %v, want %v", tt.name, got.Precisions, tt.wantPrecisions)
				break
			}
		}
		if !closeTo(got.BP, tt.wantBP) {
			t.Errorf("%s: BP = %v, want %v", tt.name, got.BP, tt.wantBP)
		}
		if !closeTo(got.Score, tt.wantScore) {
			t.Errorf("%s: Score = %v, want %v", tt.name, got.Score, tt.wantScore)
		}
	}
}

// sacrebleu's README example from test/test_bleu.py, with two references.
var (
	readmeHyps = []string{
		"The dog bit the man.",
		"It wasn't surprising.",
		"The man had just bitten him.",
	}
	readmeRefs = [][]string{
		{"The dog bit the man.", "It was not unexpected.", "The man bit him first."},
		{"The dog had bit the man.", "No one was surprised.", "The man had bitten the dog."},
	}
)

// TestSacrebleuTestVectors ports expected scores from sacrebleu's own tests.
func TestSacrebleuTestVectors(t *testing.T) {
	tests := []struct {
		name string
		hyps []string
		refs [][]string
		want float64
		tol  float64
	}{
		// test_bleu.py test_corpus_bleu_cases: default settings, and
		// "ensure that empty hypotheses are not removed".
		{"test_bleu.py README", readmeHyps, readmeRefs, 48.530827, 1e-6},
		{"test_bleu.py empty hypotheses", []string{"", "", ""}, readmeRefs, 0, 1e-8},
		// test_sentence_bleu.py (issue #98), 'exp' smoothing with 13a. The
		// test enables effective_order, which changes nothing here because
		// every order has n-grams (totals 14/13/12/11). EPSILON there is 1e-3.
		{"test_sentence_bleu.py #98",
			[]string{"Producția de zahăr primă va fi exprimată în ceea ce privește zahărul alb;"},
			[][]string{{"producţia de zahăr brut se exprimă în zahăr alb;"}}, 8.493, 1e-3},
		// test_sentence_bleu.py (issue #141): no matches at all → 0.
		{"test_sentence_bleu.py #141", []string{"this is a cat"}, [][]string{{"okay thanks"}}, 0, 1e-3},
	}
	for _, tt := range tests {
		got, err := CorpusBLEUMultiRef(tt.hyps, tt.refs)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if math.Abs(got.Score-tt.want) > tt.tol {
			t.Errorf("%s: Score = %.8f, want %.8f ± %g", tt.name, got.Score, tt.want, tt.tol)
		}
	}
}

// TestSacrebleuMaxOrder ports test_bleu.py test_max_ngram_order, which scores
// the README example with max_ngram_order 1..6 and compares "%.2f" strings.
func TestSacrebleuMaxOrder(t *testing.T) {
	want := []float64{77.65, 60.50, 53.93, 48.53, 46.14, 43.28}
	for i, w := range want {
		order := i + 1
		stats, err := corpusBLEUStats(readmeHyps, readmeRefs, order)
		if err != nil {
			t.Fatal(err)
		}
		score, _, _ := computeBLEU(stats.correct, stats.total, stats.hypLen, stats.refLen)
		if math.Abs(score-w) > 0.005 {
			t.Errorf("order %d: score = %.4f, want %.2f", order, score, w)
		}
	}
}

// TestSacrebleuStatisticsAndScoring ports test_bleu.py test_statistics and
// test_scoring.
func TestSacrebleuStatisticsAndScoring(t *testing.T) {
	got, err := CorpusBLEU([]string{"am I am a character sequence"}, []string{"I am a symbol string sequence a a"})
	if err != nil {
		t.Fatal(err)
	}
	if want := [4]int{4, 2, 1, 0}; got.Correct != want {
		t.Errorf("Correct = %v, want %v", got.Correct, want)
	}
	if want := [4]int{6, 5, 4, 3}; got.Total != want {
		t.Errorf("Total = %v, want %v", got.Total, want)
	}

	// compute_bleu([9,7,5,3], [10,8,6,4], 11, 11) / 100 = 0.8375922397; no
	// order is zero, so 'exp' and the test's 'none' smoothing agree.
	score, _, bp := computeBLEU([]int{9, 7, 5, 3}, []int{10, 8, 6, 4}, 11, 11)
	if math.Abs(score/100-0.8375922397) > 1e-8 || bp != 1 {
		t.Errorf("computeBLEU = %v (BP %v), want 83.75922397 (BP 1)", score, bp)
	}
}

// TestCorpusBLEUGolden compares every statistic with sacrebleu 2.x on the
// cases in testdata/sacrebleu_golden.json: the ones above plus 40 seeded
// random corpora with 1–3 references, some missing, punctuation, numbers,
// non-ASCII words and trailing whitespace.
func TestCorpusBLEUGolden(t *testing.T) {
	g := loadSacrebleuGolden(t)
	if len(g.BLEU) < 40 {
		t.Fatalf("golden file has %d BLEU cases, want ≥ 40", len(g.BLEU))
	}
	for _, c := range g.BLEU {
		got, err := CorpusBLEUMultiRef(c.Hyps, c.Refs)
		if err != nil {
			t.Errorf("%s: %v", c.Name, err)
			continue
		}
		want := BLEU{Score: c.Score, Precisions: c.Precisions, BP: c.BP,
			HypLen: c.HypLen, RefLen: c.RefLen, Correct: c.Correct, Total: c.Total}
		same := got.HypLen == want.HypLen && got.RefLen == want.RefLen &&
			got.Correct == want.Correct && got.Total == want.Total &&
			closeTo(got.Score, want.Score) && closeTo(got.BP, want.BP)
		for n := range got.Precisions {
			same = same && closeTo(got.Precisions[n], want.Precisions[n])
		}
		if !same {
			t.Errorf("%s:\n got %+v\nwant %+v", c.Name, got, want)
		}
	}
}

func TestCorpusBLEUErrors(t *testing.T) {
	tests := []struct {
		name       string
		hyps       []string
		refStreams [][]string
		wantErr    string
	}{
		{"length mismatch", []string{"a", "b"}, [][]string{{"a"}}, "2 hypotheses but 1 references"},
		{"empty reference", []string{"a"}, [][]string{{""}}, "reference for sentence 0 is empty"},
		{"all references missing", []string{"a"}, [][]string{{""}, {""}}, "reference for sentence 0 is empty"},
		{"no streams", []string{"a"}, nil, "at least one reference stream"},
	}
	for _, tt := range tests {
		_, err := CorpusBLEUMultiRef(tt.hyps, tt.refStreams)
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("%s: err = %v, want it to contain %q", tt.name, err, tt.wantErr)
		}
	}
	if _, err := CorpusBLEU([]string{"a"}, []string{"a", "b"}); err == nil {
		t.Error("CorpusBLEU with 1 hypothesis and 2 references: err = nil")
	}
}

func TestCorpusBLEUEmptyCorpus(t *testing.T) {
	got, err := CorpusBLEU(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := (BLEU{BP: 1}); got != want {
		t.Errorf("CorpusBLEU(nil, nil) = %+v, want %+v", got, want)
	}
}

func TestCorpusBLEUMultiRefClosestLength(t *testing.T) {
	// hyp has 4 tokens; references of 2 and 6 tokens are equally far, and
	// sacrebleu takes the shorter, so RefLen = 2 and BP = 1.
	got, err := CorpusBLEUMultiRef([]string{"a b c d"}, [][]string{{"a b"}, {"a b c d e f"}})
	if err != nil {
		t.Fatal(err)
	}
	if got.RefLen != 2 || got.BP != 1 {
		t.Errorf("RefLen, BP = %d, %v, want 2, 1", got.RefLen, got.BP)
	}
}
