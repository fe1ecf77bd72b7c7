package metrics

import "strings"

// PorterStem is the Porter (1980) stem of a lower-case word as NLTK's PorterStemmer computes it
// in its default NLTK_EXTENSIONS mode (nltk/stem/porter.py), the stemmer rouge-score uses:
// Porter's published algorithm with the extensions from Martin Porter's own implementations
// (-fully, -tionally, "are"/"eve" keep their -e, ...) and NLTK's (irregular forms such as
// dying→die and skies→sky, flies→fli but dies→die, y→i only after a consonant, words of one or
// two letters unchanged). Like NLTK it lower-cases first. It works on bytes: for ASCII words,
// all ROUGE ever stems, that is NLTK's result; for other words NLTK counts characters where
// this counts bytes in its few length tests.
func PorterStem(word string) string {
	return porter{nltk: true}.stem(word)
}

// porter is NLTK's PorterStemmer; nltk false is its MARTIN_EXTENSIONS mode (Martin Porter's
// reference implementation), which only the tests use.
type porter struct{ nltk bool }

// irregular is NLTK's table of forms the rules get wrong, with the stems they map to.
var irregular = map[string]string{
	"sky": "sky", "skies": "sky", "dying": "die", "lying": "lie", "tying": "tie", "news": "news",
	"innings": "inning", "inning": "inning", "outings": "outing", "outing": "outing",
	"cannings": "canning", "canning": "canning", "howe": "howe",
	"proceed": "proceed", "exceed": "exceed", "succeed": "succeed",
}

func (p porter) stem(word string) string {
	if s, ok := irregular[word]; ok && p.nltk {
		return s
	}
	w := strings.ToLower(word)
	if len(w) <= 2 {
		return w
	}
	w = p.step1a(w)
	w = p.step1b(w)
	w = p.step1c(w)
	w = p.step2(w)
	w = step3(w)
	w = step4(w)
	w = p.step5a(w)
	return step5b(w)
}

// consonant reports whether w[i] is a consonant: not a vowel, and y only after a vowel or first.
func consonant(w string, i int) bool {
	switch w[i] {
	case 'a', 'e', 'i', 'o', 'u':
		return false
	case 'y':
		return i == 0 || !consonant(w, i-1)
	}
	return true
}

// measure is Porter's m: the number of vowel-consonant sequences in [C](VC){m}[V].
func measure(stem string) int {
	m := 0
	for i := 1; i < len(stem); i++ {
		if !consonant(stem, i-1) && consonant(stem, i) {
			m++
		}
	}
	return m
}

func positive(stem string) bool { return measure(stem) > 0 }

func aboveOne(stem string) bool { return measure(stem) > 1 }

func hasVowel(stem string) bool {
	for i := range len(stem) {
		if !consonant(stem, i) {
			return true
		}
	}
	return false
}

// doubleConsonant is Porter's *d.
func doubleConsonant(w string) bool {
	n := len(w)
	return n >= 2 && w[n-1] == w[n-2] && consonant(w, n-1)
}

// cvc is Porter's *o: w ends consonant-vowel-consonant, the last not w, x or y; NLTK also
// counts a two-letter vowel-consonant word.
func (p porter) cvc(w string) bool {
	n := len(w)
	if n >= 3 && consonant(w, n-3) && !consonant(w, n-2) && consonant(w, n-1) && !strings.ContainsRune("wxy", rune(w[n-1])) {
		return true
	}
	return p.nltk && n == 2 && !consonant(w, 0) && consonant(w, 1)
}

// rule replaces suffix by replacement when cond (nil: always) holds for the stem before it.
type rule struct {
	suffix, replacement string
	cond                func(stem string) bool
}

// applyRules applies the first rule whose suffix w ends with, if its condition holds; either
// way no later rule is tried (NLTK's _apply_rule_list).
func applyRules(w string, rules []rule) string {
	for _, r := range rules {
		if stem, ok := strings.CutSuffix(w, r.suffix); ok {
			if r.cond == nil || r.cond(stem) {
				return stem + r.replacement
			}
			return w
		}
	}
	return w
}

var step1aRules = []rule{{"sses", "ss", nil}, {"ies", "i", nil}, {"ss", "ss", nil}, {"s", "", nil}}

func (p porter) step1a(w string) string {
	if p.nltk && len(w) == 4 && strings.HasSuffix(w, "ies") {
		return w[:1] + "ie" // dies → die, but flies → fli
	}
	return applyRules(w, step1aRules)
}

