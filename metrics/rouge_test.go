package metrics

import (
	"bufio"
	"math"
	"os"
	"slices"
	"strings"
	"testing"
)

// rougeTargets and rougePredictions are the first two lines of rouge-score's
// rouge/testdata/target.txt and prediction.txt (google-research/google-research, Apache-2.0),
// random strings built to exercise tokenization and stemming.
var (
	rougeTargets = []string{
		"ZfbCUIUuePaiLVUlCaUXxkpu XPeWing tUHfPMuZ',-Xd Y BrUgVJing M-HV.-DgdDaY.rFDJCRing Ht-LM EKBDXkME,yz'RBr q'wtion wIojNbN wL,b .a-'XdQggyFl jB-RPP'iyOIcUxer tKM L\n",
		"KsJdPByEtAor fE-Qg Dpdbring cw-WeFyu vC MoBL Xdn g wkvcEiGvKtion BDFhrpMtion psing sbKao Q m qiing LMmer HqqLFXe,XPY,J XsurkMer ,ed nB'wH'bWVHjWFEing tQ.saefZwJtKrTlixYpMMsJing UCAPwNHeYVjDing c T BUySKtion gMPfJpwGw p'NvxAoping eu pBwMBKV'I DNxqelhu,PHPxDEq,mtion SN\n",
	}
	rougePredictions = []string{
		"rFDJCRtion Ht-LM EKtDXkME,yz'RBr q'wer wrojNbN wL,b .a-'XdQggyFl jB-RPP'iyOIcUxi\n",
		"n cw-WeFyu vC MoBL Xdn g wkvcEiGvKtion BDFhrpMer pstion sbKao Q m qier LMmed HqqLFXe,XPY,J XsurkMeo ,ed nB'wH'bWVHjWFEer tQ.saefZwJtKrTlixYpMMNJtion UCAPwNHeYVjD\n",
	}
)

// rougeNear is rouge_scorer_test.py's assertAlmostEqual(want, got, 5): equal once rounded to 5
// places.
func rougeNear(got, want float64) bool { return math.Abs(got-want) < 5e-6 }

// TestRougeAgainstRouge155 is rouge_scorer_test.py's testRouge1AgainstRouge155,
// ...WithStemming, testRouge2AgainstRouge155, ...WithStemming and testRougeLAgainstRouge155:
// ROUGE-1.5.5's own figures (recall, precision, F) for the two pairs above.
func TestRougeAgainstRouge155(t *testing.T) {
	for _, c := range []struct {
		name  string
		stem  bool
		i     int
		score func(RougeScores) RougeScore
		want  RougeScore // precision, recall, F1
	}{
		{"rouge1", false, 0, r1, RougeScore{0.68750, 0.40741, 0.51163}},
		{"rouge1", false, 1, r1, RougeScore{0.65385, 0.40476, 0.50000}},
		{"rouge1 stemmed", true, 0, r1, RougeScore{0.68750, 0.40741, 0.51163}},
		{"rouge1 stemmed", true, 1, r1, RougeScore{0.69231, 0.42857, 0.52941}},
		{"rouge2", false, 0, r2, RougeScore{0.53333, 0.30769, 0.39024}},
		{"rouge2", false, 1, r2, RougeScore{0.48000, 0.29268, 0.36364}},
		{"rouge2 stemmed", true, 0, r2, RougeScore{0.53333, 0.30769, 0.39024}},
		{"rouge2 stemmed", true, 1, r2, RougeScore{0.48000, 0.29268, 0.36364}},
		{"rougeL", false, 0, rL, RougeScore{0.68750, 0.40741, 0.51163}},
		{"rougeL", false, 1, rL, RougeScore{0.65385, 0.40476, 0.50000}},
	} {
		got := c.score(RougeOptions{Stem: c.stem}.Sentence(rougePredictions[c.i], rougeTargets[c.i]))
		if !rougeNear(got.Precision, c.want.Precision) || !rougeNear(got.Recall, c.want.Recall) || !rougeNear(got.F1, c.want.F1) {
			t.Errorf("%s pair %d: got %+v, want %+v", c.name, c.i, got, c.want)
		}
	}
}

func r1(s RougeScores) RougeScore { return s.Rouge1 }
func r2(s RougeScores) RougeScore { return s.Rouge2 }
func rL(s RougeScores) RougeScore { return s.RougeL }

