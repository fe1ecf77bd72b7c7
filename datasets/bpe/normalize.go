package bpe

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Marker starts every word: "▁" (U+2581), as in SentencePiece. A unit that begins with it
// begins a word, and Decode turns it back into the space before that word.
const Marker = "▁"

// Normalize is the text Encode and Learn work on: invalid UTF-8 bytes become U+FFFD, the text is
// put in Unicode NFC, each run of white space (unicode.IsSpace, and Marker) becomes one space,
// and leading and trailing space is dropped. Case is kept: translation needs it.
func Normalize(text string) string {
	text = norm.NFC.String(strings.ToValidUTF8(text, "\uFFFD"))
	return strings.Join(words(text), " ")
}

// words splits NFC text at runs of white space and Marker.
func words(text string) []string {
	return strings.FieldsFunc(text, func(r rune) bool { return unicode.IsSpace(r) || r == '▁' })
}
