package experiment

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/gorgonet/gorgonet/datasets"
	"github.com/gorgonet/gorgonet/models"
	"github.com/gorgonet/gorgonet/snapshot"
)

// Generator continues text with a trained character language model, one character per run
// of a graph of one stream and one step.
type Generator struct {
	ev    *LMEvaluator
	in    models.Batch // one stream, one step: the next character's id
	vocab *datasets.Vocab
}

// GenerateOptions control sampling.
type GenerateOptions struct {
	Length      int     // characters to generate
	Temperature float64 // divides the logits; 0 means always the most likely character
	TopK        int     // sample among the k most likely characters; 0 means all
	Seed        uint64  // sampling generator seed
}

// OpenGenerator builds the generation graph of a character language model's checkpoint.
func OpenGenerator(l *snapshot.Loaded) (*Generator, error) {
	if l.Info.Kind != snapshot.KindChars || l.Info.Vocab == nil {
		return nil, fmt.Errorf("checkpoint %s holds a %s model, not a language model", l.Path, snapshot.KindName(l.Info.Kind))
	}
	lm := Models[l.Config.Model.Kind].LanguageModel
	if lm == nil {
		return nil, fmt.Errorf("checkpoint %s: model.kind %s builds no language model", l.Path, l.Config.Model.Kind)
	}
	c := lm(l.Config.Model, l.Info)
	c.Steps = 1
	ev, err := NewLMEvaluator(c, nil, 1)
	if err != nil {
		return nil, err
	}
	if err := l.RestoreParams(ev.Params()); err != nil {
		ev.Close()
		return nil, err
	}
	return &Generator{ev: ev, in: ev.lm.NewBatch(), vocab: l.Info.Vocab}, nil
}

// Close releases the graph.
func (g *Generator) Close() error { return g.ev.Close() }

// MaxGenerateLength bounds GenerateOptions.Length, so that a slip such as 1e9 is refused
// rather than run for days (the tests' 16-unit model writes 100,000 characters in 7 s).
const MaxGenerateLength = 100_000

// Continue feeds prompt and returns the o.Length characters the model writes after it; see
// Stream.
func (g *Generator) Continue(ctx context.Context, prompt string, o GenerateOptions) (string, error) {
	var out strings.Builder
	err := g.Stream(ctx, prompt, o, func(s string) error {
		out.WriteString(s)
		return nil
	})
	return out.String(), err
}

// Stream feeds prompt (characters never seen in training read as <unk>; an empty prompt
// reads as a line break) and passes each of the o.Length characters the model writes after
// it to emit as it is produced. It stops when ctx is done or emit fails.
func (g *Generator) Stream(ctx context.Context, prompt string, o GenerateOptions, emit func(string) error) error {
	if o.Length < 0 || o.Temperature < 0 || o.TopK < 0 || math.IsNaN(o.Temperature) {
		return fmt.Errorf("length, temperature and top-k must not be negative")
	}
	if o.Length > MaxGenerateLength {
		return fmt.Errorf("length %d is more than the %d characters a generation may have", o.Length, MaxGenerateLength)
	}
	if prompt == "" {
		prompt = "\n"
	}
	logits, err := g.feed(ctx, prompt)
	if err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(o.Seed, 0x5eed))
	x := g.in.Inputs["input"]
	for i := 0; i < o.Length; i++ {
		if err := interrupted(ctx, i, o.Length, "characters"); err != nil {
			return err
		}
		id := sampleToken(logits, o, rng)
		if err := emit(g.vocab.Token(id)); err != nil {
			return err
		}
		x[0] = float32(id)
		if logits, err = g.ev.run(g.in); err != nil {
			return err
		}
	}
	return nil
}

// feed runs the model over prompt from a zero state and returns the logits after it.
func (g *Generator) feed(ctx context.Context, prompt string) ([]float32, error) {
	for _, st := range g.ev.lm.Scope.States() {
		st.Reset()
	}
	x := g.in.Inputs["input"]
	var logits []float32
	var err error
	runes := []rune(prompt)
	for i, r := range runes {
		if err := interrupted(ctx, i, len(runes), "prompt characters"); err != nil {
			return nil, err
		}
		x[0] = float32(g.vocab.ID(string(r)))
		if logits, err = g.ev.run(g.in); err != nil {
			return nil, err
		}
	}
	return logits, nil
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
