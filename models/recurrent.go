package models

import (
	"errors"
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gorgonet/gorgonet/graphs"
)

// Cell is the recurrent layer a recurrent model is built on: LSTM or GRU.
type Cell struct {
	Name  string // the parameter scope and the Spec's name: checkpoint keys are Name.weight_ih_l0, …
	Layer func(s *graphs.Scope, x *G.Node, hidden int, o graphs.RecurrentOptions) *G.Node
	Gates int // gate blocks per hidden unit (LSTM 4, GRU 3), for the memory estimate
}

// RecurrentConfig sizes a recurrent model: stacked layers of Cell over sequences of feature
// rows (Features > 0, such as the rows of an image) or of token ids (Vocab > 0, embedded
// first), and a linear layer "fc" to Classes outputs.
type RecurrentConfig struct {
	Cell      Cell    // LSTM or GRU; the zero Cell is LSTM
	Steps     int     // time steps per sequence (T)
	Features  int     // values per step, for sequences of feature rows
	Vocab     int     // vocabulary size, for sequences of token ids
	Embedding int     // embedding size, for token ids
	Hidden    int     // hidden state size
	Layers    int     // stacked recurrent layers
	Dropout   float64 // between layers and before fc, while training
	Classes   int     // outputs of fc: classes, or Vocab for a language model
}

// withCell is c with the LSTM for a zero Cell, so that configs written before the GRU
// keep building the LSTM they meant.
func (c RecurrentConfig) withCell() RecurrentConfig {
	if c.Cell.Layer == nil && c.Cell.Name == "" && c.Cell.Gates == 0 {
		c.Cell = LSTM
	}
	return c
}

// Validate reports the first size that cannot build a model; sizes are named after the
// cell's config block (lstm.hidden, gru.hidden).
func (c RecurrentConfig) Validate() error {
	c = c.withCell()
	n := c.Cell.Name
	switch {
	case c.Cell.Layer == nil || n == "" || c.Cell.Gates < 1:
		return fmt.Errorf("the recurrent cell %q lacks its name, layer or gates", n)
	case c.Steps < 1:
		return fmt.Errorf("steps must be > 0, got %d", c.Steps)
	case (c.Features > 0) == (c.Vocab > 0):
		return errors.New("exactly one of features and vocabulary size must be > 0")
	case c.Vocab > 0 && c.Embedding < 1:
		return fmt.Errorf("%s.embedding must be > 0, got %d", n, c.Embedding)
	case c.Hidden < 1:
		return fmt.Errorf("%s.hidden must be > 0, got %d", n, c.Hidden)
	case c.Layers < 1:
		return fmt.Errorf("%s.layers must be > 0, got %d", n, c.Layers)
	case c.Dropout < 0 || c.Dropout >= 1:
		return fmt.Errorf("%s.dropout must be in [0, 1), got %v", n, c.Dropout)
	case c.Classes < 1:
		return fmt.Errorf("classes must be > 0, got %d", c.Classes)
	}
	return nil
}

// recurrent adds the embedding (for token ids) and the cell's layers, returning (B, T, H);
// c has its cell (withCell).
func recurrent(s *graphs.Scope, x, mask *G.Node, c RecurrentConfig, carry bool) *G.Node {
	if c.Vocab > 0 {
		x = graphs.Embedding(s.Sub("embedding"), x, c.Vocab, c.Embedding) // (B, T, E)
	}
	o := graphs.RecurrentOptions{Layers: c.Layers, Dropout: c.Dropout, Mask: mask, Carry: carry}
	return c.Cell.Layer(s.Sub(c.Cell.Name), x, c.Hidden, o)
}

// RecurrentSpec is the classifier whose last real step feeds fc: over feature rows, for
// the LSTM, the reference LSTM classifier of the benchmark suite; for token ids with an
// embedding and a mask.
func RecurrentSpec(c RecurrentConfig) Spec {
	c = c.withCell()
	example := []int{c.Steps, c.Features}
	if c.Vocab > 0 {
		example = []int{c.Steps}
	}
	build := func(s *graphs.Scope, x, mask *G.Node) *G.Node {
		h := graphs.LastStep(recurrent(s, x, mask, c, false)) // (B, H): padded steps carry the state
		h = graphs.Dropout(s.Sub("fc"), h, c.Dropout)
		return graphs.Linear(s.Sub("fc"), h, c.Classes) // (B, classes)
	}
	return Spec{Build: build, Example: example, Masked: c.Vocab > 0, Classes: c.Classes, Name: c.Cell.Name, size: c.footprint(false)}
}

// LanguageModel is a built character or word language model: embedding → recurrent layers
// → fc over the vocabulary at every step, its state carried from one batch to the next
// (truncated back-propagation through time).
type LanguageModel struct {
	*Graph
	Input   *G.Node // (B, T) token ids
	Targets *G.Node // (B·T, V) weighted one-hot rows of the next tokens; training graphs only
	Logits  *G.Node // (B·T, V)
}

// BuildLanguageModel builds the language model c describes (Classes = Vocab).
func BuildLanguageModel(c RecurrentConfig, o BuildOptions) (*LanguageModel, error) {
	c = c.withCell()
	if err := checkMemory("language model", c.footprint(true), o); err != nil {
		return nil, err
	}
	lm := &LanguageModel{}
	g, err := build(o, func(s *graphs.Scope) *G.Node {
		lm.Input = s.Input("input", o.Batch, c.Steps)
		h := recurrent(s, lm.Input, nil, c, true)                        // (B, T, H)
		h = graphs.Reshape(h, tensor.Shape{o.Batch * c.Steps, c.Hidden}) // (B·T, H)
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
