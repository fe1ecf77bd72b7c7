package predict

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"

	"github.com/spf13/pflag"

	"github.com/gorgonet/gorgonet/experiment"
)

// classifier holds what image and text classifiers share: the flag --top and the ranking.
type classifier struct {
	top int
}

func (c *classifier) addFlags(f *pflag.FlagSet) {
	f.IntVar(&c.top, "top", 3, "classifiers: number of classes to show per input")
}

func (c *classifier) validate() error {
	if c.top < 1 {
		return fmt.Errorf("--top must be at least 1, got %d", c.top)
	}
	return nil
}

// Guess is one class and its probability.
type Guess struct {
	Class       string  `json:"class"`
	Probability float64 `json:"probability"`
}

// Prediction is the ranked classes of one input, as --json prints it.
type Prediction struct {
	Input string  `json:"input"`
	Top   []Guess `json:"top"`
}

// predictions runs the classifier on its filled inputs and ranks the classes of each.
func (c *classifier) predictions(m *experiment.ClassifierEvaluator, names []string, classes []string) ([]Prediction, error) {
	logits, err := m.Logits()
	if err != nil {
		return nil, err
	}
	probs := make([]float64, len(classes))
	out := make([]Prediction, len(names))
	for i, name := range names {
		experiment.Softmax(probs, logits[i*len(classes):(i+1)*len(classes)])
		out[i] = Prediction{Input: name, Top: topK(probs, classes, c.top)}
	}
	return out, nil
}

func topK(probs []float64, classes []string, k int) []Guess {
	g := make([]Guess, len(probs))
	for i, p := range probs {
		g[i] = Guess{Class: classes[i], Probability: p}
	}
	sort.SliceStable(g, func(a, b int) bool { return g[a].Probability > g[b].Probability })
	return g[:min(k, len(g))]
}

func (p Prediction) write(w io.Writer, asJSON bool) {
	if asJSON {
		_ = json.NewEncoder(w).Encode(p)
		return
	}
	fmt.Fprintf(w, "%s:", p.Input)
	for i, g := range p.Top {
		sep := ","
		if i == 0 {
			sep = ""
		}
		fmt.Fprintf(w, "%s %s (%.1f%%)", sep, g.Class, 100*g.Probability)
	}
	fmt.Fprintln(w)
}
