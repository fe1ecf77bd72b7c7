package metrics

import (
	"errors"
	"fmt"
	"strings"
)

// CHRFOptions are sacrebleu 2.x's CHRF arguments that gorgonet supports; the zero value is
// sacrebleu's default, CHRF(): char_order=6, word_order=0, beta=2, whitespace=False,
// eps_smoothing=False, lowercase=False.
type CHRFOptions struct {
	CharOrder    int  // largest character n-gram order; 0 means 6
	Beta         int  // recall is Beta times as important as precision; 0 means 2
	Whitespace   bool // keep white space in the character n-grams (sacrebleu's whitespace=True)
	EpsSmoothing bool // average the per-order F-scores as chrF++.py does, instead of the effective order
}

// CHRF is a corpus chrF score with its sufficient statistics.
type CHRF struct {
	Score float64 // in [0, 100]
	Beta  int
	Hyp   []int // hypothesis character n-grams per order (index n-1), counted only where the reference has n-grams
	Ref   []int // reference character n-grams per order
	Match []int // clipped matches per order
}

// String formats c as sacrebleu does, e.g. "chrF2 = 59.73".
func (c CHRF) String() string { return fmt.Sprintf("chrF%d = %.2f", c.Beta, c.Score) }

// CorpusCHRF scores hypotheses against one reference each, like
// sacrebleu.corpus_chrf(hyps, [refs]) with its defaults: character 1- to 6-grams with white
// space removed, statistics summed over the corpus, then F-beta (beta 2) of the precision and
// recall averaged over the orders that occur.
func CorpusCHRF(hyps, refs []string) (CHRF, error) {
	return CHRFOptions{}.Corpus(hyps, [][]string{refs})
}

// CorpusCHRFMultiRef is CorpusCHRF with several reference streams, laid out as for
// CorpusBLEUMultiRef: refStreams[k][i] is the k-th reference of hyps[i].
func CorpusCHRFMultiRef(hyps []string, refStreams [][]string) (CHRF, error) {
	return CHRFOptions{}.Corpus(hyps, refStreams)
}

// Corpus scores hyps against refStreams (refStreams[k][i] is the k-th reference of hyps[i]) as
// sacrebleu's CHRF(...).corpus_score does: for each sentence it keeps the statistics of the
// reference with the best sentence F-score (the first on a tie) and sums them over the corpus.
// As in CorpusBLEUMultiRef, an empty string marks a missing reference (sacrebleu's None); a
// sentence whose references are all empty is scored against one empty reference, so it adds
// nothing, as sacrebleu's ” does. It fails when a stream's length differs from hyps'.
func (o CHRFOptions) Corpus(hyps []string, refStreams [][]string) (CHRF, error) {
	o = o.withDefaults()
	if len(refStreams) == 0 {
		return CHRF{}, errors.New("metrics: chrF needs at least one reference stream")
	}
	for k, stream := range refStreams {
		if len(stream) != len(hyps) {
			return CHRF{}, fmt.Errorf("metrics: chrF got %d hypotheses but %d references in stream %d", len(hyps), len(stream), k)
		}
	}
	total := make([]int, 3*o.CharOrder)
	refs := make([]string, 0, len(refStreams))
	for i, hyp := range hyps {
		refs = refs[:0]
		for _, stream := range refStreams {
			if stream[i] != "" {
				refs = append(refs, stream[i])
			}
		}
		if len(refs) == 0 {
			refs = append(refs, "")
		}
		for j, s := range o.sentenceStats(hyp, refs) {
			total[j] += s
		}
	}
	return o.result(total), nil
}

// Sentence is sacrebleu's CHRF(...).sentence_score(hyp, refs): chrF of one hypothesis against
// the best of its references.
func (o CHRFOptions) Sentence(hyp string, refs []string) CHRF {
	o = o.withDefaults()
	if len(refs) == 0 {
		refs = []string{""}
	}
	return o.result(o.sentenceStats(hyp, refs))
}

func (o CHRFOptions) withDefaults() CHRFOptions {
	if o.CharOrder <= 0 {
		o.CharOrder = 6
	}
	if o.Beta <= 0 {
		o.Beta = 2
	}
	return o
}

func (o CHRFOptions) result(stats []int) CHRF {
	c := CHRF{Score: o.fScore(stats), Beta: o.Beta}
	for n := range o.CharOrder {
		c.Hyp = append(c.Hyp, stats[3*n])
		c.Ref = append(c.Ref, stats[3*n+1])
		c.Match = append(c.Match, stats[3*n+2])
	}
	return c
}

// sentenceStats is sacrebleu's _compute_segment_statistics: [hyp, ref, match] per order against
// the reference whose F-score is highest.
func (o CHRFOptions) sentenceStats(hyp string, refs []string) []int {
	hypGrams := o.charNgrams(hyp)
	var best []int
	bestF := -1.0
	for _, ref := range refs {
		refGrams := o.charNgrams(ref)
		stats := make([]int, 0, 3*o.CharOrder)
		for n := range o.CharOrder {
			stats = append(stats, matchStats(hypGrams[n], refGrams[n])...)
		}
		if f := o.fScore(stats); f > bestF {
			best, bestF = stats, f
		}
	}
	return best
}

// charNgrams counts the character n-grams of s for n = 1..CharOrder (index n-1), after
// removing white space as Python's str.split does, unless Whitespace is set.
func (o CHRFOptions) charNgrams(s string) []map[string]int {
	if !o.Whitespace {
		s = strings.Join(strings.FieldsFunc(s, isPythonSpace), "")
	}
	chars := []rune(s)
	grams := make([]map[string]int, o.CharOrder)
	for n := 1; n <= o.CharOrder; n++ {
		grams[n-1] = map[string]int{}
		for i := 0; i+n <= len(chars); i++ {
			grams[n-1][string(chars[i:i+n])]++
		}
	}
	return grams
}

// matchStats is sacrebleu's _get_match_statistics: hypothesis n-grams (0 when the reference
// has none of this order), reference n-grams, clipped matches.
func matchStats(hyp, ref map[string]int) []int {
	hypCount, refCount, match := 0, 0, 0
	for g, c := range hyp {
		hypCount += c
		match += min(c, ref[g])
	}
	for _, c := range ref {
		refCount += c
	}
	if len(ref) == 0 {
		hypCount = 0
	}
	return []int{hypCount, refCount, match}
}

// fScore is sacrebleu's CHRF._compute_f_score, in [0, 100].
func (o CHRFOptions) fScore(stats []int) float64 {
	const eps = 1e-16
	factor := float64(o.Beta * o.Beta)
	score, avgPrec, avgRec, effective := 0.0, 0.0, 0.0, 0
	for n := range o.CharOrder {
		nHyp, nRef, nMatch := stats[3*n], stats[3*n+1], stats[3*n+2]
		prec, rec := eps, eps
		if nHyp > 0 {
			prec = float64(nMatch) / float64(nHyp)
		}
		if nRef > 0 {
			rec = float64(nMatch) / float64(nRef)
		}
		if denom := factor*prec + rec; denom > 0 {
			score += (1 + factor) * prec * rec / denom
		} else {
			score += eps
		}
		if nHyp > 0 && nRef > 0 {
			avgPrec += prec
			avgRec += rec
			effective++
		}
	}
	if o.EpsSmoothing {
		return 100 * score / float64(o.CharOrder)
	}
	if effective == 0 {
		return 0
	}
	avgPrec /= float64(effective)
	avgRec /= float64(effective)
	if avgPrec+avgRec == 0 {
		return 0
	}
	return 100 * (1 + factor) * avgPrec * avgRec / (factor*avgPrec + avgRec)
}
