package bpe

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/gorgonet/gorgonet/datasets"
)

// sennrich is the toy dictionary of Sennrich et al. (2016), Algorithm 1: low ×5, lower ×2,
// newest ×6, widest ×3.
func sennrich() []string {
	var texts []string
	for w, n := range map[string]int{"low": 5, "lower": 2, "newest": 6, "widest": 3} {
		for range n {
			texts = append(texts, w)
		}
	}
	return texts
}

func TestLearnSennrichExample(t *testing.T) {
	m, err := Learn(sennrich(), 11+10)
	if err != nil {
		t.Fatal(err)
	}
	// The paper's first two merges are e·s and es·t (9 occurrences each). With a word-start
	// marker instead of </w>, the paper's third (est·</w>) has no counterpart; the ties at 7
	// (▁·l, l·o, o·w), at 6 and at 3 (▁·w, w·i, i·d, d·est) go to the smaller left unit
	// ("d" < "l" < "o" < "w" < "▁" in byte order).
	want := []Merge{{"e", "s"}, {"es", "t"}, {"l", "o"}, {"lo", "w"}, {"▁", "low"},
		{"e", "w"}, {"ew", "est"}, {"n", "ewest"}, {"▁", "newest"}, {"d", "est"}}
	if got := m.Merges(); !slices.Equal(got, want) {
		t.Errorf("merges:\n got %q\nwant %q", got, want)
	}
	// 11 characters: e ×17 (most frequent), w ×16, ▁ ×16, then by count and byte order.
	if got := m.Units()[:3]; !slices.Equal(got, []string{"e", "w", "▁"}) {
		t.Errorf("most frequent characters = %q, want e, w, ▁", got)
	}
	if len(m.Units()) != 21 {
		t.Errorf("%d units, want 21", len(m.Units()))
	}
	for text, want := range map[string][]string{
		"lowest":        {"▁low", "est"},
		"newest widest": {"▁newest", "▁", "w", "i", "dest"},
		"lower":         {"▁low", "e", "r"},
	} {
		if got := m.Encode(text); !slices.Equal(got, want) {
			t.Errorf("Encode(%q) = %q, want %q", text, got, want)
		}
	}
}

func TestLearnIsDeterministic(t *testing.T) {
	texts := opticksLines(t, 3000)
	a, err := Learn(texts, 500)
	if err != nil {
		t.Fatal(err)
	}
	reversed := slices.Clone(texts)
	slices.Reverse(reversed)
	b, err := Learn(reversed, 500)
	if err != nil {
		t.Fatal(err)
	}
	ta, _ := a.MarshalText()
	tb, _ := b.MarshalText()
	if string(ta) != string(tb) {
		t.Error("the same corpus in another order learned another model")
	}
	if len(a.Units()) != 500 {
		t.Errorf("%d units, want 500", len(a.Units()))
	}
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	texts := opticksLines(t, 0)
	m, err := Learn(texts, 2000)
	if err != nil {
		t.Fatal(err)
	}
	units := 0
	for _, text := range texts {
		enc := m.Encode(text)
		units += len(enc)
		if got := m.Decode(enc); got != Normalize(text) {
			t.Fatalf("Decode(Encode(%q)) = %q", text, got)
		}
		if got := m.DecodeIDs(m.IDs(text)); got != Normalize(text) {
			t.Fatalf("DecodeIDs(IDs(%q)) = %q", text, got)
		}
	}
	words := len(strings.Fields(strings.Join(texts, " ")))
	if units >= 2*words {
		t.Errorf("%d units for %d words: the merges hardly compress Opticks", units, words)
	}
}

func TestUnknownCharacter(t *testing.T) {
	m, err := Learn(sennrich(), 21)
	if err != nil {
		t.Fatal(err)
	}
	got := m.Encode("lowΩ zz")
	want := []string{"▁low", Unk, "▁", Unk, Unk}
	if !slices.Equal(got, want) {
		t.Fatalf("Encode = %q, want %q", got, want)
	}
	ids := m.IDs("lowΩ zz")
	if ids[1] != datasets.UnkID || ids[3] != datasets.UnkID {
		t.Errorf("ids %v: the unknown characters are not UnkID", ids)
	}
	if got := m.Decode(got); got != "low<unk> <unk><unk>" {
		t.Errorf("Decode = %q", got)
	}
}

func TestEmptyInput(t *testing.T) {
	for _, texts := range [][]string{nil, {}, {"", " \t\n", "▁"}} {
		if _, err := Learn(texts, 100); err == nil || !strings.Contains(err.Error(), "no words") {
			t.Errorf("Learn(%q): err = %v, want no words", texts, err)
		}
	}
	m, err := Learn(sennrich(), 21)
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Encode(" \n "); len(got) != 0 {
		t.Errorf("Encode(space) = %q, want none", got)
	}
	if got := m.Decode(nil); got != "" {
		t.Errorf("Decode(nil) = %q", got)
	}
	if got := m.DecodeIDs([]int{datasets.BosID, datasets.EosID, 7}); got != "" {
		t.Errorf("DecodeIDs(bos, eos, ...) = %q, want empty", got)
	}
}

