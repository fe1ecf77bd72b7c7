package datasets

import (
	"reflect"
	"strings"
	"testing"
)

func TestCharsWords(t *testing.T) {
	for _, tt := range []struct {
		words []string
		chars string // the characters, one per rune
	}{
		{nil, ""},
		{[]string{"ab", "c"}, "ab c"},
		{[]string{"häuser", "'"}, "häuser '"},
	} {
		got := Chars(tt.words)
		if strings.Join(got, "") != tt.chars || len(got) != len([]rune(tt.chars)) {
			t.Errorf("Chars(%q) = %q, want the runes of %q", tt.words, got, tt.chars)
		}
		if back := Words(got); len(back)+len(tt.words) > 0 && !reflect.DeepEqual(back, tt.words) {
			t.Errorf("Words(Chars(%q)) = %q", tt.words, back)
		}
	}
	// A byte that is not UTF-8 is one U+FFFD character, as ranging over the string reads it.
	if got := Chars([]string{"a\xffé"}); !reflect.DeepEqual(got, []string{"a", "\uFFFD", "é"}) {
		t.Errorf("Chars of invalid UTF-8 = %q, want [a \uFFFD é]", got)
	}
	if got := Words([]string{" ", "a", " ", " ", "b", " "}); !reflect.DeepEqual(got, []string{"a", "b"}) {
		t.Errorf("Words of spaced characters = %q, want [a b]", got)
	}
}

func TestCharPairs(t *testing.T) {
	pairs := []Pair{
		{Key: "haus", Source: []string{"haus"}, Target: []string{"house"}},
		{Key: "eine katze", Source: []string{"eine", "katze"}, Target: []string{"a", "cat"}},
		{Key: "haus", Source: []string{"haus"}, Target: []string{"a", "building"}},                // 10 characters
		{Key: "gehen lassen", Source: []string{"gehen", "lassen"}, Target: []string{"let", "go"}}, // 12
	}
	got := CharPairs(pairs, 10)
	want := []Pair{
		{Key: "haus", Source: []string{"h", "a", "u", "s"}, Target: []string{"h", "o", "u", "s", "e"}},
		{Key: "eine katze", Source: Chars([]string{"eine", "katze"}), Target: []string{"a", " ", "c", "a", "t"}},
		{Key: "haus", Source: []string{"h", "a", "u", "s"}, Target: Chars([]string{"a", "building"})},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("CharPairs(…, 10) =\n%q\nwant\n%q", got, want)
	}
}
