package datasets

import (
	"strings"
	"unicode/utf8"
)

// Chars splits word tokens, joined by single spaces, into their characters: ["ab", "c"]
// gives a, b, " ", c.
func Chars(words []string) []string {
	s := strings.Join(words, " ")
	out := make([]string, 0, utf8.RuneCountInString(s))
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			out = append(out, string(utf8.RuneError)) // as ranging over s reads a bad byte
		} else {
			out = append(out, s[i:i+size]) // a view of s: no string per character
		}
		i += size
	}
	return out
}

// Words undoes Chars: characters joined, then split at the spaces. Runs of spaces, and spaces
// at either end, separate nothing.
func Words(chars []string) []string { return strings.Fields(strings.Join(chars, "")) }

// CharPairs rewrites word-token pairs as character pairs (see Chars), keys unchanged, leaving
// out pairs with a side of more than maxLen characters.
func CharPairs(pairs []Pair, maxLen int) []Pair {
	var out []Pair
	for _, p := range pairs {
		src, tgt := Chars(p.Source), Chars(p.Target)
		if len(src) <= maxLen && len(tgt) <= maxLen {
			out = append(out, Pair{Key: p.Key, Source: src, Target: tgt})
		}
	}
	return out
}
