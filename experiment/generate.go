package experiment

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/gorgonet/gorgonet/datasets"
)

// Generator continues text with a trained character language model, one character per run
// of a graph of one stream and one step.
type Generator struct {
	ev    *LMEvaluator
	vocab *datasets.Vocab
}

// GenerateOptions control sampling.
type GenerateOptions struct {
	Length      int     // characters to generate
	Temperature float64 // divides the logits; 0 means always the most likely character
	TopK        int     // sample among the k most likely characters; 0 means all
	Seed        uint64  // sampling generator seed
}

// OpenGenerator loads a character language model's checkpoint for generation.
func OpenGenerator(path string) (*Generator, *Loaded, error) {
	l, err := Load(path)
	if err != nil {
		return nil, nil, err
	}
	if l.Info.Kind != KindChars || l.Info.Vocab == nil {
		return nil, nil, fmt.Errorf("checkpoint %s holds a %s model, not a language model", path, kindName(l.Info.Kind))
	}
	c := CharModel(l.Config.Model, l.Info)
	c.Steps = 1
	ev, err := NewLMEvaluator(c, nil, 1)
	if err != nil {
		return nil, nil, err
	}
	if err := l.RestoreParams(ev.Params()); err != nil {
		ev.Close()
		return nil, nil, err
	}
	return &Generator{ev: ev, vocab: l.Info.Vocab}, l, nil
}

// Close releases the graph.
func (g *Generator) Close() error { return g.ev.Close() }

// Continue feeds prompt (characters never seen in training read as <unk>; an empty prompt
// reads as a line break) and returns the o.Length characters the model writes after it.
func (g *Generator) Continue(prompt string, o GenerateOptions) (string, error) {
	if o.Length < 0 || o.Temperature < 0 || o.TopK < 0 || math.IsNaN(o.Temperature) {
		return "", fmt.Errorf("length, temperature and top-k must not be negative")
	}
	if prompt == "" {
		prompt = "\n"
	}
	for _, st := range g.ev.lm.Scope.States() {
		st.Reset()
	}
	x := g.ev.lm.Input.Value().Data().([]float32)
	var logits []float32
	var err error
	for _, r := range prompt {
		x[0] = float32(g.vocab.ID(string(r)))
		if logits, err = g.ev.run(); err != nil {
			return "", err
		}
	}
	rng := rand.New(rand.NewPCG(o.Seed, 0x5eed))
	var out strings.Builder
	for i := 0; i < o.Length; i++ {
		id := sampleToken(logits, o, rng)
		out.WriteString(g.vocab.Token(id))
		x[0] = float32(id)
		if logits, err = g.ev.run(); err != nil {
			return "", err
		}
	}
	return out.String(), nil
}

// sampleToken draws the next id from softmax(logits/temperature) restricted to the top k,
// never one of the special tokens.
func sampleToken(logits []float32, o GenerateOptions, rng *rand.Rand) int {
	ids := make([]int, 0, len(logits))
	for id := datasets.EosID + 1; id < len(logits); id++ {
		ids = append(ids, id)
	}
	slices.SortStableFunc(ids, func(a, b int) int {
		switch {
		case logits[a] > logits[b]:
			return -1
		case logits[a] < logits[b]:
			return 1
		}
		return 0
	})
	if len(ids) == 0 {
		return datasets.UnkID // a vocabulary of specials only
	}
	if o.Temperature == 0 {
		return ids[0]
	}
	if o.TopK > 0 && o.TopK < len(ids) {
		ids = ids[:o.TopK]
	}
	p := make([]float64, len(ids))
	var sum float64
	for i, id := range ids {
		p[i] = math.Exp(float64(logits[id]-logits[ids[0]]) / o.Temperature)
		sum += p[i]
	}
	u := rng.Float64() * sum
	for i := range p {
		if u -= p[i]; u < 0 {
			return ids[i]
		}
	}
	return ids[len(ids)-1]
}