// TestRougeScorerExamples is rouge_scorer_test.py's small cases, score(target, prediction).
func TestRougeScorerExamples(t *testing.T) {
	for _, c := range []struct {
		name, target, prediction string
		score                    func(RougeScores) RougeScore
		want                     RougeScore
	}{
		{"testRouge1", "testing one two", "testing", r1, RougeScore{1, 1.0 / 3, 0.5}},
		{"testRouge2", "testing one two", "testing one", r2, RougeScore{1, 0.5, 2.0 / 3}},
		{"testRougeLConsecutive", "testing one two", "testing one", rL, RougeScore{1, 2.0 / 3, 0.8}},
		{"testRougeLNonConsecutive", "testing one two", "testing two", rL, RougeScore{1, 2.0 / 3, 0.8}},
		{"testMultipleRougeTypes rouge1", "testing one two", "testing one", r1, RougeScore{1, 2.0 / 3, 0.8}},
		{"testRougeEmpty rouge1", "testing one two", "", r1, RougeScore{}},
		{"testRougeEmpty rouge2", "testing one two", "", r2, RougeScore{}},
		{"testRougeEmpty rougeL", "testing one two", "", rL, RougeScore{}},
	} {
		got := c.score(RougeOptions{}.Sentence(c.prediction, c.target))
		if !closeTo(got.Precision, c.want.Precision) || !closeTo(got.Recall, c.want.Recall) || !closeTo(got.F1, c.want.F1) {
			t.Errorf("%s: got %+v, want %+v", c.name, got, c.want)
		}
	}
}

// TestRougeHandComputed works a case with repeated n-grams and reordering out by hand.
func TestRougeHandComputed(t *testing.T) {
	// target    the cat sat on the mat      (6 tokens)
	// predicted The cat, the cat sat!       (5 tokens after lower-casing and punctuation)
	// 1-grams: clipped overlap the:min(2,2) cat:min(1,2) sat:1 = 4 → P 4/5, R 4/6.
	// 2-grams: target the-cat cat-sat sat-on on-the the-mat; predicted the-cat×2 cat-the
	//          cat-sat: overlap the-cat 1 + cat-sat 1 = 2 → P 2/4, R 2/5.
	// LCS: the cat sat = 3 → P 3/5, R 3/6.
	s := RougeOptions{}.Sentence("The cat, the cat sat!", "the cat sat on the mat")
	for _, c := range []struct {
		name string
		got  RougeScore
		p, r float64
	}{{"rouge1", s.Rouge1, 4.0 / 5, 4.0 / 6}, {"rouge2", s.Rouge2, 2.0 / 4, 2.0 / 5}, {"rougeL", s.RougeL, 3.0 / 5, 3.0 / 6}} {
		f := 2 * c.p * c.r / (c.p + c.r)
		if !closeTo(c.got.Precision, c.p) || !closeTo(c.got.Recall, c.r) || !closeTo(c.got.F1, f) {
			t.Errorf("%s = %+v, want P %v R %v F %v", c.name, c.got, c.p, c.r, f)
		}
	}
}

func TestRougeCorpusIsTheMeanOfExamples(t *testing.T) {
	preds := []string{"testing", "testing one", ""}
	targets := []string{"testing one two", "testing one two", "anything"}
	got, err := CorpusROUGE(preds, targets)
	if err != nil {
		t.Fatal(err)
	}
	// F1 per example: rouge1 1/2, 4/5, 0; rouge2 0, 2/3, 0; rougeL 1/2, 4/5, 0.
	if got.Examples != 3 || !closeTo(got.Rouge1.F1, (0.5+0.8)/3) || !closeTo(got.Rouge2.F1, (2.0/3)/3) || !closeTo(got.RougeL.F1, (0.5+0.8)/3) {
		t.Errorf("corpus = %+v", got)
	}
	if !closeTo(got.Rouge1.Precision, 2.0/3) {
		t.Errorf("mean rouge1 precision %v, want 2/3", got.Rouge1.Precision)
	}
	if _, err := CorpusROUGE([]string{"a"}, nil); err == nil || !strings.Contains(err.Error(), "1 predictions but 0 targets") {
		t.Errorf("length mismatch: err = %v", err)
	}
	empty, err := CorpusROUGE(nil, nil)
	if err != nil || empty.Examples != 0 || empty.Rouge1.F1 != 0 {
		t.Errorf("empty corpus: %+v, %v", empty, err)
	}
}

