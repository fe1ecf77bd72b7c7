package datasets

import (
	"reflect"
	"testing"
	"unicode/utf8"
)

func TestTokenize(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"   \t\n ", nil},
		{"Hello, World!", []string{"hello", ",", "world", "!"}},
		{"A very, very slow-moving movie.  ", []string{"a", "very", ",", "very", "slow", "-", "moving", "movie", "."}},
		{"I don't know", []string{"i", "don't", "know"}},
		{"Don’t", []string{"don't"}},
		{"hunters’ ’n’", []string{"hunters", "'", "'", "n", "'"}},
		{"'tis the dogs' bone", []string{"'", "tis", "the", "dogs", "'", "bone"}},
		{"rock 'n' roll", []string{"rock", "'", "n", "'", "roll"}},
		{"a''b", []string{"a", "'", "'", "b"}},
		{"Wow... 10/10", []string{"wow", ".", ".", ".", "10", "/", "10"}},
		{"$3.50", []string{"$", "3", ".", "50"}},
		{"Québec CAFÉ crêpe", []string{"québec", "café", "crêpe"}},
		{"cafe\u0301", []string{"cafe\u0301"}}, // a combining accent stays in its word
		{"Straße ÄRGER", []string{"straße", "ärger"}},
		{"Ελληνικά 日本語", []string{"ελληνικά", "日本語"}},
		{"good 👍!", []string{"good", "👍", "!"}},
		{"it\u0096s", []string{"it", "\u0096", "s"}}, // a C1 control character from the IMDb file
		{"wait\u0085what", []string{"wait", "what"}}, // U+0085 (NEL) is white space
		{"ab\xffcd", []string{"ab", "\uFFFD", "cd"}},
		{"\xc3", []string{"\uFFFD"}},
	} {
		got := Tokenize(tt.in)
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Tokenize(%q) = %q, want %q", tt.in, got, tt.want)
		}
		for _, tok := range got {
			if tok == "" || !utf8.ValidString(tok) {
				t.Errorf("Tokenize(%q) gave the token %q: want non-empty valid UTF-8", tt.in, tok)
			}
		}
	}
}

func FuzzTokenize(f *testing.F) {
	for _, s := range []string{"", "don't", "a\xffb", "Ünïcode 'quoted'", "\u0301x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, tok := range Tokenize(s) {
			if tok == "" || !utf8.ValidString(tok) {
				t.Errorf("Tokenize(%q) gave the token %q", s, tok)
			}
		}
	})
}
