package snapshot

import (
	"github.com/gorgonet/gorgonet/datasets"
	"github.com/gorgonet/gorgonet/datasets/bpe"
)

// DataInfo is what a trained model needs to know about its data to run on new inputs. It
// travels inside checkpoints so that eval and predict need nothing else.
type DataInfo struct {
	Kind    string                 `json:"kind,omitempty"` // images (""), text, chars or pairs
	Input   [3]int                 `json:"input"`          // images: channels, height, width
	Classes []string               `json:"classes"`        // classifiers: label names, index = label
	Norm    datasets.Normalization `json:"normalization"`  // images

	Vocab       *datasets.Vocab `json:"vocab,omitempty"`        // text, chars, pair sources
	TargetVocab *datasets.Vocab `json:"target_vocab,omitempty"` // pair targets
	MaxLen      int             `json:"max_len,omitempty"`      // tokens per sequence (text, pairs) or per chunk (chars)
	TargetLen   int             `json:"target_len,omitempty"`   // pair targets, with <bos>/<eos>
	Tokens      string          `json:"tokens,omitempty"`       // how text becomes tokens: words, chars, phonemes or bpe

	// BPE cuts text (or pair sources) into subword units, TargetBPE pair targets; nil when the
	// tokens are not subwords. Each is saved as its codes file (bpe.Model.MarshalText), one
	// JSON string; the unit ids are then BPE.Vocab()'s, the same as Vocab's.
	BPE       *bpe.Model `json:"bpe,omitempty"`
	TargetBPE *bpe.Model `json:"target_bpe,omitempty"`
}

// Data kinds.
const (
	KindImages = ""
	KindText   = "text"
	KindChars  = "chars"
	KindPairs  = "pairs"
)

// KindName is the data kind k in words, for messages: image, text, chars or pairs.
func KindName(k string) string {
	if k == KindImages {
		return "image"
	}
	return k
}
