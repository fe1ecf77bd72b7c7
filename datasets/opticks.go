package datasets

import (
	"fmt"
	"os"
	"unicode/utf8"

	_ "embed"
)

// Newton's Opticks (public domain), from the Go distribution's src/testdata: see opticks/README.md.
//
//go:embed opticks/Isaac.Newton-Opticks.txt
var opticksText string

// LoadOpticks returns Newton's Opticks, 567,198 bytes of UTF-8 text: the copy embedded in the
// binary when path is "", else the text of the file at path, which must be UTF-8.
func LoadOpticks(path string) (string, error) {
	if path == "" {
		return opticksText, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("datasets: %s: %w", path, unwrapPath(err))
	}
	if !utf8.Valid(data) {
		bad := 0
		for bad < len(data) {
			r, size := utf8.DecodeRune(data[bad:])
			if r == utf8.RuneError && size == 1 {
				break
			}
			bad += size
		}
		return "", fmt.Errorf("datasets: %s:%d: not UTF-8 text (byte %d)", path, lineOf(data, int64(bad)), bad)
	}
	return string(data), nil
}

// CharCorpus is a text cut into training, validation and test spans and encoded by
// characters. Vocab holds the characters (as one-rune strings) seen in training, after the
// specials, most frequent first; characters never seen in training encode as UnkID.
type CharCorpus struct {
	Vocab            *Vocab
	Train, Val, Test []int
}

// NewCharCorpus cuts text (by characters, not bytes) into blocks equal blocks and each block
// into contiguous training, validation and test spans of fractions 1-valFrac-testFrac, valFrac
// and testFrac (rounded to whole characters); each split is its spans in text order. One block
// is the usual train|val|test cut; several spread the held-out text over the whole book, so
// that it is not all from one part of it. vocab nil builds the vocabulary from the training
// spans; a saved one re-encodes the text as a trained model saw it. Invalid UTF-8 bytes count
// as the character U+FFFD. It panics on bad fractions or blocks < 1, as Split3 does.
func NewCharCorpus(text string, valFrac, testFrac float64, blocks int, vocab *Vocab) *CharCorpus {
	checkFractions("NewCharCorpus", valFrac, testFrac)
	if blocks < 1 {
		panic(fmt.Sprintf("datasets: NewCharCorpus: blocks %d must be at least 1", blocks))
	}
	chars := make([]string, 0, utf8.RuneCountInString(text))
	interned := map[rune]string{} // one string per distinct character, not one per position
	for _, r := range text {
		s, ok := interned[r]
		if !ok {
			s = string(r)
			interned[r] = s
		}
		chars = append(chars, s)
	}
	var train, val, test []string
	for b := 0; b < blocks; b++ {
		block := chars[b*len(chars)/blocks : (b+1)*len(chars)/blocks]
		nVal, nTest := splitSizes(len(block), valFrac, testFrac)
		nTrain := len(block) - nVal - nTest
		train = append(train, block[:nTrain]...)
		val = append(val, block[nTrain:nTrain+nVal]...)
		test = append(test, block[nTrain+nVal:]...)
	}
	if vocab == nil {
		vocab = BuildVocab([][]string{train}, 1, 0)
	}
	return &CharCorpus{Vocab: vocab, Train: vocab.Encode(train), Val: vocab.Encode(val), Test: vocab.Encode(test)}
}
