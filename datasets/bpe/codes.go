package bpe

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// codesHeader opens the text form of a model.
const codesHeader = "#gorgonet-bpe v1"

// MarshalText writes the model in the spirit of subword-nmt's codes file: a header line, one
// line per base character (most frequent first), then one line per merge in order, its two
// units separated by a space. Units hold no white space, so the lines are unambiguous. As a
// TextMarshaler the model travels in JSON (a checkpoint's data description) as one string.
func (m *Model) MarshalText() ([]byte, error) {
	var b strings.Builder
	b.WriteString(codesHeader + "\n")
	for _, c := range m.chars {
		b.WriteString(c + "\n")
	}
	for _, mg := range m.merges {
		b.WriteString(mg.Left + " " + mg.Right + "\n")
	}
	return []byte(b.String()), nil
}

// UnmarshalText reads what MarshalText wrote, refusing a malformed file with the line at fault.
func (m *Model) UnmarshalText(text []byte) error {
	if !utf8.Valid(text) {
		return fmt.Errorf("bpe codes: not UTF-8")
	}
	lines := strings.Split(strings.TrimSuffix(string(text), "\n"), "\n")
	if lines[0] != codesHeader {
		return fmt.Errorf("bpe codes line 1: got %q, want %q", lines[0], codesHeader)
	}
	var chars []string
	var merges []Merge
	for i, line := range lines[1:] {
		left, right, isMerge := strings.Cut(line, " ")
		switch {
		case !isMerge && merges != nil:
			return fmt.Errorf("bpe codes line %d: base character %q after the merges", i+2, line)
		case !isMerge:
			chars = append(chars, line)
		case left == "" || right == "" || strings.Contains(right, " "):
			return fmt.Errorf("bpe codes line %d: %q is not two units separated by one space", i+2, line)
		default:
			merges = append(merges, Merge{left, right})
		}
	}
	nm, err := newModel(chars, merges)
	if err != nil {
		return fmt.Errorf("bpe codes: %v", err)
	}
	*m = Model{chars: nm.chars, merges: nm.merges, units: nm.units, known: nm.known, ranks: nm.ranks, vocab: nm.vocab,
		id: nm.id, merge: nm.merge, cache: nm.cache}
	return nil
}
