package models

import (
	"errors"
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gorgonet/gorgonet/graphs"
)

// LSTMConfig sizes an LSTM model: a stacked torch.nn.LSTM over sequences of feature rows
// (Features > 0, such as the rows of an image) or of token ids (Vocab > 0, embedded first),
// and a linear layer "fc" to Classes outputs.
type LSTMConfig struct {
	Steps     int     // time steps per sequence (T)
	Features  int     // values per step, for sequences of feature rows
	Vocab     int     // vocabulary size, for sequences of token ids
	Embedding int     // embedding size, for token ids
	Hidden    int     // hidden state size
	Layers    int     // stacked LSTM layers
	Dropout   float64 // between layers and before fc, while training
	Classes   int     // outputs of fc: classes, or Vocab for a language model
}

// Validate reports the first size that cannot build a model.
func (c LSTMConfig) Validate() error {
	switch {
	case c.Steps < 1:
		return fmt.Errorf("steps must be > 0, got %d", c.Steps)
	case (c.Features > 0) == (c.Vocab > 0):
		return errors.New("exactly one of features and vocabulary size must be > 0")
	case c.Vocab > 0 && c.Embedding < 1:
		return fmt.Errorf("lstm.embedding must be > 0, got %d", c.Embedding)
	case c.Hidden < 1:
		return fmt.Errorf("lstm.hidden must be > 0, got %d", c.Hidden)
	case c.Layers < 1:
		return fmt.Errorf("lstm.layers must be > 0, got %d", c.Layers)
	case c.Dropout < 0 || c.Dropout >= 1:
		return fmt.Errorf("lstm.dropout must be in [0, 1), got %v", c.Dropout)
	case c.Classes < 1:
		return fmt.Errorf("classes must be > 0, got %d", c.Classes)
	}
	return nil
}

// lstm adds the embedding (for token ids) and the LSTM layers, returning (B, T, H).
func lstm(s *graphs.Scope, x, mask *G.Node, c LSTMConfig, carry bool) *G.Node {
	if c.Vocab > 0 {
		x = graphs.Embedding(s.Sub("embedding"), x, c.Vocab, c.Embedding) // (B, T, E)
	}
	return graphs.LSTM(s.Sub("lstm"), x, c.Hidden, graphs.RecurrentOptions{Layers: c.Layers, Dropout: c.Dropout, Mask: mask, Carry: carry})
}

// LSTMSpec is the classifier whose last real step feeds fc: the reference LSTM classifier of
// the benchmark suite for feature rows, with an embedding and a mask for token ids.
func LSTMSpec(c LSTMConfig) Spec {
	example := []int{c.Steps, c.Features}
	if c.Vocab > 0 {
		example = []int{c.Steps}
	}
	build := func(s *graphs.Scope, x, mask *G.Node) *G.Node {
		h := graphs.LastStep(lstm(s, x, mask, c, false)) // (B, H): padded steps carry the state
		h = graphs.Dropout(s.Sub("fc"), h, c.Dropout)
		return graphs.Linear(s.Sub("fc"), h, c.Classes) // (B, classes)
	}
	return Spec{Build: build, Example: example, Masked: c.Vocab > 0, Classes: c.Classes, Name: "lstm", size: c.footprint(false)}
}

// LanguageModel is a built character or word language model: embedding → LSTM → fc over the
// vocabulary at every step, its state carried from one batch to the next (truncated
// back-propagation through time).
type LanguageModel struct {
	*Graph
	Input   *G.Node // (B, T) token ids
	Targets *G.Node // (B·T, V) weighted one-hot rows of the next tokens; training graphs only
	Logits  *G.Node // (B·T, V)
}

// BuildLanguageModel builds the language model c describes (Classes = Vocab).
func BuildLanguageModel(c LSTMConfig, o BuildOptions) (*LanguageModel, error) {
	if err := checkMemory("language model", c.footprint(true), o); err != nil {
		return nil, err
	}
	lm := &LanguageModel{}
	g, err := build(o, func(s *graphs.Scope) *G.Node {
		lm.Input = s.Input("input", o.Batch, c.Steps)
		h := lstm(s, lm.Input, nil, c, true)                              // (B, T, H)
		h = must(G.Reshape(h, tensor.Shape{o.Batch * c.Steps, c.Hidden})) // (B·T, H)
		h = graphs.Dropout(s.Sub("fc"), h, c.Dropout)
		lm.Logits = graphs.Linear(s.Sub("fc"), h, c.Vocab) // (B·T, V)
		if !o.Training {
			return nil
		}
		lm.Targets = s.Input("targets", o.Batch*c.Steps, c.Vocab)
		return graphs.SoftmaxCrossEntropy(lm.Logits, lm.Targets)
	})
	if err != nil {
		return nil, err
	}
	lm.Graph = g
	return lm, nil
}

func must(n *G.Node, err error) *G.Node {
	if err != nil {
		panic(err)
	}
	return n
}
