package datasets

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
)

// The Ding German–English dictionary (Frank Richter, TU Chemnitz, GPL-2+) is read in place from
// the Debian package DeEnPackage, never embedded or copied into this repository.
const (
	DeEnPath    = "/usr/share/trans/de-en"
	DeEnPackage = "trans-de-en"
)

// LoadDeEn reads the Ding German–English dictionary at path ("" means DeEnPath) and cleans it
// into phrase pairs, in file order: Source the German tokens, Target the English tokens, both
// made by Tokenize (so lower-case), Key the German tokens joined by spaces. Each line is
// "German :: English"; "|" separates aligned sub-entries and ";" synonyms, so each aligned
// German synonym pairs with each English synonym. Annotations ({f}, [Br.], (…), <…>, /ABBR/,
// ~see-also) are removed; a synonym still holding a bracket or a slash is dropped, and so is a
// line whose two sides have different numbers of sub-entries. Pairs are kept when both sides
// have 1..maxLen tokens, each (Key, Target) once. See datasets/README.md.
func LoadDeEn(path string, maxLen int) ([]Pair, error) {
	if path == "" {
		path = DeEnPath
	}
	if maxLen < 1 {
		return nil, fmt.Errorf("datasets: LoadDeEn: maxLen %d must be at least 1", maxLen)
	}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("datasets: %s does not exist; the Debian package %s installs the Ding German-English dictionary as %s (apt-get install %s)",
			path, DeEnPackage, DeEnPath, DeEnPackage)
	}
	if err != nil {
		return nil, fmt.Errorf("datasets: %s: %w", path, unwrapPath(err))
	}
	defer f.Close()
	return readDing(path, f, maxLen)
}

// readDing parses the dictionary lines of r as LoadDeEn describes; name is for error messages.
func readDing(name string, r io.Reader, maxLen int) ([]Pair, error) {
	var pairs []Pair
	seen := map[string]bool{} // key + "\t" + target, to drop repeats
	err := eachLine(name, r, func(line string) error {
		german, english, err := splitDingLine(line)
		if err != nil || german == nil {
			return err
		}
		for i := range german {
			srcs, tgts := dingPhrases(german[i], maxLen), dingPhrases(english[i], maxLen)
			if len(srcs)*len(tgts) > maxDingPairs {
				continue // not a dictionary entry: the largest in the dictionary makes 735
			}
			for _, src := range srcs {
				key := strings.Join(src, " ")
				for _, tgt := range tgts {
					if id := key + "\t" + strings.Join(tgt, " "); !seen[id] {
						seen[id] = true
						pairs = append(pairs, Pair{Key: key, Source: src, Target: tgt})
					}
				}
			}
		}
		return nil
	})
	return pairs, err
}

// maxDingPairs bounds the synonym pairs of one sub-entry, which grow as the product of its
// two sides: a line of thousands of synonyms would otherwise make millions of pairs.
const maxDingPairs = 1024

// splitDingLine returns the aligned sub-entries of "German :: English"; both are nil for a
// comment, a blank line or a line whose sides do not align.
func splitDingLine(line string) (german, english []string, err error) {
	if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
		return nil, nil, nil
	}
	de, en, ok := strings.Cut(line, " :: ")
	if !ok || strings.Contains(en, " :: ") {
		return nil, nil, errors.New(`want one " :: " between the German and the English side`)
	}
	german, english = strings.Split(de, "|"), strings.Split(en, "|")
	if len(german) != len(english) {
		return nil, nil, nil
	}
	return german, english, nil
}

// dingPhrases cleans one sub-entry ("Aas {n}; Aasfleisch {n} [zool.]") into the token lists of
// its synonyms that have 1..maxLen tokens.
func dingPhrases(entry string, maxLen int) [][]string {
	entry, ok := stripBrackets(entry)
	if !ok {
		return nil
	}
	var phrases [][]string
	for _, syn := range strings.Split(stripAbbreviations(entry), ";") {
		syn, _, _ = strings.Cut(syn, "~") // "~Sprachreise" points to another entry
		if strings.ContainsAny(syn, "/{}[]()<>") {
			continue // "decomposition/degradation rate" packs two phrases into one
		}
		if toks := Tokenize(syn); len(toks) >= 1 && len(toks) <= maxLen {
			phrases = append(phrases, toks)
		}
	}
	return phrases
}

var closers = map[rune]rune{'{': '}', '[': ']', '(': ')', '<': '>'}

// stripBrackets removes {…}, […], (…) and <…> with their contents, nested or not; ok is false
// when the brackets do not balance.
func stripBrackets(s string) (out string, ok bool) {
	var b strings.Builder
	var open []rune // the closers expected, innermost last
	for _, r := range s {
		switch r {
		case '{', '[', '(', '<':
			open = append(open, closers[r])
		case '}', ']', ')', '>':
			if len(open) == 0 || open[len(open)-1] != r {
				return "", false
			}
			open = open[:len(open)-1]
		default:
			if len(open) == 0 {
				b.WriteRune(r)
			}
		}
	}
	return b.String(), len(open) == 0
}

// stripAbbreviations removes abbreviations written " /ABBR/" (such as "/AG/" or "/z. B./"): a
// slash at the start or after a space, a text neither starting nor ending with a space, and a
// slash before the end, a space or a ";".
func stripAbbreviations(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '/' && (i == 0 || s[i-1] == ' ') {
			if end := strings.IndexByte(s[i+1:], '/'); end > 0 {
				end += i + 1
				if s[i+1] != ' ' && s[end-1] != ' ' && (end+1 == len(s) || s[end+1] == ' ' || s[end+1] == ';') {
					i = end
					continue
				}
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
