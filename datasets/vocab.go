package datasets

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
)

// Special token ids shared by every vocabulary.
const (
	PadID = 0 // fills a sequence up to the batch's length
	UnkID = 1 // a token the vocabulary does not know
	BosID = 2 // starts a decoder's input
	EosID = 3 // ends a sequence
)

// specialTokens are the tokens of PadID, UnkID, BosID and EosID, in that order.
var specialTokens = [...]string{"<pad>", "<unk>", "<bos>", "<eos>"}

// Vocab maps tokens to ids: the four specials "<pad>", "<unk>", "<bos>", "<eos>" first, then
// tokens by descending count, ties in byte order. It marshals to JSON as {"tokens": [...]} and
// unmarshals rebuilding its index (it travels inside checkpoints). Make one with BuildVocab,
// NewVocab or json.Unmarshal: a Vocab literal has no index.
type Vocab struct {
	Tokens []string `json:"tokens"`
	index  map[string]int
}

// BuildVocab counts the tokens of docs and keeps those seen at least minCount times, most
// frequent first, at most maxSize tokens in all including the four specials (maxSize 0 = no
// limit). Tokens spelled like a special are not counted. It panics when maxSize is negative or
// below 4 but not 0 (configs validate it first).
func BuildVocab(docs [][]string, minCount, maxSize int) *Vocab {
	if maxSize < 0 || (maxSize > 0 && maxSize < len(specialTokens)) {
		panic(fmt.Sprintf("datasets: BuildVocab: maxSize %d must be 0 (no limit) or at least %d", maxSize, len(specialTokens)))
	}
	counts := map[string]int{}
	for _, doc := range docs {
		for _, tok := range doc {
			counts[tok]++
		}
	}
	for _, s := range specialTokens {
		delete(counts, s)
	}
	kept := make([]string, 0, len(counts))
	for tok, n := range counts {
		if n >= minCount {
			kept = append(kept, tok)
		}
	}
	slices.SortFunc(kept, func(a, b string) int {
		if c := cmp.Compare(counts[b], counts[a]); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	if maxSize > 0 && len(kept) > maxSize-len(specialTokens) {
		kept = kept[:maxSize-len(specialTokens)]
	}
	v, err := NewVocab(append(specialTokens[:], kept...))
	if err != nil {
		panic("datasets: BuildVocab: " + err.Error()) // unreachable: kept is distinct and has no specials
	}
	return v
}

// NewVocab makes a vocabulary from its token list, which must start with the four specials and
// hold no token twice.
func NewVocab(tokens []string) (*Vocab, error) {
	if len(tokens) < len(specialTokens) || !slices.Equal(tokens[:len(specialTokens)], specialTokens[:]) {
		return nil, fmt.Errorf("vocabulary must start with the special tokens %q", specialTokens)
	}
	index := make(map[string]int, len(tokens))
	for id, tok := range tokens {
		if prev, dup := index[tok]; dup {
			return nil, fmt.Errorf("vocabulary holds %q twice (ids %d and %d)", tok, prev, id)
		}
		index[tok] = id
	}
	return &Vocab{Tokens: tokens, index: index}, nil
}

// UnmarshalJSON reads {"tokens": [...]} and rebuilds the index.
func (v *Vocab) UnmarshalJSON(data []byte) error {
	var raw struct {
		Tokens *[]string `json:"tokens"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	if raw.Tokens == nil {
		return errors.New(`vocabulary: missing "tokens"`)
	}
	nv, err := NewVocab(*raw.Tokens)
	if err != nil {
		return fmt.Errorf("vocabulary: %w", err)
	}
	*v = *nv
	return nil
}

// Size is the number of tokens, specials included: the rows of an embedding table.
func (v *Vocab) Size() int { return len(v.Tokens) }

// ID returns tok's id, UnkID when the vocabulary does not hold it.
func (v *Vocab) ID(tok string) int {
	if id, ok := v.index[tok]; ok {
		return id
	}
	return UnkID
}

// Encode maps tokens to ids (unknown ones to UnkID); it adds no BOS or EOS.
func (v *Vocab) Encode(toks []string) []int {
	ids := make([]int, len(toks))
	for i, tok := range toks {
		ids[i] = v.ID(tok)
	}
	return ids
}

// Token returns the token of id, "<unk>" for an id outside the vocabulary.
func (v *Vocab) Token(id int) string {
	if id < 0 || id >= len(v.Tokens) {
		return specialTokens[UnkID]
	}
	return v.Tokens[id]
}

// Decode maps ids back to tokens, as a model's output is read: it stops at the first EosID and
// skips PadID and BosID.
func (v *Vocab) Decode(ids []int) []string {
	toks := make([]string, 0, len(ids))
	for _, id := range ids {
		switch id {
		case EosID:
			return toks
		case PadID, BosID:
			continue
		}
		toks = append(toks, v.Token(id))
	}
	return toks
}
