package metrics

import (
	"errors"
	"fmt"
	"math"
	"strings"
)

// maxOrder is BLEU-4's largest n-gram order, sacrebleu's default.
const maxOrder = 4

// BLEU is a corpus BLEU-4 score with its sufficient statistics, computed as
// sacrebleu 2.x does with its defaults: tokenize="13a", smooth_method="exp",
// lowercase=False, effective_order=False.
type BLEU struct {
	Score      float64    // in [0, 100]
	Precisions [4]float64 // n-gram precisions in percent, after smoothing
	BP         float64    // brevity penalty
	HypLen     int        // total hypothesis tokens
	RefLen     int        // total closest-reference tokens
	Correct    [4]int     // clipped n-gram matches per order
	Total      [4]int     // hypothesis n-grams per order
}

// String formats b as sacrebleu's verbose score line, e.g.
// "BLEU = 48.53 82.4/50.0/45.5/37.5 (BP = 0.943 ratio = 0.944 hyp_len = 17 ref_len = 18)".
func (b BLEU) String() string {
	ratio := 0.0
	if b.RefLen != 0 {
		ratio = float64(b.HypLen) / float64(b.RefLen)
	}
	return fmt.Sprintf("BLEU = %.2f %.1f/%.1f/%.1f/%.1f (BP = %.3f ratio = %.3f hyp_len = %d ref_len = %d)",
		b.Score, b.Precisions[0], b.Precisions[1], b.Precisions[2], b.Precisions[3],
		b.BP, ratio, b.HypLen, b.RefLen)
}

// CorpusBLEU scores detokenized hypotheses against one detokenized reference
// each, like sacrebleu.corpus_bleu(hyps, [refs]). It fails when the lengths
// differ or a reference is the empty string (sacrebleu rejects those too).
// Empty hypotheses are kept and count as zero-length output.
func CorpusBLEU(hyps, refs []string) (BLEU, error) {
	return CorpusBLEUMultiRef(hyps, [][]string{refs})
}

// CorpusBLEUMultiRef is CorpusBLEU with several reference streams laid out
// as in sacrebleu: refStreams[k][i] is the k-th reference for hyps[i]. Empty
// strings mark a missing reference for that sentence, but every sentence
// needs at least one. Clipping uses the maximum count of each n-gram over
// the references and the brevity penalty the closest reference length
// (ties: the shorter).
func CorpusBLEUMultiRef(hyps []string, refStreams [][]string) (BLEU, error) {
	stats, err := corpusBLEUStats(hyps, refStreams, maxOrder)
	if err != nil {
		return BLEU{}, err
	}
	score, precisions, bp := computeBLEU(stats.correct, stats.total, stats.hypLen, stats.refLen)
	b := BLEU{Score: score, BP: bp, HypLen: stats.hypLen, RefLen: stats.refLen}
	copy(b.Precisions[:], precisions)
	copy(b.Correct[:], stats.correct)
	copy(b.Total[:], stats.total)
	return b, nil
}

// bleuStats are BLEU's sufficient statistics summed over a corpus.
type bleuStats struct {
	hypLen, refLen int
	correct, total []int // indexed by n-1
}

// corpusBLEUStats tokenizes every segment with 13a (after stripping trailing
// whitespace, as sacrebleu does) and sums the per-sentence statistics for
// n-grams up to order.
func corpusBLEUStats(hyps []string, refStreams [][]string, order int) (bleuStats, error) {
	if len(refStreams) == 0 {
		return bleuStats{}, errors.New("metrics: BLEU needs at least one reference stream")
	}
	for k, stream := range refStreams {
		if len(stream) != len(hyps) {
			return bleuStats{}, fmt.Errorf("metrics: BLEU got %d hypotheses but %d references in stream %d", len(hyps), len(stream), k)
		}
	}
	stats := bleuStats{correct: make([]int, order), total: make([]int, order)}
	for i, hyp := range hyps {
		var refTokens [][]string
		for _, stream := range refStreams {
			if stream[i] != "" {
				refTokens = append(refTokens, bleuTokens(stream[i]))
			}
		}
		if len(refTokens) == 0 {
			return bleuStats{}, fmt.Errorf("metrics: BLEU reference for sentence %d is empty", i)
		}
		addSentenceStats(&stats, bleuTokens(hyp), refTokens, order)
	}
	return stats, nil
}

// bleuTokens is sacrebleu's _preprocess_segment followed by str.split.
func bleuTokens(s string) []string {
	s = Tokenize13a(strings.TrimRightFunc(s, isPythonSpace))
	return strings.FieldsFunc(s, isPythonSpace)
}

func addSentenceStats(stats *bleuStats, hyp []string, refs [][]string, order int) {
	refCounts := make(map[string]int)
	refLen := -1
	for _, ref := range refs {
		for gram, c := range ngramCounts(ref, order) {
			refCounts[gram] = max(refCounts[gram], c)
		}
		refLen = closerRefLen(len(hyp), refLen, len(ref))
	}
	for gram, c := range ngramCounts(hyp, order) {
		n := strings.Count(gram, " ") // order - 1; tokens hold no spaces
		stats.total[n] += c
		stats.correct[n] += min(c, refCounts[gram])
	}
	stats.hypLen += len(hyp)
	stats.refLen += refLen
}

// closerRefLen picks between the best reference length so far (-1 for none)
// and a candidate: the one closer to hypLen, the shorter on a tie.
func closerRefLen(hypLen, best, candidate int) int {
	if best < 0 {
		return candidate
	}
	db, dc := abs(hypLen-best), abs(hypLen-candidate)
	if dc < db || dc == db && candidate < best {
		return candidate
	}
	return best
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// ngramCounts counts every n-gram of tokens for n = 1..order, keyed by its
// tokens joined with single spaces.
func ngramCounts(tokens []string, order int) map[string]int {
	counts := make(map[string]int)
	for n := 1; n <= order; n++ {
		for i := 0; i+n <= len(tokens); i++ {
			counts[strings.Join(tokens[i:i+n], " ")]++
		}
	}
	return counts
}

// logZero is sacrebleu's my_log(0): a finite stand-in for log(0) that
// drives the geometric mean, and so the score, to 0.
const logZero = -9999999999

// computeBLEU is sacrebleu's BLEU.compute_bleu with smooth_method="exp" and
// effective_order=False, for any n-gram order len(correct).
func computeBLEU(correct, total []int, hypLen, refLen int) (score float64, precisions []float64, bp float64) {
	bp = 1.0
	if hypLen < refLen {
		bp = 0.0
		if hypLen > 0 {
			bp = math.Exp(1 - float64(refLen)/float64(hypLen))
		}
	}
	precisions = make([]float64, len(correct))
	anyCorrect := false
	for _, c := range correct {
		anyCorrect = anyCorrect || c != 0
	}
	if !anyCorrect {
		return 0, precisions, bp
	}
	// "exp" smoothing (NIST, mteval-v13a): the k-th order with no match
	// gets precision 100 / (2^k · total).
	smooth := 1.0
	for n := range correct {
		if total[n] == 0 {
			break // this and higher orders stay 0, so the score is 0
		}
		if correct[n] == 0 {
			smooth *= 2
			precisions[n] = 100 / (smooth * float64(total[n]))
		} else {
			precisions[n] = 100 * float64(correct[n]) / float64(total[n])
		}
	}
	sumLog := 0.0
	for _, p := range precisions {
		if p == 0 {
			sumLog += logZero
		} else {
			sumLog += math.Log(p)
		}
	}
	return bp * math.Exp(sumLog/float64(len(precisions))), precisions, bp
}