func (p porter) step1b(w string) string {
	if p.nltk && strings.HasSuffix(w, "ied") {
		if len(w) == 4 {
			return w[:1] + "ie" // died → die, but spied → spi
		}
		return w[:len(w)-3] + "i"
	}
	if stem, ok := strings.CutSuffix(w, "eed"); ok {
		if positive(stem) {
			return stem + "ee"
		}
		return w
	}
	stem, ok := strings.CutSuffix(w, "ed")
	if !ok || !hasVowel(stem) {
		if stem, ok = strings.CutSuffix(w, "ing"); !ok || !hasVowel(stem) {
			return w
		}
	}
	for _, suffix := range []string{"at", "bl", "iz"} {
		if strings.HasSuffix(stem, suffix) {
			return stem + "e"
		}
	}
	if doubleConsonant(stem) {
		if strings.ContainsRune("lsz", rune(stem[len(stem)-1])) {
			return stem
		}
		return stem[:len(stem)-1]
	}
	if measure(stem) == 1 && p.cvc(stem) {
		return stem + "e"
	}
	return stem
}

func (p porter) step1c(w string) string {
	stem, ok := strings.CutSuffix(w, "y")
	if !ok {
		return w
	}
	if p.nltk && len(stem) > 1 && consonant(stem, len(stem)-1) || !p.nltk && hasVowel(stem) {
		return stem + "i"
	}
	return w
}

var step2Rules = []rule{
	{"ational", "ate", positive}, {"tional", "tion", positive}, {"enci", "ence", positive},
	{"anci", "ance", positive}, {"izer", "ize", positive}, {"bli", "ble", positive},
	{"alli", "al", positive}, {"entli", "ent", positive}, {"eli", "e", positive},
	{"ousli", "ous", positive}, {"ization", "ize", positive}, {"ation", "ate", positive},
	{"ator", "ate", positive}, {"alism", "al", positive}, {"iveness", "ive", positive},
	{"fulness", "ful", positive}, {"ousness", "ous", positive}, {"aliti", "al", positive},
	{"iviti", "ive", positive}, {"biliti", "ble", positive},
}

func (p porter) step2(w string) string {
	if !p.nltk {
		return applyRules(w, append(step2Rules[:len(step2Rules):len(step2Rules)], rule{"logi", "log", positive}))
	}
	if stem, ok := strings.CutSuffix(w, "alli"); ok && positive(stem) {
		return p.step2(stem + "al")
	}
	// NLTK keeps the l of -logi with the stem when measuring, so geo-, theo- count like philo-.
	logi := rule{"logi", "log", func(string) bool { return positive(w[:len(w)-3]) }}
	return applyRules(w, append(step2Rules[:len(step2Rules):len(step2Rules)], rule{"fulli", "ful", positive}, logi))
}

var step3Rules = []rule{
	{"icate", "ic", positive}, {"ative", "", positive}, {"alize", "al", positive},
	{"iciti", "ic", positive}, {"ical", "ic", positive}, {"ful", "", positive}, {"ness", "", positive},
}

func step3(w string) string { return applyRules(w, step3Rules) }

var step4Rules = []rule{
	{"al", "", aboveOne}, {"ance", "", aboveOne}, {"ence", "", aboveOne}, {"er", "", aboveOne},
	{"ic", "", aboveOne}, {"able", "", aboveOne}, {"ible", "", aboveOne}, {"ant", "", aboveOne},
	{"ement", "", aboveOne}, {"ment", "", aboveOne}, {"ent", "", aboveOne},
	{"ion", "", func(stem string) bool { return aboveOne(stem) && strings.ContainsRune("st", rune(stem[len(stem)-1])) }},
	{"ou", "", aboveOne}, {"ism", "", aboveOne}, {"ate", "", aboveOne}, {"iti", "", aboveOne},
	{"ous", "", aboveOne}, {"ive", "", aboveOne}, {"ize", "", aboveOne},
}

func step4(w string) string { return applyRules(w, step4Rules) }

func (p porter) step5a(w string) string {
	stem, ok := strings.CutSuffix(w, "e")
	if !ok {
		return w
	}
	if m := measure(stem); m > 1 || m == 1 && !p.cvc(stem) {
		return stem
	}
	return w
}

func step5b(w string) string {
	if strings.HasSuffix(w, "ll") && aboveOne(w[:len(w)-1]) {
		return w[:len(w)-1]
	}
	return w
}
