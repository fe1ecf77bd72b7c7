package metrics

import (
	"fmt"
	"strings"
	"unicode"
)

// RougeScore is one ROUGE figure: precision, recall and their F1, each in [0, 1].
type RougeScore struct{ Precision, Recall, F1 float64 }

// RougeScores are ROUGE-1, ROUGE-2 and ROUGE-L (sentence-level LCS, not rougeLsum) of one
// prediction, or their means over a corpus.
type RougeScores struct {
	Rouge1, Rouge2, RougeL RougeScore
	Examples               int // how many predictions the means are over (1 for one)
}

// RougeOptions choose how ROUGE tokenizes; the zero value is rouge-score's
// RougeScorer(["rouge1", "rouge2", "rougeL"]) default, use_stemmer=False.
type RougeOptions struct {
	Stem bool // Porter-stem tokens longer than 3 characters (use_stemmer=True), as PorterStem
}

// CorpusROUGE scores predictions against one target each, as Google's rouge-score package
// (google-research/rouge) does with its defaults: each pair scored by RougeScorer.score(target,
// prediction), then the figures averaged over the pairs. The average is the exact mean of the
// per-example scores, which rouge-score's BootstrapAggregator reports as "mid" only up to its
// resampling (the median of 1000 bootstrap means). It fails when the lengths differ.
func CorpusROUGE(predictions, targets []string) (RougeScores, error) {
	return RougeOptions{}.Corpus(predictions, targets)
}

// Corpus is CorpusROUGE with o's tokenization.
func (o RougeOptions) Corpus(predictions, targets []string) (RougeScores, error) {
	if len(predictions) != len(targets) {
		return RougeScores{}, fmt.Errorf("metrics: ROUGE got %d predictions but %d targets", len(predictions), len(targets))
	}
	var mean RougeScores
	for i, p := range predictions {
		s := o.Sentence(p, targets[i])
		mean.Rouge1 = addScore(mean.Rouge1, s.Rouge1)
		mean.Rouge2 = addScore(mean.Rouge2, s.Rouge2)
		mean.RougeL = addScore(mean.RougeL, s.RougeL)
	}
	if n := float64(len(predictions)); n > 0 {
		mean.Rouge1 = scaleScore(mean.Rouge1, 1/n)
		mean.Rouge2 = scaleScore(mean.Rouge2, 1/n)
		mean.RougeL = scaleScore(mean.RougeL, 1/n)
	}
	mean.Examples = len(predictions)
	return mean, nil
}

func addScore(a, b RougeScore) RougeScore {
	return RougeScore{a.Precision + b.Precision, a.Recall + b.Recall, a.F1 + b.F1}
}

func scaleScore(a RougeScore, k float64) RougeScore {
	return RougeScore{a.Precision * k, a.Recall * k, a.F1 * k}
}

// Sentence is rouge-score's RougeScorer.score(target, prediction) for rouge1, rouge2 and
// rougeL (note the order: prediction first here, as in CorpusBLEU).
func (o RougeOptions) Sentence(prediction, target string) RougeScores {
	pred, tgt := o.Tokens(prediction), o.Tokens(target)
	return RougeScores{
		Rouge1:   ngramRouge(pred, tgt, 1),
		Rouge2:   ngramRouge(pred, tgt, 2),
		RougeL:   lcsRouge(pred, tgt),
		Examples: 1,
	}
}

// Tokens is rouge-score's tokenize.tokenize: lower-case (Python's str.lower), replace every
// run of characters other than a–z and 0–9 by a space, split at spaces, Porter-stem tokens of
// more than 3 characters when o.Stem is set, and drop empty tokens. Non-ASCII letters are
// therefore separators: ROUGE this way is for English.
func (o RougeOptions) Tokens(text string) []string {
	var b strings.Builder
	for _, r := range text {
		if r == 'İ' {
			b.WriteString("i ") // Python lower-cases U+0130 to i + U+0307, a separator
			continue
		}
		r = unicode.ToLower(r)
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else {
			b.WriteByte(' ')
		}
	}
	tokens := strings.Fields(b.String())
	if o.Stem {
		for i, t := range tokens {
			if len(t) > 3 {
				tokens[i] = PorterStem(t)
			}
		}
	}
	return tokens
}

// ngramRouge is rouge-score's _score_ngrams: clipped n-gram overlap over the prediction's
// n-grams (precision) and the target's (recall), each count at least 1 in the denominator.
func ngramRouge(pred, tgt []string, n int) RougeScore {
	predGrams, tgtGrams := countNgrams(pred, n), countNgrams(tgt, n)
	overlap, predTotal, tgtTotal := 0, 0, 0
	for g, c := range tgtGrams {
		overlap += min(c, predGrams[g])
		tgtTotal += c
	}
	for _, c := range predGrams {
		predTotal += c
	}
	return rougeF(float64(overlap)/float64(max(predTotal, 1)), float64(overlap)/float64(max(tgtTotal, 1)))
}

// countNgrams counts the n-grams of tokens, keyed by their tokens joined with spaces.
func countNgrams(tokens []string, n int) map[string]int {
	counts := map[string]int{}
	for i := 0; i+n <= len(tokens); i++ {
		counts[strings.Join(tokens[i:i+n], " ")]++
	}
	return counts
}

// lcsRouge is rouge-score's _score_lcs: the longest common subsequence over the prediction's
// length (precision) and the target's (recall); 0 when either is empty.
func lcsRouge(pred, tgt []string) RougeScore {
	if len(pred) == 0 || len(tgt) == 0 {
		return RougeScore{}
	}
	lcs := float64(lcsLength(tgt, pred))
	return rougeF(lcs/float64(len(pred)), lcs/float64(len(tgt)))
}

// lcsLength is the length of the longest common subsequence of a and b, by dynamic
// programming over two rows.
func lcsLength(a, b []string) int {
	prev, cur := make([]int, len(b)+1), make([]int, len(b)+1)
	for i := range a {
		for j := range b {
			if a[i] == b[j] {
				cur[j+1] = prev[j] + 1
			} else {
				cur[j+1] = max(prev[j+1], cur[j])
			}
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// rougeF is rouge-score's scoring.fmeasure: the harmonic mean, 0 when both are 0.
func rougeF(precision, recall float64) RougeScore {
	f := 0.0
	if precision+recall > 0 {
		f = 2 * precision * recall / (precision + recall)
	}
	return RougeScore{precision, recall, f}
}