func TestRougeTokens(t *testing.T) {
	for _, c := range []struct {
		in   string
		stem bool
		want []string
	}{
		{"The quick-brown FOX's 3rd jump!", false, []string{"the", "quick", "brown", "fox", "s", "3rd", "jump"}},
		{"Crème brûlée", false, []string{"cr", "me", "br", "l", "e"}}, // non-ASCII letters separate
		{"İstanbul", false, []string{"i", "stanbul"}},                 // Python: "i̇stanbul"
		{"running dogs are happily dying", true, []string{"run", "dog", "are", "happili", "die"}},
		{"  \t\n", false, nil},
	} {
		if got := (RougeOptions{Stem: c.stem}).Tokens(c.in); !slices.Equal(got, c.want) {
			t.Errorf("Tokens(%q, stem %v) = %q, want %q", c.in, c.stem, got, c.want)
		}
	}
}

func TestLCSLength(t *testing.T) {
	// rouge_scorer_test.py's testLcsTable, with the integers as tokens.
	ref := strings.Fields("1 2 3 4 5")
	if got := lcsLength(ref, strings.Fields("2 5 3 4")); got != 3 {
		t.Errorf("LCS = %d, want 3", got)
	}
	if got := lcsLength(ref, strings.Fields("8 9")); got != 0 {
		t.Errorf("LCS = %d, want 0", got)
	}
}

// TestPorterStemNLTK checks PorterStem against NLTK 3.8's PorterStemmer().stem on every
// distinct ROUGE token of Opticks and the words of NLTK's extensions
// (testdata/porter_golden.txt, written by testdata/gen_porter_golden.py).
func TestPorterStemNLTK(t *testing.T) {
	f, err := os.Open("testdata/porter_golden.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n := 0
	for sc := bufio.NewScanner(f); sc.Scan(); n++ {
		word, want, ok := strings.Cut(sc.Text(), " ")
		if !ok {
			t.Fatalf("line %d: %q is not \"word stem\"", n+1, sc.Text())
		}
		if got := PorterStem(word); got != want {
			t.Errorf("PorterStem(%q) = %q, NLTK gives %q", word, got, want)
		}
	}
	if n < 4000 {
		t.Errorf("only %d golden stems", n)
	}
}

// TestPorterStemNLTKDoctest is nltk/test/stem.doctest's Porter example and its unit tests'
// test_oed_bug and test_lowercase_option.
func TestPorterStemNLTKDoctest(t *testing.T) {
	plurals := strings.Fields(`caresses flies dies mules denied died agreed owned humbled sized
		meeting stating siezing itemization sensational traditional reference colonizer plotted`)
	want := "caress fli die mule deni die agre own humbl size meet state siez item sensat tradit refer colon plot"
	var got []string
	for _, w := range plurals {
		got = append(got, PorterStem(w))
	}
	if strings.Join(got, " ") != want {
		t.Errorf("got  %s\nwant %s", strings.Join(got, " "), want)
	}
	if got := PorterStem("oed"); got != "o" {
		t.Errorf(`PorterStem("oed") = %q, want "o"`, got)
	}
	if got := PorterStem("On"); got != "on" {
		t.Errorf(`PorterStem("On") = %q, want "on"`, got)
	}
}

// TestPorterMartinMode checks the rules where NLTK_EXTENSIONS departs from Martin Porter's
// reference implementation (NLTK's MARTIN_EXTENSIONS mode; checked once by hand, not here, to
// give all 23,531 stems of his voc.txt/output.txt), with the stems NLTK 3.8 gives in each mode.
func TestPorterMartinMode(t *testing.T) {
	for _, c := range []struct{ word, martin, nltk string }{
		{"dies", "di", "die"}, {"died", "di", "die"}, {"ties", "ti", "tie"}, {"spied", "spi", "spi"},
		{"dying", "dy", "die"}, {"skies", "ski", "sky"}, {"enjoy", "enjoi", "enjoy"},
		{"geology", "geologi", "geolog"}, {"generously", "gener", "gener"},
	} {
		if got := (porter{}).stem(c.word); got != c.martin {
			t.Errorf("Martin mode %q → %q, want %q", c.word, got, c.martin)
		}
		if got := PorterStem(c.word); got != c.nltk {
			t.Errorf("PorterStem(%q) = %q, want %q", c.word, got, c.nltk)
		}
	}
}
