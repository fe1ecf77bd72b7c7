package bpe

import (
	"strings"
	"testing"
)

// FuzzBPE learns a model from one text and checks that Normalize is idempotent, that
// decode∘encode is the identity on the normalised training text, that another text comes back
// with exactly its unseen characters as <unk>, and that the codes file round-trips.
func FuzzBPE(f *testing.F) {
	f.Add("low lower newest widest low newest", "lowest wider")
	f.Add("Der Hund   biss\tden Mann.", "Der Mann biß zurück.")
	f.Add("e\u0301e\u0301 cafe\u0301 \xff", "▁a▁▁b ")
	f.Add("<unk> a<unk> <pad><eos>", "<unk>")
	f.Fuzz(func(t *testing.T, train, text string) {
		for _, s := range []string{train, text} {
			if n := Normalize(s); Normalize(n) != n {
				t.Fatalf("Normalize(%q) = %q is not a fixed point", s, n)
			}
		}
		m, err := Learn([]string{train, train}, 300)
		if err != nil {
			return // no words, or more than 300 distinct characters
		}
		if got, want := m.Decode(m.Encode(train)), Normalize(train); got != want {
			t.Fatalf("Decode(Encode(%q)) = %q, want %q", train, got, want)
		}
		if got, want := m.Decode(m.Encode(text)), withUnk(m, Normalize(text)); got != want {
			t.Fatalf("Decode(Encode(%q)) = %q, want %q", text, got, want)
		}
		codes, err := m.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		var back Model
		if err := back.UnmarshalText(codes); err != nil {
			t.Fatalf("UnmarshalText(MarshalText()) of a model of %q: %v", train, err)
		}
		if got, want := strings.Join(back.Encode(text), " "), strings.Join(m.Encode(text), " "); got != want {
			t.Fatalf("after the codes round trip Encode(%q) = %q, want %q", text, got, want)
		}
	})
}

// withUnk replaces each character of text that m never saw (space aside) by Unk.
func withUnk(m *Model, text string) string {
	var b strings.Builder
	for _, r := range text {
		if r == ' ' || m.known[string(r)] {
			b.WriteRune(r)
		} else {
			b.WriteString(Unk)
		}
	}
	return b.String()
}
