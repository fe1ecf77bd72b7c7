package predict

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/spf13/pflag"

	"github.com/gorgonet/gorgonet/experiment"
	"github.com/gorgonet/gorgonet/snapshot"
)

// lines expands the inputs: "-" stands for the lines of standard input.
func lines(in IO) ([]string, error) {
	var out []string
	for _, s := range in.Inputs {
		if s != "-" {
			out = append(out, s)
			continue
		}
		sc := bufio.NewScanner(in.Stdin)
		sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
		for sc.Scan() {
			out = append(out, sc.Text())
		}
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("reading standard input: %w", err)
		}
	}
	return out, nil
}

// sentences classifies each sentence with a text classifier. Its flag --top is registered
// by images, which shares the classifier.
type sentences struct {
	*classifier
}

func (t *sentences) AddFlags(*pflag.FlagSet) {}
func (t *sentences) Validate() error         { return t.classifier.validate() }

func (t *sentences) Run(ctx context.Context, l *snapshot.Loaded, in IO) error {
	texts, err := lines(in)
	if err != nil {
		return err
	}
	m, err := experiment.OpenClassifier(l, batchFor(len(texts)))
	if err != nil {
		return err
	}
	defer m.Close()
	info := l.Info
	for start := 0; start < len(texts); start += m.Batch() {
		if err := ctx.Err(); err != nil {
			return err
		}
		batch := texts[start:min(start+m.Batch(), len(texts))]
		rows := make([][]int, len(batch))
		for i, s := range batch {
			rows[i] = experiment.EncodeText(info.Vocab, s, info.MaxLen)
		}
		experiment.FillSentences(m.Input(), m.Mask(), rows, info.MaxLen)
		preds, err := t.predictions(m, batch, info.Classes)
		if err != nil {
			return err
		}
		for _, p := range preds {
			p.write(in.Out, in.JSON)
		}
	}
	return nil
}

// generator continues a prompt with a language model.
type generator struct {
	experiment.GenerateOptions
}

func (t *generator) AddFlags(f *pflag.FlagSet) {
	f.IntVar(&t.Length, "length", 200, "language models: characters to generate")
	f.Float64Var(&t.Temperature, "temperature", 0.8, "language models: sampling temperature; 0 = most likely character")
	f.IntVar(&t.TopK, "top-k", 0, "language models: sample among the k most likely characters; 0 = all")
	f.Uint64Var(&t.Seed, "seed", 1, "language models: seed of the sampling generator")
}

func (t *generator) Validate() error {
	switch {
	case t.Length < 0:
		return fmt.Errorf("--length must not be negative, got %d", t.Length)
	case t.Length > experiment.MaxGenerateLength:
		return fmt.Errorf("--length %d is more than the maximum of %d characters", t.Length, experiment.MaxGenerateLength)
	case math.IsNaN(t.Temperature):
		return errors.New("--temperature must be a number ≥ 0, got NaN")
	case t.Temperature < 0:
		return fmt.Errorf("--temperature must not be negative, got %v", t.Temperature)
	case t.TopK < 0:
		return fmt.Errorf("--top-k must not be negative, got %d", t.TopK)
	}
	return nil
}

// Run writes the prompt (the inputs joined by spaces, or all of standard input for "-") and
// its continuation as it is generated, so a long generation shows progress.
func (t *generator) Run(ctx context.Context, l *snapshot.Loaded, in IO) error {
	prompt := strings.Join(in.Inputs, " ")
	if len(in.Inputs) == 1 && in.Inputs[0] == "-" {
		b, err := io.ReadAll(in.Stdin)
		if err != nil {
			return fmt.Errorf("reading standard input: %w", err)
		}
		prompt = string(b)
	}
	g, err := experiment.OpenGenerator(l)
	if err != nil {
		return err
	}
	defer g.Close()
	if in.JSON {
		text, err := g.Continue(ctx, prompt, t.GenerateOptions)
		if err != nil {
			return err
		}
		return json.NewEncoder(in.Out).Encode(struct {
			Prompt       string `json:"prompt"`
			Continuation string `json:"continuation"`
		}{prompt, text})
	}
	if _, err := io.WriteString(in.Out, prompt); err != nil {
		return err
	}
	err = g.Stream(ctx, prompt, t.GenerateOptions, func(s string) error {
		_, err := io.WriteString(in.Out, s)
		return err
	})
	fmt.Fprintln(in.Out)
	return err
}

// converter decodes each word or phrase with a sequence-to-sequence model.
type converter struct {
	beam int
}

func (t *converter) AddFlags(f *pflag.FlagSet) {
	f.IntVar(&t.beam, "beam", 0, "sequence-to-sequence models: beam width (default: the run's decode.beam)")
}

func (t *converter) Validate() error {
	if t.beam < 0 {
		return fmt.Errorf("--beam must not be negative, got %d", t.beam)
	}
	return nil
}

func (t *converter) Run(ctx context.Context, l *snapshot.Loaded, in IO) error {
	words, err := lines(in)
	if err != nil {
		return err
	}
	tr, err := experiment.OpenTranslator(l, batchFor(len(words)), t.beam)
	if err != nil {
		return err
	}
	defer tr.Close()
	out, err := tr.Convert(ctx, words)
	if err != nil {
		return err
	}
	for _, c := range out {
		if in.JSON {
			_ = json.NewEncoder(in.Out).Encode(c)
			continue
		}
		note := ""
		if c.Truncated {
			note = fmt.Sprintf("  (input cut to %d tokens)", l.Info.MaxLen)
		}
		fmt.Fprintf(in.Out, "%s\t%s%s\n", c.Input, c.Output, note)
	}
	return nil
}
