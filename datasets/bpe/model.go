package bpe

import (
	"fmt"
	"strings"
	"sync"

	"github.com/gorgonet/gorgonet/datasets"
)

// Unk is the unit of a character the model never saw in training: datasets' "<unk>", so a
// Vocab maps it to datasets.UnkID.
const Unk = "<unk>"

// maxCached bounds the per-word encoding cache; words past it are encoded without caching.
const maxCached = 1 << 17

// Merge joins two adjacent units into one.
type Merge struct{ Left, Right string }

// Model is a learned BPE model: its base characters and its merges in the order learned. Make
// one with Learn or UnmarshalText. It is safe for concurrent use.
type Model struct {
	chars  []string // base characters, most frequent in training first
	merges []Merge  // in the order learned
	units  []string // chars, then each new unit merges spell, each once
	known  map[string]bool
	ranks  map[Merge]int
	vocab  *datasets.Vocab
	id     map[string]int32 // unit → index in units
	merge  map[pair]joined  // the merge of two adjacent units, by index

	mu    sync.Mutex
	cache map[string][]string // word (with Marker) → its units
}

// joined is what a merge of two units makes, and its rank (lower merges first).
type joined struct{ rank, unit int32 }

// newModel checks chars and merges and builds their indexes: every char one non-space
// character, no merge spelling a special token, every merge joining units made before it. Its
// errors name no package: callers say where the model came from.
func newModel(chars []string, merges []Merge) (*Model, error) {
	m := &Model{chars: chars, merges: merges, known: map[string]bool{}, ranks: map[Merge]int{},
		id: map[string]int32{}, merge: map[pair]joined{}, cache: map[string][]string{}}
	banned := map[string]bool{}
	for _, s := range specials() {
		banned[s] = true
	}
	isUnit := map[string]bool{}
	for _, c := range chars {
		if len([]rune(c)) != 1 || words(c) == nil || isUnit[c] {
			return nil, fmt.Errorf("base character %q is not one distinct non-space character", c)
		}
		isUnit[c], m.known[c] = true, true
		m.id[c] = int32(len(m.units))
		m.units = append(m.units, c)
	}
	for i, mg := range merges {
		if !isUnit[mg.Left] || !isUnit[mg.Right] {
			return nil, fmt.Errorf("merge %d (%q %q) joins a unit not made before it", i+1, mg.Left, mg.Right)
		}
		u := mg.Left + mg.Right
		if banned[u] {
			return nil, fmt.Errorf("merge %d spells the special token %q", i+1, u)
		}
		if !isUnit[u] {
			isUnit[u] = true
			m.id[u] = int32(len(m.units))
			m.units = append(m.units, u)
		}
		if _, dup := m.ranks[mg]; !dup {
			m.ranks[mg] = i
			m.merge[pair{m.id[mg.Left], m.id[mg.Right]}] = joined{int32(i), m.id[u]}
		}
	}
	vocab, err := datasets.NewVocab(append(specials(), m.units...))
	if err != nil {
		return nil, err
	}
	m.vocab = vocab
	return m, nil
}

// specials are datasets' special tokens, in id order.
func specials() []string { return datasets.BuildVocab(nil, 0, 0).Tokens }

// Units is every unit the model can produce besides Unk: the base characters, most frequent
// first, then the merged units in the order learned. len(Units()) is the vocabulary size Learn
// was asked for, or less when the corpus ran out of pairs.
func (m *Model) Units() []string { return m.units }

// Merges is the merges in the order learned.
func (m *Model) Merges() []Merge { return m.merges }

// Vocab maps units to ids: datasets' four specials (ids 0–3, Unk among them), then Units() in
// order. Unk is datasets.UnkID.
func (m *Model) Vocab() *datasets.Vocab { return m.vocab }

// Encode splits Normalize(text) into units: each word starts with Marker and is cut by the
// merges, applied lowest rank first as in training. A character not seen in training becomes Unk.
// Empty or all-space text gives no units.
func (m *Model) Encode(text string) []string {
	var units []string
	for _, w := range words(Normalize(text)) {
		units = append(units, m.encodeWord(Marker+w)...)
	}
	return units
}

// IDs is Encode followed by Vocab().Encode: the ids of text's units, without BOS or EOS.
func (m *Model) IDs(text string) []int { return m.vocab.Encode(m.Encode(text)) }

// Decode joins units back into text: Marker becomes a space between words, and runs of space
// collapse as in Normalize, so Decode(Encode(t)) == Normalize(t) when every character of t was
// seen in training. Unk stays "<unk>" in the text.
func (m *Model) Decode(units []string) string {
	return strings.Join(words(strings.Join(units, "")), " ")
}

// DecodeIDs is Vocab().Decode (which stops at EOS and skips padding and BOS) followed by Decode:
// a model's output ids as text.
func (m *Model) DecodeIDs(ids []int) string { return m.Decode(m.vocab.Decode(ids)) }

// encodeWord cuts one word (starting with Marker), consulting and filling the cache.
func (m *Model) encodeWord(w string) []string {
	m.mu.Lock()
	units, ok := m.cache[w]
	m.mu.Unlock()
	if ok {
		return units
	}
	units = m.segment(w)
	m.mu.Lock()
	if len(m.cache) < maxCached {
		m.cache[w] = units
	}
	m.mu.Unlock()
	return units
}

// segment splits w into characters (Unk for unknown ones) and applies the merge of lowest rank
// among adjacent units until none applies.
func (m *Model) segment(w string) []string {
	seq := make([]int32, 0, len(w))
	for _, r := range w {
		id, ok := m.id[string(r)] // one character: a base character's id, if any
		if !ok {
			id = -1 // Unk never merges
		}
		seq = append(seq, id)
	}
	for len(seq) > 1 {
		best := joined{rank: -1}
		var bp pair
		for i := 0; i+1 < len(seq); i++ {
			j, ok := m.merge[pair{seq[i], seq[i+1]}]
			if ok && (best.rank < 0 || j.rank < best.rank) {
				best, bp = j, pair{seq[i], seq[i+1]}
			}
		}
		if best.rank < 0 {
			break
		}
		seq = mergeIDs(seq, bp, best.unit)
	}
	units := make([]string, len(seq))
	for i, id := range seq {
		if id < 0 {
			units[i] = Unk
		} else {
			units[i] = m.units[id]
		}
	}
	return units
}

// mergeIDs replaces each occurrence of p in seq, left to right without overlap, by c, in place.
func mergeIDs(seq []int32, p pair, c int32) []int32 {
	out := 0
	for i := 0; i < len(seq); i++ {
		if i+1 < len(seq) && seq[i] == p.a && seq[i+1] == p.b {
			seq[out] = c
			i++
		} else {
			seq[out] = seq[i]
		}
		out++
	}
	return seq[:out]
}
