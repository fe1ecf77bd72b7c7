package experiment

import (
	"context"
	"fmt"
	"strings"

	"github.com/gorgonet/gorgonet/datasets"
	"github.com/gorgonet/gorgonet/models"
	"github.com/gorgonet/gorgonet/snapshot"
)

// Translator converts a user's words, phrases or texts with a trained sequence-to-sequence
// model: spellings to pronunciations, German or Spanish to English, descriptions to synopses.
type Translator struct {
	tr    *models.Translator
	m     *models.Seq2Seq
	info  snapshot.DataInfo
	alpha float64
}

// Conversion is one input and the model's output.
type Conversion struct {
	Input     string `json:"input"`
	Output    string `json:"output"`
	Truncated bool   `json:"truncated,omitempty"` // the input had more tokens than the model reads
}

// OpenTranslator builds the decoder of a sequence-to-sequence checkpoint for decoding batch inputs at a time
// with the given beam width (0: the run's decode.beam).
func OpenTranslator(l *snapshot.Loaded, batch, beam int) (*Translator, error) {
	if l.Info.Kind != snapshot.KindPairs || l.Info.Vocab == nil || l.Info.TargetVocab == nil {
		return nil, fmt.Errorf("checkpoint %s holds a %s model, not a sequence-to-sequence model", l.Path, snapshot.KindName(l.Info.Kind))
	}
	s2s := Models[l.Config.Model.Kind].Seq2Seq
	if s2s == nil {
		return nil, fmt.Errorf("checkpoint %s: model.kind %s builds no encoder-decoder", l.Path, l.Config.Model.Kind)
	}
	c := s2s(l.Config.Model, l.Info)
	m, err := models.BuildSeq2Seq(c, models.BuildOptions{Batch: 1})
	if err != nil {
		return nil, err
	}
	if err := l.RestoreParams(m.Params()); err != nil {
		return nil, err
	}
	if beam <= 0 {
		beam = l.Config.Decode.Beam
	}
	tr, err := models.NewTranslator(c, m.Params(), batch, beam)
	if err != nil {
		return nil, err
	}
	return &Translator{tr: tr, m: m, info: l.Info, alpha: l.Config.Decode.LengthPenalty}, nil
}

// Close releases the graphs.
func (t *Translator) Close() error { return t.tr.Close() }

// SourceTokens splits a user's input as the training sources were split: a word into its
// lower-case characters (pronunciations), a phrase into lower-case word tokens or the
// characters of those tokens joined by single spaces (translation), text into the subword
// units of the checkpoint's BPE model (characters it never saw become <unk>).
func SourceTokens(info snapshot.DataInfo, input string) []string {
	if info.BPE != nil {
		return info.BPE.Encode(input)
	}
	switch info.Tokens {
	case "phonemes":
		return datasets.Spelling(input)
	case "chars":
		return datasets.Chars(datasets.Tokenize(input))
	default:
		return datasets.Tokenize(input)
	}
}

// TargetText writes output tokens as text: characters run together, subword units joined
// into their words (bpe.Model.Decode), other tokens spaced.
func TargetText(info snapshot.DataInfo, toks []string) string {
	if info.TargetBPE != nil {
		return info.TargetBPE.Decode(toks)
	}
	return strings.Join(scored(info, toks), " ")
}

// OutputText is a model's output ids (up to <eos>) as text.
func OutputText(info snapshot.DataInfo, ids []int) string {
	return TargetText(info, info.TargetVocab.Decode(ids))
}

// Convert decodes every input. An input without tokens gives an empty output; characters or
// words never seen in training read as <unk>; inputs longer than the model's max_len are cut.
// It stops when ctx is done.
func (t *Translator) Convert(ctx context.Context, inputs []string) ([]Conversion, error) {
	out := make([]Conversion, len(inputs))
	var srcs [][]int
	var at []int
	for i, in := range inputs {
		out[i].Input = in
		toks := SourceTokens(t.info, in)
		if len(toks) == 0 {
			continue
		}
		out[i].Truncated = len(toks) > t.info.MaxLen
		srcs, at = append(srcs, EncodeSource(t.info.Vocab, toks, t.info.MaxLen)), append(at, i)
	}
	for start := 0; start < len(srcs); start += t.tr.Batch() {
		if err := interrupted(ctx, start, len(srcs), "inputs"); err != nil {
			return nil, err
		}
		end := min(start+t.tr.Batch(), len(srcs))
		hyps, err := t.tr.Translate(srcs[start:end], t.alpha)
		if err != nil {
			return nil, err
		}
		for k, h := range hyps {
			out[at[start+k]].Output = OutputText(t.info, h)
		}
	}
	return out, nil
}
