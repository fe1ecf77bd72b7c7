package metrics

import (
	"testing"
	"unicode"
)

func TestTokenize13a(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"punctuation split", "Hello, world!", "Hello , world !"},
		{"decimal stays whole", "3.5", "3.5"},
		{"thousands and decimals stay whole", "$5,000.00", "$ 5,000.00"},
		// "." and "," split unless a digit is on that side: ".5" keeps
		// nothing together because the digit is only on one side.
		{"period before digit", ".5 and 5.", ". 5 and 5 ."},
		// Each "." has a letter before it, so every one is split off.
		{"abbreviation", "e.g. U.S.A.", "e . g . U . S . A ."},
		{"apostrophe kept", "It wasn't surprising.", "It wasn't surprising ."},
		{"html entities", "&quot;Hi&quot; &amp; &lt;b&gt;", `" Hi " & < b >`},
		// Entities are unescaped once each, in order, so &amp;lt; becomes &lt; then <.
		{"double-escaped", "&amp;lt; &amp;quot;", "< & quot ;"},
		{"dash after digit only", "1-2 a-b x-1", "1 - 2 a-b x-1"},
		{"symbols", "(a) [b] {c} a/b 50% #1 @x", "( a ) [ b ] { c } a / b 50 % # 1 @ x"},
		{"hyphenated line break joins", "line one-\nline two\nend", "line oneline two end"},
		{"skipped marker removed", "<skipped> kept <skipped>", "kept"},
		{"whitespace collapsed", "  a \t b\u00a0c\u3000d  ", "a b c d"},
		{"zero-width space is not space", "a\u200bb", "a\u200bb"},
		{"non-ASCII next to period", "zahăr. 中.x", "zahăr . 中 . x"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		if got := Tokenize13a(tt.in); got != tt.want {
			t.Errorf("%s: Tokenize13a(%q) = %q, want %q", tt.name, tt.in, got, tt.want)
		}
	}
}

// TestTokenize13aGolden compares with sacrebleu's Tokenizer13a on hand-picked
// and 300 seeded random strings mixing punctuation, digits, entities,
// newlines, Unicode spaces and non-ASCII runes.
func TestTokenize13aGolden(t *testing.T) {
	g := loadSacrebleuGolden(t)
	if len(g.Tokenize) < 300 {
		t.Fatalf("golden file has %d tokenizer cases, want ≥ 300", len(g.Tokenize))
	}
	for _, c := range g.Tokenize {
		if got := Tokenize13a(c.In); got != c.Out {
			t.Errorf("Tokenize13a(%q) = %q, want %q", c.In, got, c.Out)
		}
	}
}

// TestIsPythonSpace checks isPythonSpace against the code points for which
// Python 3.11's str.isspace is true (printed by
// [c for c in range(0x110000) if chr(c).isspace()]).
func TestIsPythonSpace(t *testing.T) {
	want := map[rune]bool{}
	for _, r := range []rune{
		0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680,
		0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a,
		0x2028, 0x2029, 0x202f, 0x205f, 0x3000,
	} {
		want[r] = true
	}
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if got := isPythonSpace(r); got != want[r] {
			t.Errorf("isPythonSpace(%U) = %v, want %v", r, got, want[r])
		}
	}
}
