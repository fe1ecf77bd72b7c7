package datasets

import "strings"

// Chars splits word tokens, joined by single spaces, into their characters: ["ab", "c"]
// gives a, b, " ", c.
func Chars(words []string) []string {
	var out []string
	for _, r := range strings.Join(words, " ") {
		out = append(out, string(r))
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
