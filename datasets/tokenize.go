package datasets

import (
	"strings"
	"unicode"
)

// Tokenize splits text into lower-case word tokens for classification: runs of letters and
// digits (with their combining marks) are words, an apostrophe between two word characters stays
// inside the word ("don't"), and every other character that is not white space is a token of its
// own. The typographic apostrophe ’ is read as ' ("don’t" gives "don't"). It is defined for any
// string: each invalid UTF-8 byte becomes the token "\uFFFD".
func Tokenize(s string) []string {
	var toks []string
	var word strings.Builder
	flush := func() {
		if word.Len() > 0 {
			toks = append(toks, word.String())
			word.Reset()
		}
	}
	runes := []rune(s) // invalid bytes decode as utf8.RuneError
	for i, r := range runes {
		switch {
		case isWordRune(r):
			word.WriteRune(unicode.ToLower(r))
		case isApostrophe(r) && word.Len() > 0 && i+1 < len(runes) && isWordRune(runes[i+1]):
			word.WriteByte('\'')
		case unicode.IsSpace(r):
			flush()
		case isApostrophe(r):
			flush()
			toks = append(toks, "'")
		default:
			flush()
			toks = append(toks, string(unicode.ToLower(r)))
		}
	}
	flush()
	return toks
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r) }

func isApostrophe(r rune) bool { return r == '\'' || r == '’' }
