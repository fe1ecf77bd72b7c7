package metrics

import (
	"strings"
	"unicode"
)

// Tokenize13a is sacrebleu's default "13a" tokenizer, the normalisation of
// mteval-v13a.pl used by WMT, ported from sacrebleu 2.x tokenizer_13a.py and
// tokenizer_re.py. In order it: removes "<skipped>", joins "-\n", turns other
// newlines into spaces, unescapes &quot; &amp; &lt; &gt; (in that order, once
// each), pads ASCII punctuation and symbols other than ' , - . with spaces,
// splits "." and "," from a neighbour unless that neighbour is a digit
// (so "3.5" and "1,000" stay whole), splits "-" after a digit, and finally
// collapses whitespace (as Python's str.split does) to single spaces.
func Tokenize13a(s string) string {
	s = strings.ReplaceAll(s, "<skipped>", "")
	s = strings.ReplaceAll(s, "-\n", "")
	s = strings.ReplaceAll(s, "\n", " ")
	if strings.Contains(s, "&") {
		s = strings.ReplaceAll(s, "&quot;", `"`)
		s = strings.ReplaceAll(s, "&amp;", "&")
		s = strings.ReplaceAll(s, "&lt;", "<")
		s = strings.ReplaceAll(s, "&gt;", ">")
	}
	s = padSymbols(" " + s + " ")
	// ([^0-9])([\.,]) -> "\1 \2 "
	s = replacePairs(s, isNotDigit, isPeriodOrComma, func(b *strings.Builder, x, y byte) {
		b.WriteByte(x)
		b.WriteByte(' ')
		b.WriteByte(y)
		b.WriteByte(' ')
	})
	// ([\.,])([^0-9]) -> " \1 \2"
	s = replacePairs(s, isPeriodOrComma, isNotDigit, func(b *strings.Builder, x, y byte) {
		b.WriteByte(' ')
		b.WriteByte(x)
		b.WriteByte(' ')
		b.WriteByte(y)
	})
	// ([0-9])(-) -> "\1 \2 "
	s = replacePairs(s, isDigit, isDash, func(b *strings.Builder, x, y byte) {
		b.WriteByte(x)
		b.WriteByte(' ')
		b.WriteByte(y)
		b.WriteByte(' ')
	})
	return strings.Join(strings.FieldsFunc(s, isPythonSpace), " ")
}

// isSymbol is the class [\{-\~\[-\` -\&\(-\+\:-\@\/] of 13a's first regex.
func isSymbol(c byte) bool {
	return c >= '{' && c <= '~' ||
		c >= '[' && c <= '`' ||
		c >= ' ' && c <= '&' ||
		c >= '(' && c <= '+' ||
		c >= ':' && c <= '@' ||
		c == '/'
}

func isDigit(c byte) bool         { return c >= '0' && c <= '9' }
func isNotDigit(c byte) bool      { return !isDigit(c) }
func isPeriodOrComma(c byte) bool { return c == '.' || c == ',' }
func isDash(c byte) bool          { return c == '-' }

// padSymbols surrounds every isSymbol byte with spaces (re.sub(r'(...)', r' \1 ')).
func padSymbols(s string) string {
	var b strings.Builder
	b.Grow(len(s) + len(s)/2)
	for i := 0; i < len(s); i++ {
		if isSymbol(s[i]) {
			b.WriteByte(' ')
			b.WriteByte(s[i])
			b.WriteByte(' ')
		} else {
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// replacePairs mimics Python's re.sub for a two-character pattern ([A])([B]):
// it scans left to right and each match consumes both characters, so
// matches never overlap. Working on bytes rather than runes gives the same
// result because every class that names characters names only ASCII ones, and
// UTF-8 bytes of other runes are never ASCII: a rune next to "." or "," is
// split off exactly as Python splits the whole code point.
func replacePairs(s string, first, second func(byte) bool, write func(b *strings.Builder, x, y byte)) string {
	var b strings.Builder
	b.Grow(len(s) + len(s)/2)
	for i := 0; i < len(s); i++ {
		if i+1 < len(s) && first(s[i]) && second(s[i+1]) {
			write(&b, s[i], s[i+1])
			i++
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// isPythonSpace matches Python's str.isspace, which str.split and str.rstrip
// use: Unicode White_Space plus the separators U+001C..U+001F.
func isPythonSpace(r rune) bool {
	return unicode.IsSpace(r) || r >= 0x1c && r <= 0x1f
}
