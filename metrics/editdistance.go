package metrics

import "math"

// EditDistance is the Levenshtein distance between a and b (unit costs for
// insertion, deletion and substitution). It takes O(len(a)·len(b)) time and
// O(min(len(a), len(b))) memory.
func EditDistance[T comparable](a, b []T) int {
	if len(a) < len(b) {
		a, b = b, a // keep the row over the shorter sequence
	}
	// row[j] is the distance between the current prefix of a and b[:j].
	row := make([]int, len(b)+1)
	for j := range row {
		row[j] = j
	}
	for i := 1; i <= len(a); i++ {
		diag := row[0] // distance(a[:i-1], b[:j-1])
		row[0] = i
		for j := 1; j <= len(b); j++ {
			up := row[j] // distance(a[:i-1], b[:j])
			cost := diag
			if a[i-1] != b[j-1] {
				cost = 1 + min(diag, up, row[j-1])
			}
			row[j] = cost
			diag = up
		}
	}
	return row[len(b)]
}

// ErrorRates accumulates word error rate and phoneme (token) error rate for
// sequence-to-sequence outputs with possibly several acceptable references
// per example, such as CMUdict words with alternative pronunciations.
// The zero value is ready to use.
type ErrorRates struct {
	Words, WordErrors, Tokens, TokenErrors int
}

// Add scores one hypothesis against its references. It counts a word error
// unless hyp equals one of refs exactly. It adds the smallest edit distance
// to any reference to TokenErrors and the length of that closest reference to
// Tokens; among equally close references the shorter one counts, so an
// example is never scored against a longer reference than it needs.
// Add panics if refs is empty, which is a caller bug.
func (e *ErrorRates) Add(hyp []string, refs [][]string) {
	if len(refs) == 0 {
		panic("metrics: ErrorRates.Add needs at least one reference")
	}
	bestDist, bestLen := -1, 0
	for _, ref := range refs {
		d := EditDistance(hyp, ref)
		if bestDist < 0 || d < bestDist || (d == bestDist && len(ref) < bestLen) {
			bestDist, bestLen = d, len(ref)
		}
	}
	e.Words++
	if bestDist != 0 {
		// Distance 0 happens exactly when hyp equals some reference.
		e.WordErrors++
	}
	e.TokenErrors += bestDist
	e.Tokens += bestLen
}

// WER is the word error rate WordErrors/Words, or 0 when nothing was added.
func (e ErrorRates) WER() float64 {
	if e.Words == 0 {
		return 0
	}
	return float64(e.WordErrors) / float64(e.Words)
}

// PER is the phoneme (token) error rate TokenErrors/Tokens. It is 0 when no
// errors were counted and +Inf when errors were counted against only empty
// references.
func (e ErrorRates) PER() float64 {
	if e.Tokens == 0 {
		if e.TokenErrors == 0 {
			return 0
		}
		return math.Inf(1)
	}
	return float64(e.TokenErrors) / float64(e.Tokens)
}