func TestVocabularySize(t *testing.T) {
	if _, err := Learn(sennrich(), 10); err == nil || !strings.Contains(err.Error(), "11 distinct characters") {
		t.Errorf("vocabulary below the alphabet: err = %v", err)
	}
	m, err := Learn(sennrich(), 11)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Merges()) != 0 {
		t.Errorf("vocabulary = alphabet learned %d merges", len(m.Merges()))
	}
	// The toy corpus runs out of pairs seen twice long before 1000 units.
	m, err = Learn(sennrich(), 1000)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(m.Units()); n >= 1000 || n <= 21 {
		t.Errorf("%d units from the toy corpus", n)
	}
	if m.Vocab().Size() != len(m.Units())+4 {
		t.Errorf("Vocab size %d for %d units", m.Vocab().Size(), len(m.Units()))
	}
}

func TestNoUnitSpellsASpecialToken(t *testing.T) {
	texts := slices.Repeat([]string{"a<unk> b<pad> <eos>"}, 5)
	m, err := Learn(texts, 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range m.Units() {
		if strings.HasPrefix(u, "<") && strings.HasSuffix(u, ">") && len(u) == 5 {
			t.Errorf("learned unit %q", u)
		}
	}
	if got := m.Decode(m.Encode(texts[0])); got != texts[0] {
		t.Errorf("round trip = %q", got)
	}
}

func TestNormalize(t *testing.T) {
	for in, want := range map[string]string{
		"  Hello,\t\tWorld!\n":   "Hello, World!",
		"Cafe\u0301":             "Café", // NFC composes e + combining acute
		"a▁b":                    "a b",
		"bad \xff byte":          "bad \uFFFD byte",
		"no\u00a0break\u2028sep": "no break sep",
		"":                       "",
	} {
		if got := Normalize(in); got != want {
			t.Errorf("Normalize(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMarshalTextRoundTrip(t *testing.T) {
	m, err := Learn(opticksLines(t, 2000), 400)
	if err != nil {
		t.Fatal(err)
	}
	text, err := m.MarshalText()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(text), "#gorgonet-bpe v1\n▁\ne\n") {
		t.Errorf("codes start %q", text[:30])
	}
	var back Model
	if err := back.UnmarshalText(text); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(back.Units(), m.Units()) || !slices.Equal(back.Merges(), m.Merges()) {
		t.Error("units or merges changed in the round trip")
	}
	sample := "Light is propagated from luminous Bodies in time."
	if !slices.Equal(back.Encode(sample), m.Encode(sample)) {
		t.Errorf("encodings differ: %q vs %q", back.Encode(sample), m.Encode(sample))
	}
	js, err := json.Marshal(struct{ BPE *Model }{m})
	if err != nil {
		t.Fatal(err)
	}
	var fromJSON struct{ BPE *Model }
	if err := json.Unmarshal(js, &fromJSON); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(fromJSON.BPE.IDs(sample), m.IDs(sample)) {
		t.Error("ids differ after a JSON round trip")
	}
}

func TestUnmarshalTextErrors(t *testing.T) {
	for codes, want := range map[string]string{
		"":                                 "line 1",
		"#gorgonet-bpe v2\n":               "line 1",
		"#gorgonet-bpe v1\na\nb\na b\nc\n": `line 5: base character "c" after the merges`,
		"#gorgonet-bpe v1\na\na  b\n":      "line 3",
		"#gorgonet-bpe v1\nab\n":           `base character "ab"`,
		"#gorgonet-bpe v1\na\na\n":         `base character "a"`,
		"#gorgonet-bpe v1\na\na b\n":       "merge 1",
		"#gorgonet-bpe v1\n<\nu\nn\nk\n>\n< u\n<u n\n<un k\n<unk >\n": `special token "<unk>"`,
		"#gorgonet-bpe v1\n\xff\n":                                    "not UTF-8",
	} {
		var m Model
		err := m.UnmarshalText([]byte(codes))
		if err == nil || !strings.Contains(err.Error(), want) || !strings.HasPrefix(err.Error(), "bpe codes") {
			t.Errorf("UnmarshalText(%q): err = %v, want %q", codes, err, want)
		}
	}
}

// opticksLines is the first n non-empty lines of Newton's Opticks (all when n is 0).
func opticksLines(t testing.TB, n int) []string {
	t.Helper()
	text, err := datasets.LoadOpticks("")
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for line := range strings.Lines(text) {
		if strings.TrimSpace(line) != "" && (n == 0 || len(lines) < n) {
			lines = append(lines, line)
		}
	}
	return lines
}
